"""Reminders of plan actions. PostgreSQL is the outbox: the daily sweep finds what is due in
the database, claims each action with SELECT ... FOR UPDATE SKIP LOCKED (two workers never
handle the same one), and records every delivery under a unique (action, kind, due date), so a
second sweep, a lost message or a restarted worker sends nothing twice. Task arguments are
never text; emails carry a pseudonym and a link, never identity or content.

Only current members hear anything: every email and notification goes to users with a
membership in force (on the sweep's day) in the forum it is about. A former member's open
action is not reminded; its forum's chair is told once that the owner has left."""

from __future__ import annotations

import contextlib
import datetime
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from coordination.models import DigestSent, PlanAction, ReleaseReminderSent, ReminderSent
from core.models import Notification
from forums.models import Membership
from persons.models import CaseFile

logger = logging.getLogger(__name__)

# The chair's notice that an open action's owner has left the forum, recorded in ReminderSent
# under this kind (one per action and due date) like every other reminder.
OWNER_LEFT = ReminderSent.Kind.OWNER_LEFT


@contextlib.contextmanager
def _one_at_a_time(what: str, pk: int) -> Iterator[None]:
    """One transaction per item: a failure (a refused address, the mail server down) rolls
    back that item's records only, is logged by id, and the sweep goes on; the next sweep
    tries it again."""
    try:
        with transaction.atomic():
            yield
    except Exception:
        logger.exception("reminder sweep: %s %s failed; will retry next sweep", what, pk)


@dataclass(frozen=True)
class Reminder:
    action_id: int
    kind: str
    due_date: datetime.date
    recipient_ids: tuple[int, ...]


def kinds_due(action: PlanAction, today: datetime.date) -> list[str]:
    days_left = (action.due_date - today).days
    kinds: list[str] = []
    if 0 < days_left <= settings.REMINDER_DAYS_BEFORE:
        kinds.append(ReminderSent.Kind.BEFORE)
    if days_left == 0:
        kinds.append(ReminderSent.Kind.DUE)
    if days_left < 0:
        kinds.append(ReminderSent.Kind.OVERDUE)
    if -days_left >= settings.REMINDER_ESCALATE_AFTER_DAYS:
        kinds.append(ReminderSent.Kind.ESCALATED)
    return kinds


def _owner_is_member(today: datetime.date) -> Exists:
    """For a PlanAction queryset: the owner holds a membership of the action's forum today."""
    return Exists(
        Membership.objects.current(today).filter(
            user_id=OuterRef("owner_id"), forum_id=OuterRef("plan__case_file__forum_id")
        )
    )


def _current_members(
    user_ids: tuple[int, ...], forum_id: int, today: datetime.date
) -> QuerySet[User, Any]:
    """The active users among ``user_ids`` with a membership of the forum in force today."""
    membership = Membership.objects.current(today).filter(user_id=OuterRef("pk"), forum_id=forum_id)
    return User.objects.filter(Exists(membership), pk__in=user_ids, is_active=True)


def _recipients(action: PlanAction, kind: str, today: datetime.date) -> tuple[int, ...]:
    if kind not in {ReminderSent.Kind.ESCALATED, OWNER_LEFT}:
        return (action.owner_id,)
    current = Membership.objects.current(today).filter(forum_id=action.plan.case_file.forum_id)
    chairs = set(current.filter(role=Membership.Role.CHAIR).values_list("user_id", flat=True))
    # A forum without a chair escalates to its coordinators rather than to nobody.
    chosen = chairs or set(
        current.filter(role=Membership.Role.COORDINATOR).values_list("user_id", flat=True)
    )
    return tuple(sorted(chosen))


