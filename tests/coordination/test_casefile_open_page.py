"""Putting a person on another forum's list from the person page."""

import datetime

import pytest
from django.urls import reverse

from forums.models import Forum, ForumKind, Membership
from persons.models import CaseFile
from tests.world import NECESSITY


@pytest.fixture
def plus_forum(world):
    forum = Forum.objects.create(
        name="SSP Tre", kind=ForumKind.SSP, municipality=world.forum.municipality, age_max=17
    )
    Membership.objects.create(
        forum=forum,
        user=world.coordinator,
        role="coordinator",
        valid_from=datetime.date(2026, 1, 1),
    )
    return forum


@pytest.mark.django_db
def test_coordinator_opens_a_case_file_on_a_forum_they_run(world, plus_forum, client):
    client.force_login(world.coordinator)

    response = client.post(
        reverse("coordination:casefile-open", args=[world.person.pk]),
        {"forum": plus_forum.pk, "consent": "not_sought", "necessity": NECESSITY},
    )

    assert response.status_code == 302
    assert CaseFile.objects.open().filter(person=world.person, forum=plus_forum).count() == 1


@pytest.mark.django_db
def test_refused_consent_without_reason_is_a_danish_400_and_opens_nothing(
    world, plus_forum, client
):
    client.force_login(world.coordinator)

    response = client.post(
        reverse("coordination:casefile-open", args=[world.person.pk]),
        {"forum": plus_forum.pk, "consent": "refused", "necessity": NECESSITY},
    )

    assert response.status_code == 400
    assert "samtykke er afvist" in response.content.decode()
    assert not CaseFile.objects.filter(forum=plus_forum).exists()
