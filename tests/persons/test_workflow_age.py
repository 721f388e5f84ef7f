"""Age bands (issue 11): a mismatch is refused with a Danish message on the override field,
and the forum's chair may approve an exception with a recorded reason; KSP letter b is never
for adults; the birth month is kept (and filled for existing persons by persons 0011)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from core.models import DataKey
from core.permissions import ROLE_DPO
from forums.models import Forum, ForumKind
from persons.models import CaseFile, FocusPerson
from persons.services import IdentityInput, casefile_open, casefile_update, concern_register
from tests.persons.workflow_helpers import REASON, member, raw_column
from tests.world import NECESSITY, PERSON_NAME

ADULT_CPR = "1505904321"  # 15 May 1990


@pytest.fixture
def plus(world):
    forum = Forum.objects.create(
        name="SSP+ Test",
        kind=ForumKind.SSP_PLUS,
        municipality=world.forum.municipality,
        age_min=18,
        age_max=25,
    )
    forum.agencies.set([world.school, world.social])
    member(forum, world.coordinator)
    return forum


def _open(world, forum, actor, **kwargs):
    return casefile_open(
        actor=actor, person=world.person, forum=forum, necessity=NECESSITY, **kwargs
    )


@pytest.mark.django_db
def test_a_mismatch_is_refused_on_the_override_field_in_danish(world, plus):
    with pytest.raises(ValidationError) as refused:
        _open(world, plus, world.coordinator)

    message = " ".join(refused.value.message_dict["age_override_reason"])
    assert "uden for aldersgruppen" in message and "formand" in message


@pytest.mark.django_db
def test_a_non_chair_cannot_override(world, plus):
    with pytest.raises(ValidationError) as refused:
        _open(world, plus, world.coordinator, age_override_reason=REASON)

    assert "age_override_reason" in refused.value.message_dict
    assert not CaseFile.objects.filter(forum=plus).exists()


@pytest.mark.django_db
def test_the_chair_overrides_with_a_reason_which_is_recorded(world, plus):
    member(plus, world.chair, "chair")
    with pytest.raises(ValidationError):
        _open(world, plus, world.chair, age_override_reason="for kort")

    case_file = _open(world, plus, world.chair, age_override_reason=REASON)

    case_file = CaseFile.objects.get(pk=case_file.pk)
    assert case_file.age_override_reason == REASON
    assert case_file.age_override_by == world.chair and case_file.age_override_at is not None
    stored = raw_column("persons_casefile", "age_override_reason", case_file.pk)
    assert stored is not None and REASON.encode() not in stored


@pytest.mark.django_db
def test_the_override_is_shown_to_members_on_the_person_page(world, plus, client):
    member(plus, world.chair, "chair")
    member(plus, world.school_member, "member")
    _open(world, plus, world.chair, age_override_reason=REASON)
    client.force_login(world.school_member)

    body = client.get(reverse("coordination:person-detail", args=[world.person.pk])).content
    assert REASON in body.decode() and "Undtagelse fra aldersgruppen" in body.decode()


@pytest.mark.django_db
def test_the_open_page_takes_the_override(world, plus, client):
    member(plus, world.chair, "chair")
    client.force_login(world.chair)
    url = reverse("coordination:casefile-open", args=[world.person.pk])
    data = {"forum": plus.pk, "consent": "not_sought", "necessity": NECESSITY}

    refused = client.post(url, data)
    assert refused.status_code == 400
    assert 'id="id_age_override_reason_error"' in refused.content.decode()

    assert client.post(url, {**data, "age_override_reason": REASON}).status_code == 302
    assert CaseFile.objects.get(forum=plus).age_override_reason == REASON


@pytest.mark.django_db
def test_the_concern_api_takes_the_override_as_an_optional_field(world, plus, client):
    member(plus, world.chair, "chair")
    client.force_login(world.chair)
    body = {
        "forum": plus.pk,
        "identity": {"name": "Lille Person", "cpr": "0204135678"},
        "categories": ["vold"],
        "description": "Bekymring om en 13-årig",
        "necessity": NECESSITY,
    }

    refused = client.post("/api/v1/concerns/", body, content_type="application/json")
    assert refused.status_code == 400
    assert "age_override_reason" in refused.json()["errors"]

    body["age_override_reason"] = REASON
    created = client.post("/api/v1/concerns/", body, content_type="application/json")
    assert created.status_code == 201


def _ksp(world):
    forum = Forum.objects.create(
        name="KSP Test", kind=ForumKind.KSP, municipality=world.forum.municipality
    )
    forum.agencies.set([world.school, world.police, world.social])
    member(forum, world.coordinator)
    return forum


def _ksp_concern(world, forum, cpr, letter):
    return concern_register(
        actor=world.coordinator,
        forum=forum,
        identity=IdentityInput(name="Voksen Person", cpr=cpr),
        categories=["vold"],
        description="Løsladelse nærmer sig",
        source_agency=None,
        necessity=NECESSITY,
        ksp_letter=letter,
    )


@pytest.mark.django_db
def test_ksp_letter_b_is_refused_for_an_adult_without_exception(world):
    forum = _ksp(world)
    member(forum, world.chair, "chair")

    with pytest.raises(ValidationError) as refused:
        _ksp_concern(world, forum, ADULT_CPR, "b")
    assert "ksp_letter" in refused.value.message_dict
    assert not CaseFile.objects.filter(forum=forum).exists()

    assert _ksp_concern(world, forum, ADULT_CPR, "a").concern.case_file.ksp_letter == "a"
    assert _ksp_concern(world, forum, "0204135678", "b").concern.case_file.ksp_letter == "b"


@pytest.mark.django_db
def test_a_new_person_keeps_the_birth_month(world):
    assert FocusPerson.objects.get(pk=world.person.pk).birth_month == 3  # CPR 010312


# --- The data migration -----------------------------------------------------------------

BEFORE = [("persons", "0010_workflow_steps")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def dpo_group(transactional_db):
    Group.objects.get_or_create(name=ROLE_DPO)


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_birth_month_from_the_encrypted_birth_date(dpo_group, world):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    other = FocusPerson.objects.get(pk=world.other_person.pk)
    try:
        _migrate(BEFORE)
        FocusPerson.objects.filter(pk__in=[world.person.pk, other.pk]).update(birth_month=None)
        # The other person's key is destroyed: their month cannot be read and stays unknown.
        DataKey.objects.filter(pk=other.data_key_id).update(wrapped=None)
        _migrate(leaves)
    finally:
        _migrate(leaves)

    assert FocusPerson.objects.get(pk=world.person.pk).birth_month == 3
    assert FocusPerson.objects.get(pk=other.pk).birth_month is None


# --- The reveal through htmx ----------------------------------------------------------------


@pytest.fixture
def named(world):
    casefile_update(
        actor=world.coordinator,
        case_file=world.case_file,
        mode="named",
        reason="Forummet skal tale om den unge med navn for at koordinere.",
    )


@pytest.mark.django_db
def test_the_htmx_reveal_answers_with_the_identity_block_alone(world, named, client):
    client.force_login(world.school_member)
    url = reverse("coordination:person-reveal", args=[world.person.pk])

    response = client.post(url, {"reason": "kort"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="identity-block"' in body and "<html" not in body
    assert 'id="id_reason_error"' in body and PERSON_NAME not in body

    response = client.post(url, {"reason": REASON}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert PERSON_NAME in body and 'id="identity-block"' in body
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_the_plain_reveal_still_redirects(world, named, client):
    client.force_login(world.school_member)
    url = reverse("coordination:person-reveal", args=[world.person.pk])

    response = client.post(url, {"reason": REASON})

    assert response.status_code == 302
    page = client.get(reverse("coordination:person-detail", args=[world.person.pk]))
    assert 'hx-post="' + url + '"' not in page.content.decode()  # revealed: no form left
    assert PERSON_NAME in page.content.decode()


@pytest.mark.django_db
def test_the_reveal_form_posts_through_htmx(world, named, client):
    client.force_login(world.school_member)

    page = client.get(reverse("coordination:person-detail", args=[world.person.pk]))

    url = reverse("coordination:person-reveal", args=[world.person.pk])
    assert f'hx-post="{url}"' in page.content.decode()
    assert 'hx-target="#identity-block"' in page.content.decode()
