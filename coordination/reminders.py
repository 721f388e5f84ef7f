"""Reminders of plan actions. PostgreSQL is the outbox: the daily sweep finds what is due in
the database, claims each action with SELECT ... FOR UPDATE SKIP LOCKED (two workers never
handle the same one), and records every delivery under a unique (action, kind, due date), so a
second sweep, a lost message or a restarted worker sends nothing twice. Task arguments are
never text; emails carry a pseudonym and a link, never identity or content."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from coordination.models import PlanAction, ReminderSent
from core.models import Notification
from forums.models import Membership


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


def _recipients(action: PlanAction, kind: str) -> tuple[int, ...]:
    if kind != ReminderSent.Kind.ESCALATED:
        return (action.owner_id,)
    chairs = Membership.objects.current().filter(
        forum_id=action.plan.case_file.forum_id, role=Membership.Role.CHAIR
    )
    return tuple(sorted(set(chairs.values_list("user_id", flat=True))))


def _deliver(action: PlanAction, kind: str, recipient_ids: tuple[int, ...]) -> None:
    person = action.plan.case_file.person
    forum = action.plan.case_file.forum
    link = reverse("coordination:person-detail", args=[person.pk])
    context = {
        "kind": kind,
        "pseudonym": person.pseudonym,
        "forum": forum.name,
        "due_date": action.due_date,
        "url": f"{settings.SITE_URL}{link}",
    }
    subject = _("Tværs: påmindelse om handling for %(pseudonym)s") % {"pseudonym": person.pseudonym}
    text = render_to_string("coordination/email/reminder.txt", context)
    html = render_to_string("coordination/email/reminder.html", context)
    for user in User.objects.filter(pk__in=recipient_ids, is_active=True):
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
        message.attach_alternative(html, "text/html")
        message.send()
        Notification.objects.create(
            recipient=user, kind=f"reminder_{kind}", message=subject, link=link
        )


def sweep(*, today: datetime.date | None = None, dry_run: bool = False) -> list[Reminder]:
    """Send every reminder due today that was not sent before; returns what was (or, dry,
    would be) sent."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.REMINDER_DAYS_BEFORE)
    candidates = list(
        PlanAction.objects.filter(
            status=PlanAction.Status.OPEN,
            due_date__lte=horizon,
            plan__case_file__closed_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    done: list[Reminder] = []
    for pk in candidates:
        # One transaction per action: a failure (mail server down) rolls back only its own
        # records, and the next sweep tries again.
        with transaction.atomic():
            action = (
                PlanAction.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("plan__case_file__person", "plan__case_file__forum")
                .filter(pk=pk, status=PlanAction.Status.OPEN)
                .first()
            )
            if action is None:  # another worker holds it, or it was closed meanwhile
                continue
            for kind in kinds_due(action, today):
                if ReminderSent.objects.filter(
                    action=action, kind=kind, due_date=action.due_date
                ).exists():
                    continue
                reminder = Reminder(action.pk, kind, action.due_date, _recipients(action, kind))
                if not dry_run:
                    ReminderSent.objects.create(action=action, kind=kind, due_date=action.due_date)
                    _deliver(action, kind, reminder.recipient_ids)
                done.append(reminder)
    return done
