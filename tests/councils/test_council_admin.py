"""The administrator sets councils up in Django admin: a council with its members (council
role only, never themselves), and a plan with its focus areas."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Municipality, PoliceDistrict
from councils.models import CooperationPlan, Council, CouncilMembership
from forums.models import Forum, ForumKind
from tests.councils.conftest import District
from tests.factories import UserFactory


@pytest.fixture
def admin_client(district: District, client: Any) -> Any:
    admin = UserFactory.create(
        full_name="Anders Admin", agency=None, roles=["admin"], is_staff=True
    )
    client.force_login(admin)
    client.admin_user = admin
    return client


def council_form(district: District, user_id: Any) -> dict[str, Any]:
    return {
        "name": "Kredsrådet, nyt",
        "kind": "kredsraad",
        "police_district": district.district.pk,
        "municipality": "",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-user": user_id,
        "memberships-0-role": "member",
        "memberships-0-valid_from": "2026-01-01",
        "memberships-0-valid_to": "",
    }


def test_the_administrator_creates_a_council_with_a_council_member(district, admin_client):
    add = reverse("admin:councils_council_add")
    assert admin_client.get(add).status_code == 200
    response = admin_client.post(add, council_form(district, district.member.pk))
    assert response.status_code == 302, response.content[:2000]
    council = Council.objects.get(name="Kredsrådet, nyt")
    assert list(council.memberships.values_list("user", flat=True)) == [district.member.pk]


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("self", "Du kan ikke give dig selv et medlemskab af et råd."),
        ("coordinator", "Kun brugere med rollen rådsmedlem kan være medlem af et råd."),
    ],
)
def test_no_membership_for_oneself_nor_for_an_account_without_the_council_role(
    district, admin_client, who, message
):
    if who == "self":
        user_id = admin_client.admin_user.pk
    else:
        user_id = UserFactory.create(agency=district.school, roles=["coordinator"]).pk
    response = admin_client.post(
        reverse("admin:councils_council_add"), council_form(district, user_id)
    )
    assert response.status_code == 200  # the form again, with the error
    assert message in response.content.decode()
    assert not Council.objects.filter(name="Kredsrådet, nyt").exists()
    assert not CouncilMembership.objects.filter(user_id=user_id).exists()


def test_a_kredsraad_needs_a_district_and_no_municipality(district, admin_client):
    data = council_form(district, district.member.pk) | {"municipality": district.aby.pk}
    response = admin_client.post(reverse("admin:councils_council_add"), data)
    assert response.status_code == 200
    assert not Council.objects.filter(name="Kredsrådet, nyt").exists()


def test_the_administrator_writes_a_plan_with_focus_areas(district, admin_client):
    response = admin_client.post(
        reverse("admin:councils_cooperationplan_add"),
        {
            "council": district.kredsraad.pk,
            "title": "Samarbejdsplan 2027",
            "period_start": "2027-01-01",
            "period_end": "2027-12-31",
            "areas-TOTAL_FORMS": "1",
            "areas-INITIAL_FORMS": "0",
            "areas-MIN_NUM_FORMS": "0",
            "areas-MAX_NUM_FORMS": "1000",
            "areas-0-title": "Radikalisering",
            "areas-0-description": "Opsporing og exit.",
            "areas-0-agencies": [district.police.pk],
            "areas-0-forums": [district.ssp.pk],
            "areas-0-categories": ["radikalisering"],
            "areas-0-order": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    plan = CooperationPlan.objects.get(title="Samarbejdsplan 2027")
    area = plan.areas.get()
    assert area.categories == ["radikalisering"]
    assert list(area.forums.all()) == [district.ssp]


def test_the_administrator_cannot_give_a_focus_area_another_districts_forum(district, admin_client):
    other = PoliceDistrict.objects.create(name="Naboredsen")
    cby = Municipality.objects.create(code="903", name="Cby", police_district=other)
    foreign = Forum.objects.create(name="SSP Cby", kind=ForumKind.SSP, municipality=cby)
    url = reverse("admin:councils_cooperationplan_change", args=[district.plan.pk])
    response = admin_client.post(
        url,
        {
            "council": district.kredsraad.pk,
            "title": district.plan.title,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "areas-TOTAL_FORMS": "1",
            "areas-INITIAL_FORMS": "1",
            "areas-MIN_NUM_FORMS": "0",
            "areas-MAX_NUM_FORMS": "1000",
            "areas-0-id": district.focus.pk,
            "areas-0-plan": district.plan.pk,
            "areas-0-title": district.focus.title,
            "areas-0-forums": [district.ssp.pk, foreign.pk],
            "areas-0-categories": ["vold"],
            "areas-0-order": "0",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Vælg kun fora og myndigheder i rådets egne kommuner." in response.content.decode()
    assert list(district.focus.forums.all()) == [district.ssp]
