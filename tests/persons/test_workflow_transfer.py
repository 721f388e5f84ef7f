"""Turning 18 in SSP (issue 11): flagged three months ahead, moved to SSP+ or PSP by a
recorded decision that links the two case files."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from audit.models import Disclosure
from forums.models import Forum, ForumKind
from persons.models import CaseFile, CaseFileTransfer, FocusPerson
from persons.selectors import turning_18_soon
from persons.workflow import casefile_transfer
from tests.factories import MunicipalityFactory
from tests.persons.workflow_helpers import (
    ADULT_SOON_NAME,
    REASON,
    adult_soon_case_file,
    member,
    raw_column,
)

INSIDERS = ["school_member", "police_member", "outsider", "expired_member", "dpo", "admin"]


@pytest.fixture
def plus(world):
    forum = Forum.objects.create(
        name="SSP+ Test",
        kind=ForumKind.SSP_PLUS,
        municipality=world.forum.municipality,
        age_min=18,
        age_max=25,
    )
    member(forum, world.coordinator)
    return forum


@pytest.mark.django_db
def test_a_person_turning_18_within_three_months_is_flagged_for_managers_only(world):
    soon = adult_soon_case_file(world, days=45)

    assert list(turning_18_soon(user=world.coordinator)) == [soon]
    assert list(turning_18_soon(user=world.chair)) == [soon]
    for name in INSIDERS:
        assert soon not in turning_18_soon(user=getattr(world, name))


@pytest.mark.django_db
def test_the_flag_counts_months_and_an_unknown_month_as_january(world):
    soon = adult_soon_case_file(world, days=45)
    persons = FocusPerson.objects.filter(pk=soon.person_id)
    today = timezone.localdate()

    later = today + datetime.timedelta(days=150)  # the 18th birthday five months ahead
    persons.update(birth_year=later.year - 18, birth_month=later.month)
    assert list(turning_18_soon(user=world.coordinator)) == []

    persons.update(birth_year=today.year - 18, birth_month=None)
    assert list(turning_18_soon(user=world.coordinator)) == [soon]

    persons.update(birth_year=today.year - 17, birth_month=None)  # from 1 October
    expected = [soon] if today.month >= 10 else []
    assert list(turning_18_soon(user=world.coordinator)) == expected


@pytest.mark.django_db
def test_the_world_person_of_fourteen_is_not_flagged(world):
    assert world.case_file not in turning_18_soon(user=world.coordinator)


@pytest.mark.django_db
def test_the_transfer_opens_the_target_closes_ssp_and_links_them(world, plus):
    soon = adult_soon_case_file(world)
    before = Disclosure.objects.count()

    transfer = casefile_transfer(
        actor=world.coordinator, case_file=soon, target_forum=plus, reason=REASON
    )

    old = CaseFile.objects.get(pk=soon.pk)
    new = transfer.to_case_file
    assert transfer.from_case_file == old and transfer.decided_by == world.coordinator
    assert old.closed_at is not None and "SSP+ Test" in old.closed_reason
    assert REASON not in old.closed_reason
    assert new.forum == plus and new.is_open and new.person_id == soon.person_id
    assert new.known_identity().name == ADULT_SOON_NAME
    assert Disclosure.objects.count() == before + 1
    assert Disclosure.objects.order_by("-pk")[0].forum_id == plus.pk
    stored = raw_column("persons_casefiletransfer", "reason", transfer.pk)
    assert stored is not None and REASON.encode() not in stored
    # No longer flagged: it moved on.
    assert list(turning_18_soon(user=world.coordinator)) == []


@pytest.mark.django_db
def test_a_person_not_turning_18_soon_is_not_transferred(world, plus):
    with pytest.raises(ValidationError) as refused:
        casefile_transfer(
            actor=world.coordinator, case_file=world.case_file, target_forum=plus, reason=REASON
        )

    assert "case_file" in refused.value.message_dict
    assert CaseFile.objects.get(pk=world.case_file.pk).is_open


@pytest.mark.django_db
def test_the_transfer_needs_a_reason_an_adult_forum_and_the_same_municipality(world, plus):
    soon = adult_soon_case_file(world)
    elsewhere = Forum.objects.create(
        name="PSP Fjern", kind=ForumKind.PSP, municipality=MunicipalityFactory.create(code="204")
    )
    member(elsewhere, world.coordinator)
    member(world.other_forum, world.coordinator)

    for target, reason, field in [
        (plus, "kort", "reason"),
        (elsewhere, REASON, "target_forum"),
        (world.other_forum, REASON, "target_forum"),  # SSP to SSP is no move at 18
    ]:
        with pytest.raises(ValidationError) as refused:
            casefile_transfer(
                actor=world.coordinator, case_file=soon, target_forum=target, reason=reason
            )
        assert field in refused.value.message_dict
    assert CaseFile.objects.get(pk=soon.pk).is_open
    assert not CaseFileTransfer.objects.exists()


@pytest.mark.django_db
def test_the_actor_must_run_the_target_forum_too(world, plus):
    soon = adult_soon_case_file(world)

    with pytest.raises(ValidationError) as refused:
        casefile_transfer(actor=world.chair, case_file=soon, target_forum=plus, reason=REASON)

    assert "target_forum" in refused.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("name", INSIDERS)
def test_insiders_cannot_transfer(world, plus, name):
    soon = adult_soon_case_file(world)
    member(plus, getattr(world, name))

    with pytest.raises((PermissionDenied, Http404)):
        casefile_transfer(
            actor=getattr(world, name), case_file=soon, target_forum=plus, reason=REASON
        )
    assert not CaseFileTransfer.objects.exists()


@pytest.mark.django_db
def test_the_person_page_flags_and_the_transfer_page_moves(world, plus, client):
    soon = adult_soon_case_file(world)
    client.force_login(world.coordinator)

    page = client.get(reverse("coordination:person-detail", args=[soon.person_id]))
    assert "Fylder 18" in page.content.decode()
    url = reverse("persons:casefile-transfer", args=[soon.pk])
    assert url in page.content.decode()
    assert client.get(url).status_code == 200

    bad = client.post(url, {"target_forum": plus.pk, "reason": "kort"})
    assert bad.status_code == 400 and 'id="id_reason_error"' in bad.content.decode()

    response = client.post(url, {"target_forum": plus.pk, "reason": REASON})
    assert response.status_code == 302
    assert CaseFileTransfer.objects.filter(from_case_file=soon).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", INSIDERS)
def test_everyone_else_gets_404_on_the_transfer_page(world, plus, client, name):
    soon = adult_soon_case_file(world)
    client.force_login(getattr(world, name))
    url = reverse("persons:casefile-transfer", args=[soon.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"target_forum": plus.pk, "reason": REASON}).status_code == 404
    assert not CaseFileTransfer.objects.exists()
