"""Former members hear nothing: no reminder, digest or notification reaches a user whose
membership of the forum has ended. An open action whose owner has left is told to the forum's
chair instead, once (recorded in ReminderSent like every reminder)."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from accounts.models import User
from coordination import reminders
from coordination.models import DigestSent, Plan, PlanAction, ReminderSent
from coordination.plans import action_create, plan_save
from core.models import Notification
from forums.models import Forum, Membership
from forums.services import membership_end
from persons.models import CaseFile
from tests.world import World

pytestmark = pytest.mark.django_db

DESCRIPTION = "Skolen afholder samtale med forældrene om fraværet"
GOALS = "Mål om trivsel og fremmøde"


def due_day() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=10)


def shift(day: datetime.date, n: int) -> datetime.date:
    return day + datetime.timedelta(days=n)


@pytest.fixture
def plan(world: World) -> Plan:
    return plan_save(actor=world.coordinator, case_file=world.case_file, goals=GOALS)


def make_action(world: World, plan: Plan, owner: User, due: datetime.date) -> PlanAction:
    return action_create(
        actor=world.coordinator,
        plan=plan,
        description=DESCRIPTION,
        responsible_agency=owner.agency or world.school,
        owner=owner,
        due_date=due,
    )


def leave(world: World, user: User, forum: Forum | None = None, role: str | None = None) -> None:
    memberships = Membership.objects.filter(user=user, forum=forum or world.forum)
    if role:
        memberships = memberships.filter(role=role)
    for membership in memberships:
        membership_end(actor=world.coordinator, membership=membership)


def sweep_on(day: datetime.date) -> list[reminders.Reminder]:
    mail.outbox.clear()
    return reminders.sweep(today=day)


def addressees() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_a_former_owner_gets_no_email_and_no_notification(world, plan):
    action = make_action(world, plan, world.school_member, due_day())
    leave(world, world.school_member)

    for n in (-3, 0, 1, 3, 5):
        sweep_on(shift(action.due_date, n))
        assert world.school_member.email not in addressees(), n

    assert not Notification.objects.filter(recipient=world.school_member).exists()
    assert not ReminderSent.objects.filter(
        action=action, kind__in=["before", "due", "overdue"]
    ).exists()


def test_the_chair_is_told_once_that_the_owner_has_left(world, plan):
    action = make_action(world, plan, world.school_member, due_day())
    leave(world, world.school_member)

    first = sweep_on(shift(action.due_date, -3))
    first_mail = list(mail.outbox)
    second = sweep_on(shift(action.due_date, -3))  # the same day again
    third = sweep_on(shift(action.due_date, -2))  # and the next day

    assert [(r.kind, r.recipient_ids) for r in first] == [("owner_left", (world.chair.pk,))]
    assert second == [] and third == []
    assert [m.to for m in first_mail] == [[world.chair.email]]
    assert mail.outbox == []
    notices = Notification.objects.filter(kind="reminder_owner_left")
    assert [n.recipient for n in notices] == [world.chair]
    assert ReminderSent.objects.filter(action=action, kind="owner_left").count() == 1
    message = first_mail[0]
    assert isinstance(message, EmailMultiAlternatives)
    link = f"/sager/{world.case_file.pk}/plan/"
    assert world.person.pseudonym in message.subject
    assert world.person.pseudonym in message.body
    assert f"{settings.SITE_URL}{link}" in message.body
    assert "ikke længere er medlem" in message.body
    assert notices[0].link == link
    for part in (message.subject, message.body, str(message.alternatives[0][0])):
        assert DESCRIPTION not in part and GOALS not in part
        assert world.school_member.full_name not in part


def test_the_chair_hears_of_a_left_owner_long_before_the_due_date(world, plan):
    far = make_action(
        world, plan, world.school_member, timezone.localdate() + datetime.timedelta(60)
    )
    leave(world, world.school_member)

    done = sweep_on(timezone.localdate())

    assert [(r.action_id, r.kind) for r in done] == [(far.pk, "owner_left")]
    assert addressees() == [world.chair.email]


def test_a_left_owners_overdue_action_still_escalates_to_the_chair(world, plan):
    action = make_action(world, plan, world.school_member, due_day())
    leave(world, world.school_member)

    done = sweep_on(shift(action.due_date, 3))

    assert sorted(r.kind for r in done) == ["escalated", "owner_left"]
    assert addressees() == [world.chair.email, world.chair.email]
    assert world.school_member.email not in addressees()


def test_a_former_chair_gets_no_escalation_the_coordinator_does(world, plan):
    action = make_action(world, plan, world.school_member, due_day())
    leave(world, world.chair, role=Membership.Role.CHAIR)

    done = sweep_on(shift(action.due_date, 3))

    escalated = [r for r in done if r.kind == "escalated"]
    assert [r.recipient_ids for r in escalated] == [(world.coordinator.pk,)]
    assert world.chair.email not in addressees()
    assert not Notification.objects.filter(recipient=world.chair).exists()


def test_a_current_owner_is_still_reminded(world, plan):
    action = make_action(world, plan, world.school_member, due_day())

    done = sweep_on(shift(action.due_date, -3))

    assert [(r.kind, r.recipient_ids) for r in done] == [("before", (world.school_member.pk,))]
    assert not ReminderSent.objects.filter(kind="owner_left").exists()


def test_the_digest_skips_former_members(world, plan):
    make_action(world, plan, world.school_member, due_day())
    make_action(world, plan, world.police_member, due_day())
    leave(world, world.school_member)
    mail.outbox.clear()

    sent = reminders.digest_sweep(today=shift(due_day(), -5))

    assert sent == 1
    assert addressees() == [world.police_member.email]
    assert not DigestSent.objects.filter(user=world.school_member).exists()


def test_release_reminders_skip_a_former_chair(world):
    CaseFile.objects.filter(pk=world.case_file.pk).update(
        expected_release_date=timezone.localdate() + datetime.timedelta(days=30)
    )
    leave(world, world.chair, role=Membership.Role.CHAIR)
    mail.outbox.clear()

    done = reminders.release_sweep()

    assert [r.recipient_ids for r in done] == [(world.coordinator.pk,)]
    assert addressees() == [world.coordinator.email]
    assert not Notification.objects.filter(recipient=world.chair).exists()
