"""The selectors of the start page's work list (issue 11): what waits for the user, per role.

Every content read goes through ``visible_to``/``restrict`` (or a persons selector that does),
so another forum's items, a former member's and the content-blind roles' are empty by the
same rule as everywhere else. Each section is a count and its first rows: two queries, however
many rows there are. The DPO's section holds counts and times only, from the audit selectors.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from audit import selectors as audit_selectors
from audit.models import AccessEvent, Checkpoint
from coordination.models import ForumSession, Plan, PlanAction
from coordination.selectors import my_open_actions
from core.models import Notification
from core.permissions import ROLE_DPO, AnyUser, has_role, is_police, sees_no_content, visible_to
from forums.models import Membership
from persons.models import CaseFile, Concern, FocusPerson, member_forum_ids
from persons.retention import due_list
from persons.selectors import concerns_awaiting_decision, turning_18_soon

T = TypeVar("T")

ROWS = 5  # the first rows of a section; the count links to the whole list
REVIEW_AHEAD_DAYS = 7
REVEALS_DAYS = 7
UNUSUAL_DAYS = 30


@dataclass(frozen=True)
class Section(Generic[T]):
    count: int
    rows: list[T] = field(default_factory=list)


def _section(queryset: QuerySet[Any, Any], *, rows: bool = True) -> Section[Any]:
    # The count is always asked for, so the query count does not depend on the rows.
    return Section(queryset.count(), list(queryset[:ROWS]) if rows else [])


@dataclass(frozen=True)
class TurningAdult:
    case_file: CaseFile
    month: datetime.date  # the first of the month of the 18th birthday


@dataclass(frozen=True)
class ManagerWork:
    """For coordinators and chairs: their forums' business."""

    concerns: Section[Concern]
    overdue_actions: Section[PlanAction]
    reviews: Section[Plan]
    turning_18: Section[TurningAdult]
    retention_due: int

    def persons(self) -> list[FocusPerson]:
        """The persons whose pseudonyms the section shows (for the access record)."""
        case_files = [
            *(concern.case_file for concern in self.concerns.rows),
            *(action.plan.case_file for action in self.overdue_actions.rows),
            *(plan.case_file for plan in self.reviews.rows),
            *(row.case_file for row in self.turning_18.rows),
        ]
        return list({cf.person_id: cf.person for cf in case_files}.values())


@dataclass(frozen=True)
class NextSession:
    session: ForumSession
    agenda_size: int


@dataclass(frozen=True)
class MemberWork:
    """For every current member (coordinators and chairs too): their own things."""

    actions: Section[PlanAction]
    overdue: int
    sessions: list[NextSession]
    notifications: Section[Notification]


@dataclass(frozen=True)
class DpoWork:
    """Counts and times only: the DPO sees no content."""

    reveals: int
    reveals_from: datetime.date
    reveals_to: datetime.date
    unusual: int
    last_checkpoint: Checkpoint | None

    @property
    def reveals_query(self) -> str:
        """The access list's filter for the same reveals (the count links to them)."""
        return urlencode(
            {
                "action": AccessEvent.Action.REVEAL_IDENTITY,
                "date_from": self.reveals_from.isoformat(),
                "date_to": self.reveals_to.isoformat(),
            }
        )


@dataclass(frozen=True)
class WorkList:
    manager: ManagerWork | None
    member: MemberWork | None
    dpo: DpoWork | None

    @property
    def is_empty(self) -> bool:
        return self.manager is None and self.member is None and self.dpo is None


def work_list_for(*, user: AnyUser) -> WorkList:
    roles = _current_roles(user)
    managing = bool(roles & set(Membership.MANAGING_ROLES))
    return WorkList(
        manager=manager_work(user=user) if managing else None,
        member=member_work(user=user) if roles else None,
        dpo=dpo_work(user=user) if has_role(user, ROLE_DPO) else None,
    )


def _current_roles(user: AnyUser) -> set[str]:
    """The roles of the user's memberships in force today; none for the content-blind."""
    if sees_no_content(user):
        return set()
    memberships = Membership.objects.current().filter(user_id=user.pk or 0)
    return set(memberships.values_list("role", flat=True).distinct())


