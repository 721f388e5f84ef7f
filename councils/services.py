"""Writes of the council pages, by the council's secretary: the plan and its focus areas,
status entries and meetings."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import Agency, User
from councils.models import CooperationPlan, Council, CouncilMeeting, FocusArea, FocusAreaStatus
from councils.selectors import area_agencies, area_forums
from forums.models import Forum
from persons.categories import category_choices


def _require_secretary(actor: User, council: Council) -> None:
    if not Council.objects.restrict(actor, "change").filter(pk=council.pk).exists():
        raise PermissionDenied


@transaction.atomic
def status_create(
    *,
    actor: User,
    area: FocusArea,
    progress: str,
    text: str,
    written_on: datetime.date,
    meeting: CouncilMeeting | None = None,
) -> FocusAreaStatus:
    council = area.plan.council
    _require_secretary(actor, council)
    if meeting is not None and meeting.council_id != council.pk:
        raise PermissionDenied
    return FocusAreaStatus.objects.create(
        area=area,
        progress=progress,
        text=text,
        written_on=written_on,
        meeting=meeting,
        author=actor,
    )


@transaction.atomic
def meeting_save(
    *,
    actor: User,
    council: Council,
    held_on: datetime.date,
    location: str,
    agenda: str,
    minutes: str,
    focus_areas: list[FocusArea],
    meeting: CouncilMeeting | None = None,
) -> CouncilMeeting:
    _require_secretary(actor, council)
    if any(a.plan.council_id != council.pk for a in focus_areas):
        raise PermissionDenied
    meeting = meeting or CouncilMeeting(council=council)
    meeting.held_on, meeting.location = held_on, location
    meeting.agenda, meeting.minutes = agenda, minutes
    meeting.save()
    meeting.focus_areas.set(focus_areas)
    return meeting


def outside_council(
    council: Council, *, forums: Iterable[Forum], agencies: Iterable[Agency]
) -> list[str]:
    """The fields ("forums", "agencies") that name one outside the council's municipalities:
    a focus area's figures and responsibilities are the council's only inside its area. The
    secretary's pages and Django admin both check it here."""
    outside = []
    if {f.pk for f in forums} - set(area_forums(council).values_list("pk", flat=True)):
        outside.append("forums")
    if {a.pk for a in agencies} - set(area_agencies(council).values_list("pk", flat=True)):
        outside.append("agencies")
    return outside


@transaction.atomic
def plan_save(
    *,
    actor: User,
    council: Council,
    title: str,
    period_start: datetime.date,
    period_end: datetime.date,
    plan: CooperationPlan | None = None,
) -> CooperationPlan:
    _require_secretary(actor, council)
    if plan is not None and plan.council_id != council.pk:
        raise PermissionDenied
    plan = plan or CooperationPlan(council=council)
    plan.title, plan.period_start, plan.period_end = title, period_start, period_end
    plan.save()
    return plan


@transaction.atomic
def area_save(
    *,
    actor: User,
    plan: CooperationPlan,
    title: str,
    description: str,
    agencies: list[Agency],
    forums: list[Forum],
    categories: list[str],
    order: int,
    area: FocusArea | None = None,
) -> FocusArea:
    """A focus area of ``plan``, new or changed. Its forums and agencies must lie in the
    council's own area and its categories be known ones (the form offers nothing else; this
    holds for any other caller too)."""
    council = plan.council
    _require_secretary(actor, council)
    if area is not None and area.plan_id != plan.pk:
        raise PermissionDenied
    if outside_council(council, forums=forums, agencies=agencies):
        raise PermissionDenied
    known = [code for code, _label in category_choices()]
    if set(categories) - set(known):
        raise PermissionDenied
    area = area or FocusArea(plan=plan)
    area.title, area.description = title, description
    area.categories = [code for code in known if code in categories]  # in the list's order
    area.order = order
    area.save()
    area.agencies.set(agencies)
    area.forums.set(forums)
    return area
