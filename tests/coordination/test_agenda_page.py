"""The chair or coordinator adds, moves and removes agenda items on the session page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from coordination.meetings import session_create
from coordination.models import AgendaItem
from persons.services import IdentityInput, concern_register
from tests.world import NECESSITY


@pytest.mark.django_db
def test_coordinator_reorders_removes_and_adds_items(world, client):
    concern_register(
        actor=world.school_member,
        forum=world.forum,
        identity=IdentityInput(name="Anden Elev", cpr="0607134321"),
        categories=["vold"],
        description="Endnu en bekymring",
        source_agency=world.school,
        necessity=NECESSITY,
    )
    session = session_create(
        actor=world.coordinator,
        forum=world.forum,
        starts_at=timezone.now() + datetime.timedelta(days=1),
    )
    first, second = session.items.order_by("order")
    url = reverse("coordination:session-agenda", args=[session.pk])
    client.force_login(world.coordinator)

    client.post(url, {"operation": "down", "item": first.pk})
    assert list(session.items.order_by("order").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]

    client.post(url, {"operation": "remove", "item": first.pk})
    assert list(session.items.values_list("pk", flat=True)) == [second.pk]

    client.post(url, {"operation": "add", "case_file": first.case_file_id})
    assert AgendaItem.objects.filter(
        session=session, case_file_id=first.case_file_id, kind="review"
    ).exists()

    page = client.get(reverse("coordination:session-detail", args=[session.pk])).content.decode()
    assert "Flyt op" in page and "Fjern fra dagsordenen" in page


@pytest.mark.django_db
def test_a_plain_member_cannot_edit_the_agenda(world, client):
    session = session_create(
        actor=world.coordinator,
        forum=world.forum,
        starts_at=timezone.now() + datetime.timedelta(days=1),
    )
    item = session.items.get()
    client.force_login(world.school_member)

    response = client.post(
        reverse("coordination:session-agenda", args=[session.pk]),
        {"operation": "remove", "item": item.pk},
    )

    assert response.status_code == 403
    assert session.items.filter(pk=item.pk).exists()