def _send(
    recipient_ids: tuple[int, ...],
    *,
    kind: str,
    subject: str,
    context: dict[str, Any],
    link: str,
    forum_id: int,
    today: datetime.date,
) -> None:
    """Email (Danish text + HTML) and an in-app notification: pseudonym and link only. Sent
    only to those of ``recipient_ids`` who are still members of the forum (the one check)."""
    context = {**context, "url": f"{settings.SITE_URL}{link}"}
    text = render_to_string("coordination/email/reminder.txt", context)
    html = render_to_string("coordination/email/reminder.html", context)
    for user in _current_members(recipient_ids, forum_id, today):
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
        message.attach_alternative(html, "text/html")
        message.send()
        Notification.objects.create(
            recipient=user, kind=f"reminder_{kind}", message=subject, link=link
        )


def _deliver(
    action: PlanAction, kind: str, recipient_ids: tuple[int, ...], today: datetime.date
) -> None:
    case_file = action.plan.case_file
    pseudonym = case_file.person.pseudonym
    if kind == OWNER_LEFT:
        subject = _("Tværs: en handling for %(pseudonym)s mangler en ansvarlig") % {
            "pseudonym": pseudonym
        }
        link = reverse("coordination:plan", args=[case_file.pk])
    else:
        subject = _("Tværs: påmindelse om handling for %(pseudonym)s") % {"pseudonym": pseudonym}
        link = reverse("coordination:person-detail", args=[case_file.person_id])
    context = {
        "kind": kind,
        "pseudonym": pseudonym,
        "forum": case_file.forum.name,
        "due_date": action.due_date,
    }
    _send(
        recipient_ids,
        kind=kind,
        subject=subject,
        context=context,
        link=link,
        forum_id=case_file.forum_id,
        today=today,
    )


def _kinds(action: PlanAction, today: datetime.date) -> list[str]:
    """What is due for the action today. An owner who has left the forum is reminded of
    nothing; the chair is told instead (and still gets the escalation)."""
    kinds = kinds_due(action, today)
    if _current_members((action.owner_id,), action.plan.case_file.forum_id, today).exists():
        return kinds
    return [*(k for k in kinds if k == ReminderSent.Kind.ESCALATED), OWNER_LEFT]


