"""The reminder sweep, in process: which reminder is due on which day, each sent once, to
whom, and emails that carry a pseudonym and a link but no personal data or content."""

from __future__ import annotations

import contextlib
import datetime
import smtplib
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.utils import timezone

from coordination import reminders
from coordination.models import Plan, PlanAction, ReminderSent
from coordination.plans import action_create, action_update, plan_save
from core.models import Notification
from persons.services import casefile_update
from tests.world import (
    AGENCY_NOTE_TEXT,
    CONCERN_TEXT,
    FORUM_NOTE_TEXT,
    PERSON_CPR,
    PERSON_NAME,
    World,
)

pytestmark = pytest.mark.django_db

GOALS = "Mål om trivsel og fremmøde i skolen hver dag"
DESCRIPTION = "Skolen afholder samtale med forældrene om fraværet"
ADDRESS = "Testvej 12"
PERSON_FORBIDDEN = (
    PERSON_NAME,
    "Testbarn",
    PERSON_CPR,
    "010312-4567",
    ADDRESS,
    DESCRIPTION,
    GOALS,
    AGENCY_NOTE_TEXT,
    FORUM_NOTE_TEXT,
    CONCERN_TEXT,
)


def due_day() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=10)


def shift(day: datetime.date, n: int) -> datetime.date:
    return day + datetime.timedelta(days=n)


@pytest.fixture
def plan(world) -> Plan:
    return plan_save(actor=world.coordinator, case_file=world.case_file, goals=GOALS)


def make_action(world: World, plan: Plan, due: datetime.date) -> PlanAction:
    return action_create(
        actor=world.coordinator,
        plan=plan,
        description=DESCRIPTION,
        responsible_agency=world.school,
        owner=world.school_member,
        due_date=due,
    )


@pytest.fixture
def action(world, plan) -> PlanAction:
    return make_action(world, plan, due_day())


def kinds_sent(action: PlanAction) -> list[str]:
    return sorted(ReminderSent.objects.filter(action=action).values_list("kind", flat=True))


def sweep_on(day: datetime.date) -> list[reminders.Reminder]:
    mail.outbox.clear()
    return reminders.sweep(today=day)


# --- When each reminder is due ---------------------------------------------------------------


def test_four_days_before_sends_nothing(world, action):
    assert settings.REMINDER_DAYS_BEFORE == 3
    assert sweep_on(shift(action.due_date, -4)) == []
    assert mail.outbox == []
    assert not ReminderSent.objects.exists()


def test_three_days_before_sends_one_before_email_to_the_owner(world, action):
    done = sweep_on(shift(action.due_date, -3))

    assert [(r.action_id, r.kind, r.due_date) for r in done] == [
        (action.pk, "before", action.due_date)
    ]
    assert done[0].recipient_ids == (world.school_member.pk,)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [world.school_member.email]
    assert kinds_sent(action) == ["before"]


def test_a_second_sweep_the_same_day_sends_nothing(world, action):
    day = shift(action.due_date, -3)
    assert len(sweep_on(day)) == 1
    assert len(mail.outbox) == 1

    assert sweep_on(day) == []
    assert mail.outbox == []
    assert ReminderSent.objects.filter(action=action).count() == 1
    assert Notification.objects.filter(kind__startswith="reminder_").count() == 1


def test_before_is_not_repeated_on_the_following_days(world, action):
    sweep_on(shift(action.due_date, -3))
    for n in (-2, -1):
        assert sweep_on(shift(action.due_date, n)) == []
        assert mail.outbox == []
    assert kinds_sent(action) == ["before"]


def test_the_whole_sequence_sends_each_kind_exactly_once(world, action):
    due = action.due_date
    expected = {
        -4: [],
        -3: [("before", world.school_member)],
        -2: [],
        -1: [],
        0: [("due", world.school_member)],
        1: [("overdue", world.school_member)],
        2: [],
        3: [("escalated", world.chair)],
        4: [],
        10: [],
    }
    for n, wanted in expected.items():
        for attempt in range(2):  # a second sweep on the same day is a no-op
            done = sweep_on(shift(due, n))
            if attempt:
                assert done == [], f"day {n}: the second sweep sent {done}"
                assert mail.outbox == []
                continue
            assert [r.kind for r in done] == [kind for kind, _ in wanted], f"day {n}"
            assert [m.to for m in mail.outbox] == [[user.email] for _, user in wanted], f"day {n}"
    assert kinds_sent(action) == ["before", "due", "escalated", "overdue"]
    assert all(r.due_date == due for r in ReminderSent.objects.all())