def manager_work(*, user: AnyUser) -> ManagerWork:
    # A police chair sees counts only: pseudonyms of several forums in one list would be the
    # cross-forum listing § 115, stk. 2 forbids.
    rows = not is_police(user)
    return ManagerWork(
        concerns=_section(concerns_awaiting_decision(user=user), rows=rows),
        overdue_actions=_section(overdue_actions_for(user=user), rows=rows),
        reviews=_section(reviews_due_for(user=user), rows=rows),
        turning_18=_turning_adult(_section(turning_18_soon(user=user), rows=rows)),
        retention_due=len(due_list(user=user)) if isinstance(user, User) else 0,
    )


def _turning_adult(section: Section[CaseFile]) -> Section[TurningAdult]:
    """Birth year and month only (never the day): a person of unknown month counts from
    January, as the selector does."""
    rows = [
        TurningAdult(cf, datetime.date(cf.person.birth_year + 18, cf.person.birth_month or 1, 1))
        for cf in section.rows
    ]
    return Section(section.count, rows)


def overdue_actions_for(*, user: AnyUser) -> QuerySet[PlanAction, Any]:
    """Open actions past their due date on the forums the user coordinates or chairs."""
    actions = PlanAction.objects.filter(
        status=PlanAction.Status.OPEN,
        due_date__lt=timezone.localdate(),
        plan__case_file__forum_id__in=member_forum_ids(user, managing=True),
    )
    return (
        visible_to(user, actions)
        .select_related(
            "plan__case_file__person", "plan__case_file__forum", "owner", "responsible_agency"
        )
        .order_by("due_date", "pk")
    )


def reviews_due_for(*, user: AnyUser) -> QuerySet[Plan, Any]:
    """Plans of open case files on the user's managed forums due for review within a week
    (or overdue for it)."""
    horizon = timezone.localdate() + datetime.timedelta(days=REVIEW_AHEAD_DAYS)
    plans = Plan.objects.filter(
        review_date__lte=horizon,
        case_file__forum_id__in=member_forum_ids(user, managing=True),
    )
    # The restriction keeps open case files only (closing one ends the forum's business).
    return (
        visible_to(user, plans)
        .select_related("case_file__person", "case_file__forum")
        .order_by("review_date", "pk")
    )


def next_sessions_for(*, user: AnyUser) -> list[NextSession]:
    """The next sessions of the user's forums whose minutes are not approved, with the number
    of items on their agenda (items of closed case files are gone from it, as on its page)."""
    start_of_today = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time.min)
    )
    sessions = ForumSession.objects.filter(starts_at__gte=start_of_today).exclude(
        status=ForumSession.Status.APPROVED
    )
    annotated = (
        visible_to(user, sessions)
        .annotate(agenda_size=Count("items", filter=Q(items__case_file__closed_at__isnull=True)))
        .select_related("forum")
        .order_by("starts_at", "pk")[:ROWS]
    )
    return [NextSession(session, session.agenda_size) for session in annotated]


def member_work(*, user: AnyUser) -> MemberWork:
    actions = my_open_actions(user=user)
    return MemberWork(
        # Police see their own actions as a count, as in manager_work: pseudonyms of several
        # forums in one list would be the cross-forum listing § 115, stk. 2 forbids.
        actions=_section(actions, rows=not is_police(user)),
        overdue=actions.filter(due_date__lt=timezone.localdate()).count(),
        sessions=next_sessions_for(user=user),
        # A count only: a notice names a pseudonym and a forum, and notices do not know their
        # forum, so a membership that ended would keep showing its persons here.
        notifications=_section(
            Notification.objects.filter(recipient_id=user.pk or 0, read_at__isnull=True),
            rows=False,
        ),
    )


def dpo_work(*, user: AnyUser) -> DpoWork:
    """What the DPO's own pages show, counted over the DPO's municipality (their scope)."""
    scope = audit_selectors.scope_of(user)
    today = timezone.localdate()
    reveals_from = today - datetime.timedelta(days=REVEALS_DAYS)
    reveals = audit_selectors.access_events(
        scope=scope,
        action=AccessEvent.Action.REVEAL_IDENTITY,
        date_from=reveals_from,
        date_to=today,
    )
    unusual = audit_selectors.unusual_access(
        scope=scope, date_from=today - datetime.timedelta(days=UNUSUAL_DAYS), date_to=today
    )
    return DpoWork(
        reveals=reveals.count(),
        reveals_from=reveals_from,
        reveals_to=today,
        unusual=len(unusual),
        last_checkpoint=Checkpoint.objects.order_by("-created_at", "-id").first(),
    )