def sweep(*, today: datetime.date | None = None, dry_run: bool = False) -> list[Reminder]:
    """Send every reminder due today that was not sent before; returns what was (or, dry,
    would be) sent. Open actions whose owner has left the forum are found whatever their
    due date, so the chair hears of them in time."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.REMINDER_DAYS_BEFORE)
    candidates = list(
        PlanAction.objects.filter(
            Q(due_date__lte=horizon) | ~_owner_is_member(today),
            status=PlanAction.Status.OPEN,
            plan__case_file__closed_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    done: list[Reminder] = []
    for pk in candidates:
        with _one_at_a_time("action", pk):
            action = (
                PlanAction.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("plan__case_file__person", "plan__case_file__forum")
                .filter(pk=pk, status=PlanAction.Status.OPEN)
                .first()
            )
            if action is None:  # another worker holds it, or it was closed meanwhile
                continue
            forum_id = action.plan.case_file.forum_id
            for kind in _kinds(action, today):
                if ReminderSent.objects.filter(
                    action=action, kind=kind, due_date=action.due_date
                ).exists():
                    continue
                audience = _current_members(_recipients(action, kind, today), forum_id, today)
                recipients = tuple(sorted(audience.values_list("pk", flat=True)))
                reminder = Reminder(action.pk, kind, action.due_date, recipients)
                if not dry_run:
                    ReminderSent.objects.create(action=action, kind=kind, due_date=action.due_date)
                    _deliver(action, kind, recipients, today)
                done.append(reminder)
    return done


def release_kinds_due(release_date: datetime.date, today: datetime.date) -> list[str]:
    """KSP (domain.md): contact a year before, release meeting 3 months before, the day."""
    if today >= release_date:
        return [ReleaseReminderSent.Kind.DAY]
    if today >= release_date - relativedelta(months=3):
        return [ReleaseReminderSent.Kind.MONTHS_3]
    if today >= release_date - relativedelta(months=12):
        return [ReleaseReminderSent.Kind.MONTHS_12]
    return []


def release_sweep(*, today: datetime.date | None = None, dry_run: bool = False) -> list[Reminder]:
    """Remind the KSP forum's coordinators and chair of coming releases, each kind once."""
    today = today or timezone.localdate()
    candidates = list(
        CaseFile.objects.open()
        .filter(
            expected_release_date__isnull=False,
            expected_release_date__lte=today + relativedelta(months=12),
        )
        .values_list("pk", flat=True)
    )
    done: list[Reminder] = []
    for pk in candidates:
        with _one_at_a_time("case file", pk):
            case_file = (
                CaseFile.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("person", "forum")
                .filter(pk=pk, closed_at__isnull=True)
                .first()
            )
            if case_file is None or case_file.expected_release_date is None:
                continue
            release = case_file.expected_release_date
            for kind in release_kinds_due(release, today):
                if ReleaseReminderSent.objects.filter(
                    case_file=case_file, kind=kind, release_date=release
                ).exists():
                    continue
                recipients = tuple(
                    sorted(
                        set(
                            Membership.objects.current(today)
                            .filter(forum_id=case_file.forum_id, role__in=Membership.MANAGING_ROLES)
                            .values_list("user_id", flat=True)
                        )
                    )
                )
                reminder = Reminder(case_file.pk, f"release_{kind}", release, recipients)
                if not dry_run:
                    ReleaseReminderSent.objects.create(
                        case_file=case_file, kind=kind, release_date=release
                    )
                    _send(
                        recipients,
                        kind=f"release_{kind}",
                        subject=_("Tværs: løsladelse nærmer sig for %(p)s")
                        % {"p": case_file.person.pseudonym},
                        context={
                            "kind": f"release_{kind}",
                            "pseudonym": case_file.person.pseudonym,
                            "forum": case_file.forum.name,
                            "due_date": release,
                        },
                        link=reverse("coordination:person-detail", args=[case_file.person_id]),
                        forum_id=case_file.forum_id,
                        today=today,
                    )
                done.append(reminder)
    return done


def digest_sweep(*, today: datetime.date | None = None) -> int:
    """Weekly: each user with open actions gets one digest (counts and pseudonyms, links),
    listing only the actions of forums the user is still a member of."""
    today = today or timezone.localdate()
    year, week, _weekday = today.isocalendar()
    label = f"{year}-W{week:02d}"
    open_actions = PlanAction.objects.filter(
        _owner_is_member(today),
        status=PlanAction.Status.OPEN,
        plan__case_file__closed_at__isnull=True,
    )
    owners = open_actions.values_list("owner_id", flat=True).distinct()
    sent = 0
    for user in User.objects.filter(pk__in=owners, is_active=True):
        with _one_at_a_time("digest for user", user.pk):
            _digest, created = DigestSent.objects.get_or_create(user=user, week=label)
            if not created:
                continue
            actions = list(
                open_actions.filter(owner=user)
                .select_related("plan__case_file__person")
                .order_by("due_date")
            )
            context = {
                "week": label,
                "items": [
                    {
                        "pseudonym": a.plan.case_file.person.pseudonym,
                        "due_date": a.due_date,
                        "overdue": a.due_date < today,
                    }
                    for a in actions
                ],
                "overdue": sum(1 for a in actions if a.due_date < today),
                "url": f"{settings.SITE_URL}{reverse('coordination:my-tasks')}",
            }
            subject = _("Tværs: dine åbne handlinger, uge %(w)s") % {"w": week}
            message = EmailMultiAlternatives(
                subject,
                render_to_string("coordination/email/digest.txt", context),
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
            )
            message.attach_alternative(
                render_to_string("coordination/email/digest.html", context), "text/html"
            )
            message.send()
            sent += 1
    return sent
