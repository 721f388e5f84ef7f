"""KSP release reminders (12 and 3 months before, on the day) and the weekly digest."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from coordination import reminders
from coordination.models import DigestSent, ReleaseReminderSent
from coordination.plans import action_create, plan_save
from forums.models import Forum, ForumKind, Membership
from persons.services import IdentityInput, casefile_update, concern_register
from tests.world import AGENCY_NOTE_TEXT, NECESSITY, PERSON_NAME

RELEASE = datetime.date(2027, 9, 15)


@pytest.fixture
def ksp_case(world):
    forum = Forum.objects.create(
        name="KSP Test", kind=ForumKind.KSP, municipality=world.forum.municipality
    )
    Membership.objects.create(
        forum=forum,
        user=world.coordinator,
        role="coordinator",
        valid_from=datetime.date(2026, 1, 1),
    )
    Membership.objects.create(
        forum=forum, user=world.chair, role="chair", valid_from=datetime.date(2026, 1, 1)
    )
    Membership.objects.create(
        forum=forum, user=world.police_member, role="member", valid_from=datetime.date(2026, 1, 1)
    )
    result = concern_register(
        actor=world.coordinator,
        forum=forum,
        identity=IdentityInput(name="Karl Fange", cpr="1109953217"),
        categories=["loesladelse"],
        description="Løsladelse forventet",
        source_agency=world.school,
        necessity=NECESSITY,
        ksp_letter="a",
    )
    return casefile_update(
        actor=world.coordinator, case_file=result.concern.case_file, expected_release_date=RELEASE
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("today", "kind"),
    [
        (datetime.date(2026, 9, 14), None),
        (datetime.date(2026, 9, 15), "12m"),
        (datetime.date(2027, 6, 14), "12m"),
        (datetime.date(2027, 6, 15), "3m"),
        (datetime.date(2027, 9, 15), "day"),
    ],
)
def test_release_reminder_kinds_follow_the_calendar(today, kind):
    assert reminders.release_kinds_due(RELEASE, today) == ([kind] if kind else [])


@pytest.mark.django_db
def test_release_reminders_go_to_coordinator_and_chair_once_each(ksp_case, world):
    for day in [
        datetime.date(2026, 9, 20),
        datetime.date(2026, 9, 21),
        datetime.date(2027, 7, 1),
        datetime.date(2027, 7, 1),
    ]:
        reminders.release_sweep(today=day)

    kinds = sorted(
        ReleaseReminderSent.objects.filter(case_file=ksp_case).values_list("kind", flat=True)
    )
    assert kinds == ["12m", "3m"]
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([world.coordinator.email, world.chair.email] * 2)
    assert all(ksp_case.person.pseudonym in m.body and "Karl" not in m.body for m in mail.outbox)


@pytest.mark.django_db
def test_a_closed_ksp_case_gets_no_release_reminder(ksp_case, world):
    casefile_update(actor=world.coordinator, case_file=ksp_case, closed_reason="Flyttet")

    assert reminders.release_sweep(today=RELEASE) == []


@pytest.mark.django_db
def test_weekly_digest_once_per_user_and_week_without_content(world):
    plan = plan_save(actor=world.coordinator, case_file=world.case_file, goals="Mål")
    for offset in (-2, 5):
        action_create(
            actor=world.coordinator,
            plan=plan,
            description=AGENCY_NOTE_TEXT,
            responsible_agency=world.school,
            owner=world.school_member,
            due_date=datetime.date(2026, 11, 25) + datetime.timedelta(days=offset),
        )

    assert reminders.digest_sweep(today=datetime.date(2026, 11, 23)) == 1
    assert reminders.digest_sweep(today=datetime.date(2026, 11, 25)) == 0  # same ISO week
    assert reminders.digest_sweep(today=datetime.date(2026, 11, 30)) == 1  # next week

    assert DigestSent.objects.filter(user=world.school_member).count() == 2
    first = mail.outbox[0]
    assert first.to == [world.school_member.email]
    assert isinstance(first, EmailMultiAlternatives)
    html = str(first.alternatives[0][0])
    for body in (first.body, html):
        assert world.person.pseudonym in body
        assert PERSON_NAME not in body and AGENCY_NOTE_TEXT not in body
    assert "2 åbne handlinger" in first.body
