"""Deciding a concern (issue 11): bring to the forum, no further action, pass on; and the
coordinator is told of every new concern on their forums."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import Disclosure
from core.models import Notification
from forums.models import Forum, ForumKind
from persons.models import CaseFile, Concern
from persons.selectors import concerns_awaiting_decision
from persons.services import IdentityInput, concern_register
from persons.workflow import concern_decide
from tests.factories import MunicipalityFactory
from tests.persons.workflow_helpers import REASON, member, raw_column
from tests.world import CONCERN_TEXT, NECESSITY, PERSON_CPR, PERSON_NAME

INSIDERS = [
    "school_member",
    "police_member",
    "outsider",
    "expired_member",
    "dpo",
    "admin",
]


def _concern(world):
    return Concern.objects.get(pk=world.concern.pk)


@pytest.mark.django_db
def test_the_coordinator_is_told_of_a_new_concern_without_plaintext(world):
    notes = Notification.objects.filter(kind="concern_new", recipient=world.coordinator)

    assert notes.count() == 1
    note = notes.get()
    assert world.person.pseudonym in note.message and world.forum.name in note.message
    for secret in (PERSON_NAME, PERSON_CPR, PERSON_CPR[:6], CONCERN_TEXT, "Rasmus"):
        assert secret not in note.message and secret not in note.link
    assert note.link == reverse("persons:concern-decide", args=[world.concern.pk])
    # Only coordinators, and never the one who registered it.
    assert not Notification.objects.filter(kind="concern_new", recipient=world.chair).exists()
    assert not Notification.objects.filter(
        kind="concern_new", recipient=world.school_member
    ).exists()


@pytest.mark.django_db
def test_a_coordinator_registering_is_not_told_of_their_own_concern(world):
    concern_register(
        actor=world.coordinator,
        forum=world.forum,
        identity=IdentityInput(name="Ny Person", cpr="0204135678"),
        categories=["vold"],
        description="Ny bekymring",
        source_agency=world.school,
        necessity=NECESSITY,
    )

    assert Notification.objects.filter(kind="concern_new", recipient=world.coordinator).count() == 1


@pytest.mark.django_db
def test_awaiting_decision_lists_pending_concerns_of_managed_forums_oldest_first(world):
    second = concern_register(
        actor=world.school_member,
        forum=world.forum,
        identity=IdentityInput(name="Anden Person", cpr="0204135678"),
        categories=["vold"],
        description="Endnu en bekymring",
        source_agency=world.school,
        necessity=NECESSITY,
    ).concern

    assert list(concerns_awaiting_decision(user=world.coordinator)) == [world.concern, second]
    assert list(concerns_awaiting_decision(user=world.chair)) == [world.concern, second]
    for name in INSIDERS:
        shown = set(concerns_awaiting_decision(user=getattr(world, name)))
        assert not shown & {world.concern, second}
    # The outsider coordinates the other forum: its concern, nothing of this one.
    assert [c.case_file.forum for c in concerns_awaiting_decision(user=world.outsider)] == [
        world.other_forum
    ]

    concern_decide(actor=world.coordinator, concern=second, decision="bring_to_forum")
    assert list(concerns_awaiting_decision(user=world.coordinator)) == [world.concern]


@pytest.mark.django_db
def test_bring_to_forum_is_recorded_and_goes_on_the_proposed_agenda(world):
    concern = concern_decide(
        actor=world.coordinator, concern=_concern(world), decision="bring_to_forum"
    )

    concern.refresh_from_db()
    assert concern.decision == Concern.Decision.BRING_TO_FORUM
    assert concern.decided_by == world.coordinator and concern.decided_at is not None


@pytest.mark.django_db
def test_no_action_needs_a_reason_which_is_stored_encrypted(world):
    with pytest.raises(ValidationError) as refused:
        concern_decide(
            actor=world.chair, concern=_concern(world), decision="no_action", reason="for kort"
        )
    assert "reason" in refused.value.message_dict
    assert _concern(world).decision == Concern.Decision.PENDING

    concern_decide(actor=world.chair, concern=_concern(world), decision="no_action", reason=REASON)

    concern = _concern(world)
    assert concern.decision == Concern.Decision.NO_ACTION
    assert concern.decision_reason == REASON
    stored = raw_column("persons_concern", "decision_reason", concern.pk)
    assert stored is not None and REASON.encode() not in stored


@pytest.mark.django_db
def test_a_decided_concern_is_not_decided_again(world):
    concern_decide(actor=world.coordinator, concern=_concern(world), decision="bring_to_forum")

    with pytest.raises(ValidationError):
        concern_decide(
            actor=world.coordinator, concern=_concern(world), decision="no_action", reason=REASON
        )


@pytest.mark.django_db
def test_an_unknown_decision_is_refused(world):
    with pytest.raises(ValidationError):
        concern_decide(actor=world.coordinator, concern=_concern(world), decision="pending")


@pytest.mark.django_db
@pytest.mark.parametrize("name", INSIDERS)
def test_only_the_forums_coordinator_or_chair_decides(world, name):
    with pytest.raises((PermissionDenied, Http404)):
        concern_decide(
            actor=getattr(world, name), concern=_concern(world), decision="bring_to_forum"
        )
    assert _concern(world).decision == Concern.Decision.PENDING


@pytest.mark.django_db
def test_passing_on_registers_a_copy_on_the_target_forum_as_a_disclosure(world):
    member(world.other_forum, world.coordinator)  # the coordinator runs both forums
    before = Disclosure.objects.count()

    concern = concern_decide(
        actor=world.coordinator,
        concern=_concern(world),
        decision="passed_on",
        reason=REASON,
        target_forum=world.other_forum,
    )

    concern.refresh_from_db()
    assert concern.decision == Concern.Decision.PASSED_ON
    copy = concern.passed_to
    assert copy is not None and copy.decision == Concern.Decision.PENDING
    assert copy.case_file.forum == world.other_forum
    assert copy.case_file.person_id == world.person.pk
    assert copy.description == CONCERN_TEXT
    # The target case file knows the person as the source forum did.
    assert copy.case_file.known_identity().name == PERSON_NAME
    disclosure = Disclosure.objects.order_by("-pk")[0]
    assert Disclosure.objects.count() == before + 1
    assert disclosure.forum_id == world.other_forum.pk
    assert REASON not in disclosure.necessity
    # The target's coordinator hears of it.
    assert Notification.objects.filter(
        kind="concern_new", recipient=world.outsider, link__endswith=f"/{copy.pk}/beslut/"
    ).exists()


@pytest.mark.django_db
def test_passing_on_needs_a_reason_and_a_target(world):
    member(world.other_forum, world.coordinator)

    with pytest.raises(ValidationError) as no_target:
        concern_decide(
            actor=world.coordinator, concern=_concern(world), decision="passed_on", reason=REASON
        )
    with pytest.raises(ValidationError) as no_reason:
        concern_decide(
            actor=world.coordinator,
            concern=_concern(world),
            decision="passed_on",
            target_forum=world.other_forum,
        )

    assert "target_forum" in no_target.value.message_dict
    assert "reason" in no_reason.value.message_dict
    assert not CaseFile.objects.filter(forum=world.other_forum, person=world.person).exists()


@pytest.mark.django_db
def test_passing_on_to_a_forum_the_actor_does_not_run_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        concern_decide(
            actor=world.coordinator,
            concern=_concern(world),
            decision="passed_on",
            reason=REASON,
            target_forum=world.other_forum,
        )

    assert "target_forum" in refused.value.message_dict
    assert _concern(world).decision == Concern.Decision.PENDING


@pytest.mark.django_db
def test_passing_on_to_another_municipality_is_refused(world):
    elsewhere = Forum.objects.create(
        name="SSP Andenkommune",
        kind=ForumKind.SSP,
        municipality=MunicipalityFactory.create(code="202"),
        age_max=17,
    )
    member(elsewhere, world.coordinator)

    with pytest.raises(ValidationError) as refused:
        concern_decide(
            actor=world.coordinator,
            concern=_concern(world),
            decision="passed_on",
            reason=REASON,
            target_forum=elsewhere,
        )

    assert "target_forum" in refused.value.message_dict
    assert not CaseFile.objects.filter(forum=elsewhere).exists()


# --- The page ----------------------------------------------------------------------------


def _url(world):
    return reverse("persons:concern-decide", args=[world.concern.pk])


@pytest.mark.django_db
def test_the_coordinator_sees_the_concern_and_decides(world, client):
    client.force_login(world.coordinator)

    page = client.get(_url(world))
    assert page.status_code == 200
    assert CONCERN_TEXT in page.content.decode()
    assert 'name="decision"' in page.content.decode()

    response = client.post(_url(world), {"decision": "bring_to_forum", "reason": ""})
    assert response.status_code == 302
    assert _concern(world).decision == Concern.Decision.BRING_TO_FORUM


@pytest.mark.django_db
def test_no_action_without_reason_is_a_danish_400_on_the_field(world, client):
    client.force_login(world.coordinator)

    response = client.post(_url(world), {"decision": "no_action", "reason": "kort"})

    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_reason_error"' in body and "mindst 20 tegn" in body
    assert _concern(world).decision == Concern.Decision.PENDING


@pytest.mark.django_db
def test_the_target_select_offers_only_other_forums_of_the_municipality_run_by_the_actor(
    world, client
):
    member(world.other_forum, world.coordinator)
    elsewhere = Forum.objects.create(
        name="SSP Fjern", kind=ForumKind.SSP, municipality=MunicipalityFactory.create(code="203")
    )
    member(elsewhere, world.coordinator)
    client.force_login(world.coordinator)

    body = client.get(_url(world)).content.decode()

    assert f'<option value="{world.other_forum.pk}"' in body
    assert f'<option value="{world.forum.pk}"' not in body
    assert f'<option value="{elsewhere.pk}"' not in body


@pytest.mark.django_db
@pytest.mark.parametrize("name", INSIDERS)
def test_everyone_else_gets_404_on_the_decision_page(world, client, name):
    client.force_login(getattr(world, name))

    assert client.get(_url(world)).status_code == 404
    assert client.post(_url(world), {"decision": "bring_to_forum"}).status_code == 404
    assert client.get(reverse("persons:concern-decide", args=[999999])).status_code == 404
    assert _concern(world).decision == Concern.Decision.PENDING


def _listed(user):
    return [
        (c.case_file.person.pseudonym, c.case_file.forum.name, c.source_agency.name)
        for c in concerns_awaiting_decision(user=user)
    ]


@pytest.mark.django_db
def test_the_awaiting_list_takes_the_same_queries_for_one_or_many(world):
    _listed(world.coordinator)  # the user's roles are fetched once per user object
    with CaptureQueriesContext(connection) as one:
        assert len(_listed(world.coordinator)) == 1
    for n in range(3):
        concern_register(
            actor=world.school_member,
            forum=world.forum,
            identity=IdentityInput(name=f"Person {n}", cpr=f"0{n + 1}0413567{n}"),
            categories=["vold"],
            description="Endnu en bekymring",
            source_agency=world.school,
            necessity=NECESSITY,
        )
    with CaptureQueriesContext(connection) as many:
        assert len(_listed(world.coordinator)) == 4
    assert len(many) == len(one)
