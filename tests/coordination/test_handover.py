"""Handover lists from the police: all rows or nothing, line-by-line errors, a disclosure each."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import Disclosure
from persons.models import Concern, FocusPerson
from tests.world import NECESSITY, PERSON_CPR

GOOD = (
    "navn,cpr,dato,kategori\n"
    f"Rasmus Testbarn,{PERSON_CPR},2026-11-20,berigelse\n"
    "Ny Listeperson,0304134123,2026-11-21,Hærværk\n"
)


def upload(client, world, content: str, necessity: str = NECESSITY):
    return client.post(
        reverse("coordination:handover", args=[world.forum.pk]),
        {"file": SimpleUploadedFile("liste.csv", content.encode()), "necessity": necessity},
    )


@pytest.mark.django_db
def test_police_upload_registers_each_row_and_matches_existing_persons(world, client):
    client.force_login(world.police_member)
    persons, concerns = FocusPerson.objects.count(), Concern.objects.count()

    response = upload(client, world, GOOD)

    assert response.status_code == 302
    assert FocusPerson.objects.count() == persons + 1  # the first row is world.person
    assert Concern.objects.count() == concerns + 2
    assert Concern.objects.filter(case_file__person=world.person, categories=["berigelse"]).exists()
    disclosures = [d for d in Disclosure.objects.all() if "overleveringsliste" in d.data_categories]
    assert len(disclosures) == 2
    assert {d.paragraph for d in disclosures} == {"stk1"}
    assert {d.from_agency_id for d in disclosures} == {world.police.pk}
    assert world.person.pk in {d.person_id for d in disclosures}


@pytest.mark.django_db
def test_one_bad_row_keeps_nothing_and_reports_each_line(world, client):
    client.force_login(world.police_member)
    before = (FocusPerson.objects.count(), Concern.objects.count(), Disclosure.objects.count())
    bad = (
        GOOD
        + "Forkert Cpr,12345,2026-11-22,vold\nUkendt Kategori,0505124321,2026-11-22,snyd\nGammel,0101901234,2026-11-22,vold\n"
    )

    response = upload(client, world, bad)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Linje 4" in page and "CPR-nummeret skal være 10 cifre" in page
    assert "Linje 5" in page and "Ukendt kategori" in page
    assert "Linje 6" in page and "aldersgruppen" in page
    assert (
        FocusPerson.objects.count(),
        Concern.objects.count(),
        Disclosure.objects.count(),
    ) == before


@pytest.mark.django_db
def test_only_police_may_upload(world, client):
    client.force_login(world.school_member)

    response = upload(client, world, GOOD)

    assert response.status_code == 403
    assert not Concern.objects.filter(categories=["berigelse"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,cpr,date,category\nA,0304134123,2026-11-21,vold\n", "Kolonnerne skal være"),
        ("navn,cpr,dato,kategori\n", "ingen rækker"),
    ],
)
def test_malformed_files_are_refused_with_a_danish_message(world, client, content, message):
    client.force_login(world.police_member)

    response = upload(client, world, content)

    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.django_db
def test_semicolon_separated_export_is_accepted(world, client):
    client.force_login(world.police_member)

    response = upload(client, world, GOOD.replace(",", ";"))

    assert response.status_code == 302