def test_escalation_goes_to_the_chair_not_the_owner(world, action):
    sweep_on(shift(action.due_date, 1))  # overdue to the owner
    done = sweep_on(shift(action.due_date, 3))

    assert [r.kind for r in done] == ["escalated"]
    assert done[0].recipient_ids == (world.chair.pk,)
    assert [m.to for m in mail.outbox] == [[world.chair.email]]
    assert Notification.objects.filter(recipient=world.chair, kind="reminder_escalated").exists()
    assert not Notification.objects.filter(
        recipient=world.school_member, kind="reminder_escalated"
    ).exists()


def test_a_first_sweep_long_after_the_due_date_sends_overdue_and_escalation_once(world, action):
    done = sweep_on(shift(action.due_date, 7))
    assert sorted(r.kind for r in done) == ["escalated", "overdue"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.school_member.email, world.chair.email]
    )
    assert sweep_on(shift(action.due_date, 8)) == []


def test_a_new_due_date_makes_a_new_before_reminder_due(world, action):
    old_due = action.due_date
    sweep_on(shift(old_due, -3))
    assert kinds_sent(action) == ["before"]
    new_due = shift(old_due, 7)

    action_update(actor=world.coordinator, action=action, version=action.version, due_date=new_due)

    assert sweep_on(shift(new_due, -4)) == []  # the old "before" is not repeated either
    done = sweep_on(shift(new_due, -3))
    assert [(r.kind, r.due_date) for r in done] == [("before", new_due)]
    assert [m.to for m in mail.outbox] == [[world.school_member.email]]
    assert sorted(ReminderSent.objects.values_list("kind", "due_date")) == sorted(
        [("before", old_due), ("before", new_due)]
    )


def test_a_done_action_gets_nothing(world, action):
    action_update(actor=world.school_member, action=action, version=action.version, status="done")
    for n in (-3, 0, 1, 3):
        assert sweep_on(shift(action.due_date, n)) == []
        assert mail.outbox == []
    assert not ReminderSent.objects.exists()
    assert not Notification.objects.filter(kind__startswith="reminder_").exists()


def test_a_cancelled_action_and_a_closed_case_file_get_nothing(world, plan):
    cancelled = make_action(world, plan, due_day())
    action_update(
        actor=world.coordinator, action=cancelled, version=cancelled.version, status="cancelled"
    )
    assert sweep_on(due_day()) == []
    open_one = make_action(world, plan, due_day())
    casefile_update(actor=world.coordinator, case_file=world.case_file, closed_reason="Afsluttet")
    assert PlanAction.objects.get(pk=open_one.pk).status == "open"
    assert sweep_on(due_day()) == []
    assert mail.outbox == []
    assert not ReminderSent.objects.exists()


def test_dry_run_sends_and_records_nothing(world, action):
    mail.outbox.clear()
    done = reminders.sweep(today=shift(action.due_date, -3), dry_run=True)

    assert [(r.action_id, r.kind) for r in done] == [(action.pk, "before")]
    assert mail.outbox == []
    assert not ReminderSent.objects.exists()
    assert not Notification.objects.filter(kind__startswith="reminder_").exists()
    # the real sweep afterwards still sends it
    assert [r.kind for r in sweep_on(shift(action.due_date, -3))] == ["before"]
    assert len(mail.outbox) == 1


def test_send_reminders_command_dry_run_prints_what_it_would_send(world, plan):
    soon = make_action(world, plan, timezone.localdate() + datetime.timedelta(days=2))
    today = make_action(world, plan, timezone.localdate())
    make_action(world, plan, timezone.localdate() + datetime.timedelta(days=30))  # not yet
    out = StringIO()
    mail.outbox.clear()

    call_command("send_reminders", "--dry-run", stdout=out)

    lines = out.getvalue().splitlines()
    assert f"would send: action {soon.pk} before (due {soon.due_date})" in lines
    assert f"would send: action {today.pk} due (due {today.due_date})" in lines
    assert "2 reminders would send." in lines
    assert len(lines) == 3
    assert mail.outbox == []
    assert not ReminderSent.objects.exists()


