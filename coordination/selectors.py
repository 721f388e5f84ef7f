"""Reads of notes, always through core.permissions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from coordination.models import AgendaItem, ForumSession, Note, Plan, PlanAction
from core.permissions import AnyUser, get_object_for, visible_to
from persons.models import CaseFile


def notes_base() -> QuerySet[Note, Any]:
    """Notes with what reading them needs (case file key, person, author): hand to visible_to."""
    return Note.objects.select_related("case_file__data_key", "case_file__person", "author")


def notes_on_case_files(*, user: AnyUser, case_files: Sequence[CaseFile]) -> list[Note]:
    """The notes the user sees on ``case_files`` (the person page's, read through the
    permission filter), newest first, each with its case file from ``case_files`` (as
    persons.selectors.concerns_on_case_files)."""
    by_id = {cf.pk: cf for cf in case_files}
    notes = list(
        visible_to(user, Note.objects.filter(case_file_id__in=by_id))
        .select_related("author", "agency")
        .order_by("-created_at")
    )
    for note in notes:
        note.case_file = by_id[note.case_file_id]
    return notes


def note_get_for(*, user: AnyUser, pk: Any, action: str = "view") -> Note:
    notes: QuerySet[Note, Any] = Note.objects.select_related(
        "case_file__data_key", "case_file__person", "case_file__forum", "agency"
    )
    return get_object_for(user, notes, pk, action)


def casefile_get_for(*, user: AnyUser, pk: Any, action: str = "view") -> CaseFile:
    return get_object_for(
        user, CaseFile.objects.select_related("forum", "person", "data_key"), pk, action
    )


def session_list_for(*, user: AnyUser, forum: Any) -> QuerySet[ForumSession, Any]:
    return visible_to(user, ForumSession.objects.filter(forum=forum)).order_by("-starts_at")


def session_get_for(*, user: AnyUser, pk: Any, action: str = "view") -> ForumSession:
    session: ForumSession = get_object_for(
        user, ForumSession.objects.select_related("forum"), pk, action
    )
    return session


def agenda_of(*, user: AnyUser, session: ForumSession) -> list[AgendaItem]:
    """The session's items the user may see (all, for its members), with what they show."""
    return list(
        visible_to(user, AgendaItem.objects.filter(session=session))
        .select_related("case_file__person", "case_file__data_key", "presenting_agency")
        .prefetch_related("attendees", "guests__user")
        .order_by("order", "pk")
    )


def item_get_for(*, user: AnyUser, pk: Any, action: str = "view") -> AgendaItem:
    items = AgendaItem.objects.select_related(
        "session__forum", "case_file__person", "case_file__data_key", "case_file__forum"
    )
    item: AgendaItem = get_object_for(user, items, pk, action)
    return item


def plan_for(*, user: AnyUser, case_file: CaseFile) -> Plan | None:
    return (
        visible_to(user, Plan.objects.filter(case_file=case_file))
        .select_related("case_file__data_key", "case_file__person")
        .first()
    )


def plan_get_for(*, user: AnyUser, pk: Any, action: str = "view") -> Plan:
    plan: Plan = get_object_for(
        user,
        Plan.objects.select_related("case_file__data_key", "case_file__person", "case_file__forum"),
        pk,
        action,
    )
    return plan


def actions_of(*, user: AnyUser, plan: Plan) -> QuerySet[PlanAction, Any]:
    return (
        visible_to(user, PlanAction.objects.filter(plan=plan))
        .select_related(
            "plan__case_file__data_key", "plan__case_file__person", "owner", "responsible_agency"
        )
        .order_by("due_date", "pk")
    )


def action_get_for(*, user: AnyUser, pk: Any, action: str = "view") -> PlanAction:
    actions = PlanAction.objects.select_related(
        "plan__case_file__data_key", "plan__case_file__person", "plan__case_file__forum"
    )
    found: PlanAction = get_object_for(user, actions, pk, action)
    return found


def my_open_actions(*, user: AnyUser, due_before: Any = None) -> QuerySet[PlanAction, Any]:
    """The user's own open actions on case files they may still see, soonest first."""
    actions = visible_to(
        user, PlanAction.objects.filter(owner_id=user.pk or 0, status=PlanAction.Status.OPEN)
    )
    if due_before is not None:
        actions = actions.filter(due_date__lt=due_before)
    return actions.select_related(
        "plan__case_file__data_key",
        "plan__case_file__person",
        "plan__case_file__forum",
        "responsible_agency",
    ).order_by("due_date", "pk")


def upcoming_sessions(*, user: AnyUser, limit: int = 10) -> list[ForumSession]:
    from django.utils import timezone

    return list(
        visible_to(user, ForumSession.objects.filter(starts_at__gte=timezone.now()))
        .select_related("forum")
        .order_by("starts_at")[:limit]
    )
