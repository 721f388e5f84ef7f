"""Consent records (issue 11): who gave or refused it and when; each change a new row."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from persons.models import CaseFile, ConsentRecord
from persons.workflow import consent_record
from tests.persons.workflow_helpers import REASON, adult_soon_case_file, raw_column

INSIDERS = ["school_member", "police_member", "outsider", "expired_member", "dpo", "admin"]
TODAY = timezone.localdate


def _record(world, case_file=None, **kwargs):
    values = {
        "given_by": "young_person",
        "decision": "obtained",
        "given_on": TODAY(),
    } | kwargs
    return consent_record(actor=world.coordinator, case_file=case_file or world.case_file, **values)


@pytest.mark.django_db
def test_a_young_persons_consent_is_recorded_and_sets_the_case_file(world):
    record = _record(world, note=REASON)

    assert record.recorded_by == world.coordinator and record.note == REASON
    assert CaseFile.objects.get(pk=world.case_file.pk).consent == CaseFile.Consent.OBTAINED
    stored = raw_column("persons_consentrecord", "note", record.pk)
    assert stored is not None and REASON.encode() not in stored


@pytest.mark.django_db
def test_a_change_is_a_new_row_and_the_latest_decides(world):
    _record(world, given_on=TODAY() - datetime.timedelta(days=10))
    _record(world, given_by="custody_holder", decision="withdrawn")
    # Recorded later, but dated earlier: history, not the current state.
    _record(world, decision="obtained", given_on=TODAY() - datetime.timedelta(days=20))

    assert ConsentRecord.objects.filter(case_file=world.case_file).count() == 3
    assert CaseFile.objects.get(pk=world.case_file.pk).consent == CaseFile.Consent.REFUSED


@pytest.mark.django_db
def test_a_minor_does_not_consent_as_an_adult(world):
    with pytest.raises(ValidationError) as refused:
        _record(world, given_by="person")

    assert "given_by" in refused.value.message_dict
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_an_adult_decides_alone(world):
    case_file = adult_soon_case_file(world, days=-40)  # turned 18 about 40 days ago

    with pytest.raises(ValidationError) as refused:
        _record(world, case_file, given_by="custody_holder")
    assert "given_by" in refused.value.message_dict

    _record(world, case_file, given_by="person", decision="refused")
    # Before the 18th birthday the custody holder could decide.
    _record(
        world,
        case_file,
        given_by="custody_holder",
        given_on=TODAY() - datetime.timedelta(days=100),
    )
    assert CaseFile.objects.get(pk=case_file.pk).consent == CaseFile.Consent.REFUSED


@pytest.mark.django_db
def test_a_date_in_the_future_and_unknown_choices_are_refused(world):
    with pytest.raises(ValidationError) as future:
        _record(world, given_on=TODAY() + datetime.timedelta(days=1))
    with pytest.raises(ValidationError) as unknown:
        _record(world, given_by="neighbour", decision="maybe")

    assert "given_on" in future.value.message_dict
    assert {"given_by", "decision"} <= set(unknown.value.message_dict)
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", INSIDERS)
def test_only_the_forums_managers_record_consent(world, name):
    with pytest.raises((PermissionDenied, Http404)):
        consent_record(
            actor=getattr(world, name),
            case_file=world.case_file,
            given_by="young_person",
            decision="obtained",
            given_on=TODAY(),
        )
    assert not ConsentRecord.objects.exists()


def _url(world):
    return reverse("persons:casefile-consent", args=[world.case_file.pk])


@pytest.mark.django_db
def test_the_consent_page_records_and_shows_the_history(world, client):
    client.force_login(world.chair)
    assert client.get(_url(world)).status_code == 200

    response = client.post(
        _url(world),
        {"given_by": "custody_holder", "decision": "obtained", "given_on": TODAY().isoformat()},
    )

    assert response.status_code == 302
    page = client.get(reverse("coordination:person-detail", args=[world.person.pk]))
    body = page.content.decode()
    assert "Forældremyndighedsindehaver" in body and "Registrér samtykke" in body


@pytest.mark.django_db
def test_a_wrong_giver_is_a_danish_400_on_the_field(world, client):
    client.force_login(world.coordinator)

    response = client.post(
        _url(world),
        {"given_by": "person", "decision": "obtained", "given_on": TODAY().isoformat()},
    )

    assert response.status_code == 400
    assert 'id="id_given_by_error"' in response.content.decode()
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", INSIDERS)
def test_everyone_else_gets_404_on_the_consent_page(world, client, name):
    client.force_login(getattr(world, name))
    data = {"given_by": "young_person", "decision": "obtained", "given_on": TODAY().isoformat()}

    assert client.get(_url(world)).status_code == 404
    assert client.post(_url(world), data).status_code == 404
    assert not ConsentRecord.objects.exists()
