"""Invited guests: one item and that person's plan, until a few days after the session."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from coordination.meetings import guest_invite, item_record
from coordination.models import AgendaGuest, AgendaItem, ForumSession
from coordination.plans import plan_save
from core.models import Notification
from tests.factories import UserFactory
from tests.world import NECESSITY


@pytest.fixture
def meeting(world):
    session = ForumSession.objects.create(
        forum=world.forum,
        starts_at=timezone.now() + datetime.timedelta(days=1),
        created_by=world.coordinator,
    )
    item = AgendaItem(session=session, case_file=world.case_file, kind="new", order=1)
    item.save()
    plan_save(actor=world.coordinator, case_file=world.case_file, goals="Mål som gæsten må se")
    teacher = UserFactory.create(
        full_name="Klara Klasselærer", agency=world.school, roles=["member"]
    )
    return session, item, teacher


@pytest.mark.django_db
def test_chair_invites_a_guest_who_sees_the_item_and_plan_only(world, meeting, client):
    session, item, teacher = meeting
    guest_invite(actor=world.chair, item=item, email=teacher.email.upper(), necessity=NECESSITY)
    client.force_login(teacher)

    page = client.get(reverse("coordination:item-detail", args=[item.pk]))

    assert page.status_code == 200
    assert "Mål som gæsten må se" in page.content.decode()
    assert client.get(reverse("coordination:session-detail", args=[session.pk])).status_code == 404
    assert (
        client.get(reverse("coordination:person-detail", args=[world.person.pk])).status_code == 404
    )
    assert client.get(f"/api/v1/persons/{world.person.pk}/").status_code == 404
    assert client.get(f"/api/v1/case-files/{world.case_file.pk}/notes/").status_code == 404
    assert Notification.objects.filter(recipient=teacher, kind="guest_invited").exists()


@pytest.mark.django_db
def test_guest_access_ends_by_itself(world, meeting, client):
    _session, item, teacher = meeting
    invitation = guest_invite(
        actor=world.chair, item=item, email=teacher.email, necessity=NECESSITY
    )
    assert invitation.valid_until == timezone.localdate() + datetime.timedelta(days=8)
    AgendaGuest.objects.filter(pk=invitation.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    client.force_login(teacher)

    assert client.get(reverse("coordination:item-detail", args=[item.pk])).status_code == 404


@pytest.mark.django_db
def test_only_the_chair_invites_and_members_are_not_guests(world, meeting, client):
    _session, item, teacher = meeting
    client.force_login(world.coordinator)

    assert (
        client.post(
            reverse("coordination:item-guest-invite", args=[item.pk]), {"email": teacher.email}
        ).status_code
        == 403
    )
    client.force_login(world.chair)
    client.post(
        reverse("coordination:item-guest-invite", args=[item.pk]),
        {"email": world.police_member.email},
    )

    assert not AgendaGuest.objects.exists()


@pytest.mark.django_db
def test_a_guest_can_be_recorded_as_attendee(world, meeting):
    _session, item, teacher = meeting
    guest_invite(actor=world.chair, item=item, email=teacher.email, necessity=NECESSITY)

    recorded = item_record(
        actor=world.coordinator,
        item=item,
        mode="anonymous",
        necessity=NECESSITY,
        presenting_agency=world.school,
        minutes="Klasselæreren fortalte om trivslen.",
        attendees=[world.chair, teacher],
    )

    assert set(recorded.attendees.all()) == {world.chair, teacher}