def test_send_reminders_command_sends(world, plan):
    soon = make_action(world, plan, timezone.localdate() + datetime.timedelta(days=1))
    out = StringIO()
    mail.outbox.clear()

    call_command("send_reminders", stdout=out)

    assert f"sent: action {soon.pk} before (due {soon.due_date})" in out.getvalue()
    assert len(mail.outbox) == 1
    assert kinds_sent(soon) == ["before"]
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "0 reminders sent." in out.getvalue()


# --- What the emails and notifications say ---------------------------------------------------


def test_emails_carry_pseudonym_and_link_but_no_personal_data_or_content(world, action):
    link = f"{settings.SITE_URL}/personer/{world.person.pk}/"
    for n in (-3, 0, 1, 3):
        sweep_on(shift(action.due_date, n))
        assert len(mail.outbox) == 1, n
        message = mail.outbox[0]
        assert isinstance(message, EmailMultiAlternatives)
        assert len(message.alternatives) == 1
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        for part in (message.body, str(html)):
            assert world.person.pseudonym in part
            assert link in part
        for part in (message.subject, message.body, str(html), message.message().as_string()):
            for forbidden in PERSON_FORBIDDEN:
                assert forbidden not in part, (n, forbidden)
        assert world.person.pseudonym in message.subject


def test_one_notification_per_recipient_and_kind(world, action):
    for n in (-3, -3, 0, 1, 1, 3, 3, 5):
        sweep_on(shift(action.due_date, n))

    owner_kinds = sorted(
        Notification.objects.filter(recipient=world.school_member).values_list("kind", flat=True)
    )
    chair_kinds = sorted(
        Notification.objects.filter(recipient=world.chair).values_list("kind", flat=True)
    )
    assert owner_kinds == ["reminder_before", "reminder_due", "reminder_overdue"]
    assert chair_kinds == ["reminder_escalated"]
    assert not Notification.objects.filter(
        kind__startswith="reminder_",
        recipient__in=[world.coordinator, world.police_member, world.outsider],
    ).exists()
    for notification in Notification.objects.filter(kind__startswith="reminder_"):
        assert notification.link == f"/personer/{world.person.pk}/"
        assert world.person.pseudonym in notification.message
        for forbidden in PERSON_FORBIDDEN:
            assert forbidden not in notification.message


# --- One undeliverable reminder ----------------------------------------------------------


def test_an_undeliverable_reminder_does_not_block_the_others(world, plan, monkeypatch):
    """The mail server refuses one recipient (a mistyped address) for good. That reminder is
    not recorded, so a later sweep retries it, but every other reminder due goes out: one
    action's failure rolls back only its own records (coordination/reminders.py)."""
    due = due_day()
    refused = action_create(  # the earliest due date: the sweep meets it first
        actor=world.coordinator,
        plan=plan,
        description=DESCRIPTION,
        responsible_agency=world.police,
        owner=world.police_member,
        due_date=shift(due, -1),
    )
    fine = make_action(world, plan, due)
    original = locmem.EmailBackend.send_messages

    def send_messages(self: locmem.EmailBackend, messages: Any) -> int:
        for message in messages:
            if world.police_member.email in message.to:
                raise smtplib.SMTPRecipientsRefused(
                    {world.police_member.email: (550, b"No such user")}
                )
        return original(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", send_messages)
    mail.outbox.clear()

    with contextlib.suppress(smtplib.SMTPException):
        reminders.sweep(today=shift(due, -3))  # "before" is due for both

    assert kinds_sent(refused) == []  # rolled back: the next sweep tries again
    assert kinds_sent(fine) == ["before"]
    assert [m.to for m in mail.outbox] == [[world.school_member.email]]
    assert Notification.objects.filter(
        recipient=world.school_member, kind="reminder_before"
    ).exists()
