"""Writes of the council pages: status entries and meetings, by the council's secretary."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import User
from councils.models import Council, CouncilMeeting, FocusArea, FocusAreaStatus


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
