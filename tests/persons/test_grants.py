"""Per-person grants: a chair or coordinator gives one named user outside the forum read access
to one person (the person and the helhedsplan) for a limited time, with a reason."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, User
from audit.models import Disclosure
from audit.services import reason_text
from coordination.meetings import item_record
from coordination.models import AgendaItem, ForumSession, Plan, PlanAction
from coordination.plans import action_create, plan_save
from core.models import Notification
from forums.rules import derive_basis
from persons.models import FocusPersonUserObjectPermission, PersonGrant
from persons.services import casefile_update, person_grant_create, person_grants_expire
from persons.tasks import expire_person_grants
from tests.factories import AgencyFactory, UserFactory
from tests.world import (
    AGENCY_NOTE_TEXT,
    CONCERN_TEXT,
    FORUM_NOTE_TEXT,
    NECESSITY,
    PERSON_CPR,
    PERSON_NAME,
    World,
)

pytestmark = pytest.mark.django_db

REASON = "Familiens sagsbehandler skal kende helhedsplanen for at koordinere indsatsen."
GOALS = "Mål: stabilt fremmøde i skolen"
ACTION_TEXT = "Samtale med familien om fremmødet"
MINUTES = "Referat: drøftet fravær og fritidsjob"


@dataclass
class Setup:
    world: World
    caseworker: User
    plan: Plan
    action: PlanAction
    item: AgendaItem


@pytest.fixture
def setup(world: World) -> Setup:
    """The world with a plan and an action on the case file, a recorded agenda item (minutes)
    and a caseworker in another agency who sits in no forum."""
    plan = plan_save(actor=world.coordinator, case_file=world.case_file, goals=GOALS)
    action = action_create(
        actor=world.coordinator,
        plan=plan,
        description=ACTION_TEXT,
        responsible_agency=world.school,
        owner=world.school_member,
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    session = ForumSession.objects.create(
        forum=world.forum, starts_at=timezone.now(), created_by=world.coordinator
    )
    item = AgendaItem(session=session, case_file=world.case_file, kind="new", order=1)
    item.save()
    item_record(
        actor=world.coordinator,
        item=item,
        mode="anonymous",
        necessity=NECESSITY,
        presenting_agency=world.school,
        minutes=MINUTES,
        attendees=[world.chair],
    )
    family = AgencyFactory.create(
        name="Familieafdelingen",
        kind=Agency.Kind.SOCIALFORVALTNING,
        municipality=world.forum.municipality,
    )
    caseworker = UserFactory.create(
        full_name="Cecilie Sagsbehandler", agency=family, roles=["member"]
    )
    return Setup(world, caseworker, plan, action, item)


def grants_url(world: World) -> str:
    return reverse("api:person-grants", args=[world.person.pk])


def payload(setup: Setup, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "case_file": setup.world.case_file.pk,
        "user": setup.caseworker.pk,
        "expires_at": (timezone.now() + datetime.timedelta(days=30)).isoformat(),
        "reason": REASON,
    }
    data.update(changes)
    return data


def post(client: Any, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def grant(setup: Setup, *, actor: User | None = None, days: int = 30) -> PersonGrant:
    return person_grant_create(
        actor=actor or setup.world.chair,
        case_file=setup.world.case_file,
        grantee=setup.caseworker,
        expires_at=timezone.now() + datetime.timedelta(days=days),
        reason=REASON,
    )


def guardian_rows(setup: Setup) -> int:
    return FocusPersonUserObjectPermission.objects.filter(
        user=setup.caseworker, content_object=setup.world.person
    ).count()


def test_chair_grants_through_the_api(setup, client):
    client.force_login(setup.world.chair)

    response = post(client, grants_url(setup.world), payload(setup))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["grantee"] == setup.caseworker.pk
    assert body["grantee_agency"] == "Familieafdelingen"
    assert body["forum"] == setup.world.forum.pk
    stored = PersonGrant.objects.get()
    assert (stored.person, stored.granted_by) == (setup.world.person, setup.world.chair)
    assert guardian_rows(setup) == 1
    listed = client.get(grants_url(setup.world)).json()["results"]
    assert [row["id"] for row in listed] == [stored.pk]
    note = Notification.objects.get(recipient=setup.caseworker, kind="person_grant")
    assert setup.world.person.pseudonym in note.message
    assert PERSON_NAME not in note.message
    assert note.link == reverse("coordination:person-detail", args=[setup.world.person.pk])


def test_coordinator_grants_on_the_person_page(setup, client):
    client.force_login(setup.world.coordinator)
    last_day = timezone.localdate() + datetime.timedelta(days=14)

    response = client.post(
        reverse("coordination:person-grant-create", args=[setup.world.person.pk]),
        {
            "case_file": setup.world.case_file.pk,
            "email": setup.caseworker.email.upper(),
            "expires_at": last_day.isoformat(),
            "reason": REASON,
        },
    )

    assert response.status_code == 302
    stored = PersonGrant.objects.get()
    assert stored.grantee == setup.caseworker
    assert timezone.localdate(stored.expires_at) == last_day
    page = client.get(reverse("coordination:person-detail", args=[setup.world.person.pk]))
    assert "Cecilie Sagsbehandler" in page.content.decode()
    assert "Familieafdelingen" in page.content.decode()


def test_page_form_shows_service_errors_on_its_fields(setup, client):
    client.force_login(setup.world.chair)

    response = client.post(
        reverse("coordination:person-grant-create", args=[setup.world.person.pk]),
        {
            "case_file": setup.world.case_file.pk,
            "email": setup.world.school_member.email,  # a member of the forum
            "expires_at": (timezone.localdate() + datetime.timedelta(days=365)).isoformat(),
            "reason": "for kort",
        },
    )

    assert response.status_code == 400
    errors = response.context["grant_form"].errors
    assert set(errors) == {"email", "expires_at", "reason"}
    assert not PersonGrant.objects.exists()


def test_grantee_sees_the_person_and_the_plan_only(setup, client):
    world = setup.world
    grant(setup)
    client.force_login(setup.caseworker)

    page = client.get(reverse("coordination:person-detail", args=[world.person.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert world.person.pseudonym in html
    assert GOALS in html
    assert ACTION_TEXT in html
    for hidden in [
        PERSON_NAME,
        PERSON_CPR,
        CONCERN_TEXT,
        AGENCY_NOTE_TEXT,
        FORUM_NOTE_TEXT,
        MINUTES,
        "Vis identitet",
    ]:
        assert hidden not in html, hidden
    assert client.get(f"/api/v1/persons/{world.person.pk}/").status_code == 200
    persons = client.get("/api/v1/persons/").json()["results"]
    assert [row["id"] for row in persons] == [world.person.pk]
    actions = client.get(f"/api/v1/plans/{setup.plan.pk}/actions/").json()["results"]
    assert [row["id"] for row in actions] == [setup.action.pk]


def test_grantee_reaches_nothing_else(setup, client):
    world = setup.world
    grant(setup)
    client.force_login(setup.caseworker)

    not_found = [
        f"/api/v1/case-files/{world.case_file.pk}/",
        f"/api/v1/case-files/{world.case_file.pk}/notes/",
        f"/api/v1/case-files/{world.case_file.pk}/plan/",
        f"/api/v1/persons/{world.other_person.pk}/",
        reverse("coordination:person-detail", args=[world.other_person.pk]),
        reverse("coordination:item-detail", args=[setup.item.pk]),
        reverse("coordination:plan", args=[world.case_file.pk]),
        reverse("persons:forum-detail", args=[world.forum.pk]),
    ]
    for url in not_found:
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/concerns/").json()["results"] == []
    reveal = post(client, f"/api/v1/persons/{world.person.pk}/reveal/", {"reason": REASON})
    assert reveal.status_code == 403  # the person is seen, their identity is not theirs
    assert PERSON_NAME not in reveal.content.decode()


def test_grantee_cannot_write(setup, client):
    world = setup.world
    own = grant(setup)
    client.force_login(setup.caseworker)

    writes = [
        post(client, f"/api/v1/case-files/{world.case_file.pk}/notes/", {"body": "Notat"}),
        post(client, f"/api/v1/case-files/{world.case_file.pk}/plan/", {"goals": "Nye mål"}),
        post(
            client,
            f"/api/v1/plans/{setup.plan.pk}/actions/",
            {
                "description": "Ny handling",
                "responsible_agency": setup.caseworker.agency_id,
                "owner": setup.caseworker.pk,
                "due_date": "2027-01-15",
            },
        ),
        client.patch(
            f"/api/v1/actions/{setup.action.pk}/",
            {"version": 1, "status": "done"},
            content_type="application/json",
        ),
        post(client, grants_url(world), payload(setup, user=world.outsider.pk)),
        client.delete(reverse("api:person-grant-detail", args=[own.pk])),
    ]

    assert [response.status_code for response in writes] == [404, 404, 403, 403, 404, 403]
    assert PersonGrant.objects.get().revoked_at is None
    assert PlanAction.objects.get().status == PlanAction.Status.OPEN


def test_access_ends_at_expiry_before_the_sweep(setup, client):
    world = setup.world
    own = grant(setup)
    PersonGrant.objects.filter(pk=own.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    client.force_login(setup.caseworker)

    assert guardian_rows(setup) == 1  # the sweep has not run ...
    assert client.get(f"/api/v1/persons/{world.person.pk}/").status_code == 404  # ... yet no access
    page = client.get(reverse("coordination:person-detail", args=[world.person.pk]))
    assert page.status_code == 404
    assert client.get(f"/api/v1/plans/{setup.plan.pk}/actions/").status_code == 404
    assert client.get("/api/v1/persons/").json()["results"] == []


def test_sweep_removes_guardian_rows_of_ended_grants_only(setup, world):
    ended = grant(setup)
    PersonGrant.objects.filter(pk=ended.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    other = UserFactory.create(agency=world.school, roles=["member"])
    active = person_grant_create(
        actor=world.chair,
        case_file=world.case_file,
        grantee=other,
        expires_at=timezone.now() + datetime.timedelta(days=5),
        reason=REASON,
    )

    assert person_grants_expire() == 1
    assert guardian_rows(setup) == 0
    assert FocusPersonUserObjectPermission.objects.filter(user=active.grantee).count() == 1
    assert person_grants_expire() == 0  # idempotent
    assert expire_person_grants() == 0  # the beat task runs the same sweep


def test_a_new_grant_after_expiry_gives_access_again(setup, client):
    first = grant(setup)
    PersonGrant.objects.filter(pk=first.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    person_grants_expire()

    grant(setup, actor=setup.world.coordinator)

    client.force_login(setup.caseworker)
    assert client.get(f"/api/v1/persons/{setup.world.person.pk}/").status_code == 200
    assert guardian_rows(setup) == 1


def test_revoke_ends_access_at_once(setup, client):
    world = setup.world
    own = grant(setup)
    client.force_login(world.coordinator)

    response = client.delete(reverse("api:person-grant-detail", args=[own.pk]))

    assert response.status_code == 204
    own.refresh_from_db()
    assert own.revoked_at is not None
    assert own.revoked_by == world.coordinator
    assert guardian_rows(setup) == 0
    assert client.get(grants_url(world)).json()["results"] == []
    assert Notification.objects.filter(
        recipient=setup.caseworker, kind="person_grant_revoked"
    ).exists()
    client.force_login(setup.caseworker)
    assert client.get(f"/api/v1/persons/{world.person.pk}/").status_code == 404


def test_revoke_on_the_page(setup, client):
    own = grant(setup)
    client.force_login(setup.world.chair)

    response = client.post(reverse("coordination:person-grant-revoke", args=[own.pk]))

    assert response.status_code == 302
    assert PersonGrant.objects.active().count() == 0
    assert guardian_rows(setup) == 0


def test_closing_the_case_file_ends_the_grant(setup, client):
    grant(setup)
    casefile_update(
        actor=setup.world.coordinator, case_file=setup.world.case_file, closed_reason="Afsluttet"
    )
    client.force_login(setup.caseworker)

    assert client.get(f"/api/v1/persons/{setup.world.person.pk}/").status_code == 404
    assert person_grants_expire() == 1


def test_grant_is_a_disclosure_with_the_derived_basis(setup):
    world = setup.world

    own = grant(setup, actor=world.coordinator)

    disclosure = Disclosure.objects.get(source_id=own.pk, source_type__model="persongrant")
    expected = derive_basis(agency=world.school, forum_kind=world.forum.kind)
    assert (disclosure.paragraph, disclosure.cooperation) == (
        expected.paragraph,
        expected.cooperation,
    )
    assert (disclosure.paragraph, disclosure.cooperation) == ("stk2", "nr1")
    assert disclosure.from_agency == world.school
    assert disclosure.to_agency_ids == [setup.caseworker.agency_id]
    assert disclosure.forum_id == world.forum.pk
    assert disclosure.person_pseudonym == world.person.pseudonym
    assert reason_text(disclosure) == REASON  # sealed under the case file's key
    assert disclosure.data_categories == ["helhedsplan", "person"]


def test_dpo_sees_the_disclosure(setup, client):
    own = grant(setup)
    client.force_login(setup.world.dpo)

    rows = client.get("/api/v1/audit/disclosures/").json()["results"]

    [row] = [row for row in rows if row["source_type"] == "persongrant"]
    assert row["source_id"] == own.pk
    assert row["person_pseudonym"] == setup.world.person.pseudonym
    assert row["to_agency_ids"] == [setup.caseworker.agency_id]


def test_a_member_cannot_grant(setup, client):
    client.force_login(setup.world.school_member)

    api = post(client, grants_url(setup.world), payload(setup))
    page = client.post(
        reverse("coordination:person-grant-create", args=[setup.world.person.pk]),
        {"case_file": setup.world.case_file.pk, "email": setup.caseworker.email},
    )

    assert (api.status_code, page.status_code) == (403, 403)
    assert client.get(grants_url(setup.world)).json()["results"] == []
    assert not PersonGrant.objects.exists()
    assert not FocusPersonUserObjectPermission.objects.exists()


def test_an_outsider_cannot_grant_on_a_person_they_cannot_see(setup, client):
    world = setup.world
    client.force_login(world.outsider)  # coordinator of the other forum

    unseen = post(client, grants_url(world), payload(setup))
    # Their own case file does not open another person's grants either.
    foreign = post(client, grants_url(world), payload(setup, case_file=world.other_case_file.pk))
    page = client.post(
        reverse("coordination:person-grant-create", args=[world.person.pk]),
        {"case_file": world.case_file.pk, "email": setup.caseworker.email},
    )

    assert (unseen.status_code, foreign.status_code, page.status_code) == (404, 404, 404)
    assert not PersonGrant.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "i morgen"}, "expires_at"),
        ({"reason": "kort"}, "reason"),
        ({"user": 999_999}, "user"),
        ({"extra": 1}, "extra"),
    ],
    ids=["past", "not-a-date", "short-reason", "no-such-user", "unknown-field"],
)
def test_bad_input_is_400_and_writes_nothing(setup, client, changes, field):
    client.force_login(setup.world.chair)

    response = post(client, grants_url(setup.world), payload(setup, **changes))

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not PersonGrant.objects.exists()
    assert not Disclosure.objects.filter(source_type__model="persongrant").exists()


def test_expiry_is_limited(setup, client, settings):
    settings.PERSON_GRANT_MAX_DAYS = 10
    client.force_login(setup.world.chair)
    too_late = timezone.now() + datetime.timedelta(days=11)

    response = post(
        client, grants_url(setup.world), payload(setup, expires_at=too_late.isoformat())
    )

    assert response.status_code == 400
    assert "10 dage" in response.json()["errors"]["expires_at"][0]


@pytest.mark.parametrize(
    "grantee", ["school_member", "chair", "dpo", "admin"], ids=lambda g: f"to-{g}"
)
def test_members_self_and_content_blind_users_get_no_grant(setup, client, grantee):
    client.force_login(setup.world.chair)

    response = post(
        client, grants_url(setup.world), payload(setup, user=getattr(setup.world, grantee).pk)
    )

    assert response.status_code == 400
    assert "user" in response.json()["errors"]
    assert not PersonGrant.objects.exists()


def test_one_active_grant_per_person_and_grantee(setup, client):
    grant(setup)
    client.force_login(setup.world.coordinator)

    response = post(client, grants_url(setup.world), payload(setup))

    assert response.status_code == 400
    assert "user" in response.json()["errors"]
    assert PersonGrant.objects.count() == 1
