"""Issue 12 as the insiders of threats.md would attack it: the request's user loaded once with
their roles and forums (forums.backends), the permission filter driven from the user's side
(InIds), the person page deriving reveal and form choices from case files already read, the
keyset-paged person list, and reads written pending and chained later by a sequencer. Each test
is one attack; a defence that holds stays as a regression test, a hole is an xfail(strict)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AccessEvent, ChainHead
from audit.selectors import audit_backlog
from audit.services import access_record, sequence_all, sequence_pending
from audit.verify import verify_chain
from coordination.models import Plan
from coordination.services import note_create
from core.permissions import roles_of, sees_no_content
from forums.models import Forum, ForumKind, Membership
from persons.models import CaseFile, FocusPerson, IdentityReveal, PersonGrant
from persons.services import casefile_open, casefile_update, identity_reveal, person_grant_create
from tests.factories import UserFactory
from tests.world import NECESSITY, OTHER_NAME, PERSON_CPR, PERSON_NAME, World

pytestmark = pytest.mark.django_db

MISSING = 2_000_000_000
REASON = "Forummet skal kunne tale om den unge med navn for at koordinere indsatsen."
REVEAL = "Skal ringe til forældrene om mødet på torsdag i næste uge."
SECRET_B = "Oplysning kun for det andet forum om Stormsvale"
HTMX = {"HTTP_HX_REQUEST": "true"}
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|csrf[-_]?token[^>]*')
PERSON_LINK = re.compile(r"/personer/(\d+)/")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, person: FocusPerson, **params: Any) -> Any:
    return client.get(reverse("coordination:person-detail", args=[person.pk]), params)


def body(response: Any) -> str:
    return str(response.content.decode())


def normalised(response: Any) -> str:
    text = CSRF_RE.sub("", body(response))
    return text.replace(response.wsgi_request.get_full_path(), "PATH")


def named(world: World, case_file: CaseFile | None = None) -> CaseFile:
    return casefile_update(
        actor=world.coordinator,
        case_file=case_file or world.case_file,
        mode=CaseFile.Mode.NAMED,
        reason=REASON,
    )


def join(forum: Forum, user: User, role: str = Membership.Role.MEMBER) -> Membership:
    return Membership.objects.create(
        forum=forum, user=user, role=role, valid_from=datetime.date(2026, 1, 1)
    )


def on_both_forums(world: World) -> CaseFile:
    """The person also on the other forum (the coordinator runs both), with a forum note there
    that only the other forum's members may read."""
    world.other_forum.agencies.add(world.police)
    join(world.other_forum, world.coordinator, Membership.Role.COORDINATOR)
    case_file_b = casefile_open(
        actor=world.coordinator, person=world.person, forum=world.other_forum, necessity=NECESSITY
    )
    note_create(
        actor=world.outsider,
        case_file=case_file_b,
        body=SECRET_B,
        visibility="forum",
        necessity=NECESSITY,
    )
    return case_file_b


def events_of(response: Any) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(request_id=response["X-Request-ID"]))


# --- the request's user: memberships and roles are per request ------------------------------


def test_a_membership_ended_between_two_requests_counts_from_the_next(world):
    client = client_for(world.school_member)
    assert page(client, world.person).status_code == 200

    Membership.objects.filter(user=world.school_member, forum=world.forum).update(
        valid_to=timezone.localdate()
    )

    assert page(client, world.person).status_code == 404
    listed = client.get(reverse("coordination:person-list"))
    assert world.person.pseudonym not in body(listed)


def test_a_membership_starting_tomorrow_gives_nothing_today(world):
    newcomer = UserFactory.create(full_name="Nina Ny", agency=world.school, roles=["member"])
    Membership.objects.create(
        forum=world.forum,
        user=newcomer,
        role=Membership.Role.COORDINATOR,
        valid_from=timezone.localdate() + datetime.timedelta(days=1),
    )
    client = client_for(newcomer)
    assert page(client, world.person).status_code == 404
    assert world.person.pseudonym not in body(client.get(reverse("coordination:person-list")))
    # Not a manager yet either: no forum to open a case file on, no grant to give.
    response = client.post(
        reverse("coordination:casefile-open", args=[world.other_person.pk]),
        {"forum": world.forum.pk, "necessity": NECESSITY, "consent": "not_sought"},
    )
    assert response.status_code == 404
    assert not CaseFile.objects.filter(person=world.other_person, forum=world.forum).exists()


def test_a_role_changed_between_two_requests_counts_from_the_next(world):
    client = client_for(world.school_member)
    assert page(client, world.person).status_code == 200

    world.school_member.groups.set(Group.objects.filter(name="dpo"))

    response = page(client, world.person)
    assert response.status_code in {302, 403, 404}
    assert world.person.pseudonym not in body(response)


@pytest.mark.parametrize("name", ["member,dpo", "dpo,member", "x,admin", '"dpo"', '["dpo"]'])
def test_a_group_name_with_a_separator_neither_gives_nor_removes_a_role(world, name):
    """Roles travel with the request's user as one aggregate: a group whose name holds the
    aggregate's separator (or looks like JSON) must count as that one name, exactly as the
    user's groups read one by one."""
    world.school_member.groups.add(Group.objects.create(name=name))
    client = client_for(world.school_member)

    response = page(client, world.person)

    loaded = response.wsgi_request.user
    fresh = User.objects.get(pk=world.school_member.pk)
    assert roles_of(loaded) == roles_of(fresh) == {"member", name}
    assert not sees_no_content(loaded)
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["member,dpo", "dpo,admin"])
def test_a_dpo_in_a_group_with_a_separator_still_sees_no_content(world, name):
    world.dpo.groups.add(Group.objects.create(name=name))
    join(world.forum, world.dpo)
    client = client_for(world.dpo)
    response = page(client, world.person)
    assert response.status_code in {403, 404}
    assert world.person.pseudonym not in body(response)


def test_a_superuser_with_a_membership_sees_no_content(world):
    boss = UserFactory.create(full_name="Sune Super", agency=world.school, roles=["member"])
    User.objects.filter(pk=boss.pk).update(is_superuser=True, is_staff=True)
    join(world.forum, boss)
    client = client_for(User.objects.get(pk=boss.pk))
    response = page(client, world.person)
    assert response.status_code in {403, 404}
    listed = client.get(reverse("coordination:person-list"))
    assert world.person.pseudonym not in body(listed)
    api = client.get(reverse("api:person-list"))
    assert world.person.pseudonym not in body(api)


def test_an_inactive_user_with_a_live_session_is_logged_out(world):
    client = client_for(world.school_member)
    User.objects.filter(pk=world.school_member.pk).update(is_active=False)
    response = page(client, world.person)
    assert response.status_code in {302, 403, 404}
    assert world.person.pseudonym not in body(response)


def test_another_forums_person_and_a_missing_one_answer_alike(world):
    client = client_for(world.school_member)
    forbidden = page(client, world.other_person)
    missing = client.get(reverse("coordination:person-detail", args=[MISSING]))
    assert forbidden.status_code == missing.status_code == 404
    assert normalised(forbidden) == normalised(missing)
    assert world.other_person.pseudonym not in body(forbidden)


# --- two forums: one forum at a time for police, own forums only in the forms ---------------


def test_police_in_two_forums_see_one_forums_part_at_a_time(world):
    case_file_b = on_both_forums(world)
    join(world.other_forum, world.police_member)
    client = client_for(world.police_member)

    in_a = page(client, world.person, forum=world.forum.pk)
    in_b = page(client, world.person, forum=world.other_forum.pk)

    assert in_a.status_code == in_b.status_code == 200
    assert SECRET_B not in body(in_a)
    assert SECRET_B in body(in_b)
    assert in_a.context["case_files"] == [world.case_file]
    assert in_b.context["case_files"] == [case_file_b]


def test_police_scoped_to_an_anonymous_forum_see_no_identity_revealed_through_another(world):
    on_both_forums(world)
    join(world.other_forum, world.police_member)
    named(world)
    identity_reveal(actor=world.police_member, person_id=world.person.pk, reason=REVEAL)
    client = client_for(world.police_member)

    in_a = page(client, world.person, forum=world.forum.pk)
    in_b = page(client, world.person, forum=world.other_forum.pk)

    assert PERSON_NAME in body(in_a)
    # Forum B discusses the person anonymously: its part shows neither name nor reveal form.
    assert PERSON_NAME not in body(in_b)
    assert not in_b.context["may_reveal"]


def test_the_forms_offer_only_the_users_managed_forums_and_case_files(world):
    case_file_b = on_both_forums(world)
    # The chair manages forum A only; forum B's case file must not be offered for a grant.
    client = client_for(world.chair)
    response = page(client, world.person)
    assert response.status_code == 200
    grant_choices = {str(v) for v, _ in response.context["grant_form"].fields["case_file"].choices}
    open_choices = {str(v) for v, _ in response.context["open_form"].fields["forum"].choices}
    assert str(world.case_file.pk) in grant_choices
    assert str(case_file_b.pk) not in grant_choices
    assert str(world.other_forum.pk) not in open_choices
    assert world.other_forum.name not in body(response)


def test_a_chair_demoted_between_two_requests_may_no_longer_grant(world):
    grantee = UserFactory.create(full_name="Gitte Adgang", agency=world.social, roles=["member"])
    client = client_for(world.chair)
    assert page(client, world.person).context["may_grant"]

    Membership.objects.filter(user=world.chair, forum=world.forum).update(
        role=Membership.Role.MEMBER
    )

    assert not page(client, world.person).context["may_grant"]
    response = client.post(
        reverse("coordination:person-grant-create", args=[world.person.pk]),
        {
            "case_file": world.case_file.pk,
            "email": grantee.email,
            "expires_at": (timezone.localdate() + datetime.timedelta(days=10)).isoformat(),
            "reason": REASON,
        },
    )
    assert response.status_code in {403, 404}
    assert not PersonGrant.objects.filter(grantee=grantee).exists()


def test_a_plain_member_is_offered_no_grant_and_no_forum(world):
    response = page(client_for(world.school_member), world.person)
    assert response.status_code == 200
    assert not response.context["may_grant"]
    assert not response.context["may_open"]
    choices = response.context["grant_form"].fields["case_file"].choices
    assert [v for v, _ in choices if v != ""] == []


# --- reveal -----------------------------------------------------------------------------------


def grant_to(world: World, grantee: User) -> PersonGrant:
    return person_grant_create(
        actor=world.chair,
        case_file=world.case_file,
        grantee=grantee,
        expires_at=timezone.now() + datetime.timedelta(days=30),
        reason=REASON,
    )


def test_a_grantee_may_not_reveal_a_named_persons_identity(world):
    named(world)
    grantee = UserFactory.create(full_name="Gitte Adgang", agency=world.social, roles=["member"])
    grant_to(world, grantee)
    client = client_for(grantee)

    response = page(client, world.person)
    assert response.status_code == 200
    assert not response.context["may_reveal"]
    assert PERSON_NAME not in body(response)

    url = reverse("coordination:person-reveal", args=[world.person.pk])
    for extra in ({}, HTMX):
        refused = client.post(url, {"reason": REVEAL}, **extra)
        assert refused.status_code in {403, 404}
        assert PERSON_NAME not in body(refused)
        assert PERSON_CPR not in body(refused)
    assert not IdentityReveal.objects.filter(user=grantee).exists()


def test_a_named_case_file_on_another_forum_gives_no_reveal(world):
    """The person is named on forum B only; a member of forum A alone may not reveal."""
    case_file_b = on_both_forums(world)
    named(world, case_file_b)
    client = client_for(world.school_member)

    response = page(client, world.person)
    assert response.status_code == 200
    assert not response.context["may_reveal"]
    refused = client.post(
        reverse("coordination:person-reveal", args=[world.person.pk]), {"reason": REVEAL}
    )
    assert refused.status_code in {400, 403, 404}
    assert PERSON_NAME not in body(refused)
    assert not IdentityReveal.objects.filter(user=world.school_member).exists()


def test_an_expired_reveal_shows_nothing(world):
    named(world)
    identity_reveal(actor=world.school_member, person_id=world.person.pk, reason=REVEAL)
    client = client_for(world.school_member)
    assert PERSON_NAME in body(page(client, world.person))

    reveal = IdentityReveal.objects.get(user=world.school_member)
    with time_machine.travel(reveal.expires_at + datetime.timedelta(seconds=1), tick=False):
        # A fresh login: the old session has timed out by then.
        response = page(client_for(world.school_member), world.person)
    assert response.status_code == 200
    assert PERSON_NAME not in body(response)
    assert response.context["reveal"] is None


def test_a_reveal_on_a_case_file_since_closed_shows_nothing(world):
    """The coordinator revealed through forum A's named case file; A's case file is closed,
    and the person is still on forum B (anonymous): the identity A knew must not be shown."""
    on_both_forums(world)
    named(world)
    identity_reveal(actor=world.coordinator, person_id=world.person.pk, reason=REVEAL)
    client = client_for(world.coordinator)
    assert PERSON_NAME in body(page(client, world.person))

    casefile_update(
        actor=world.coordinator, case_file=world.case_file, closed_reason="Indsatsen er afsluttet"
    )

    response = page(client, world.person)
    assert response.status_code == 200
    assert PERSON_NAME not in body(response)
    assert not response.context["may_reveal"]


def test_a_reveal_after_the_membership_ended_shows_nothing(world):
    named(world)
    identity_reveal(actor=world.school_member, person_id=world.person.pk, reason=REVEAL)
    client = client_for(world.school_member)
    Membership.objects.filter(user=world.school_member).update(valid_to=timezone.localdate())
    response = page(client, world.person)
    assert response.status_code == 404
    assert PERSON_NAME not in body(response)


# --- form choices: what was not offered is refused --------------------------------------------


def test_opening_a_case_file_on_a_forum_not_offered_is_refused(world):
    before = CaseFile.objects.count()
    client = client_for(world.coordinator)
    response = client.post(
        reverse("coordination:casefile-open", args=[world.person.pk]),
        {"forum": world.other_forum.pk, "necessity": NECESSITY, "consent": "not_sought"},
    )
    assert response.status_code == 400
    assert CaseFile.objects.count() == before
    assert OTHER_NAME not in body(response)


def test_a_grant_from_another_forums_case_file_is_refused(world):
    case_file_b = on_both_forums(world)
    Membership.objects.filter(user=world.coordinator, forum=world.other_forum).update(
        valid_to=timezone.localdate()
    )
    grantee = UserFactory.create(full_name="Gitte Adgang", agency=world.social, roles=["member"])
    client = client_for(world.coordinator)
    response = client.post(
        reverse("coordination:person-grant-create", args=[world.person.pk]),
        {
            "case_file": case_file_b.pk,
            "email": grantee.email,
            "expires_at": (timezone.localdate() + datetime.timedelta(days=10)).isoformat(),
            "reason": REASON,
        },
    )
    assert response.status_code == 400
    assert not PersonGrant.objects.filter(grantee=grantee).exists()
    assert SECRET_B not in body(response)


def test_a_member_posting_a_grant_is_refused_though_the_case_file_is_visible(world):
    grantee = UserFactory.create(full_name="Gitte Adgang", agency=world.social, roles=["member"])
    client = client_for(world.school_member)
    response = client.post(
        reverse("coordination:person-grant-create", args=[world.person.pk]),
        {
            "case_file": world.case_file.pk,
            "email": grantee.email,
            "expires_at": (timezone.localdate() + datetime.timedelta(days=10)).isoformat(),
            "reason": REASON,
        },
    )
    assert response.status_code in {403, 404}
    assert not PersonGrant.objects.filter(grantee=grantee).exists()


# --- the keyset: ?efter= ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "A" * 5000,
        "ABCD-EFG\x00",
        "\x00",
        "\u017f\u017f\u017f\u017f-\u017f\u017f\u017f\u017f",  # long s: upper() makes it ASCII "SSSS-SSSS", a valid key
        "ÅÆØÅ-ÆØÅÆ",
        "\uff21\uff22\uff23\uff24-\uff25\uff26\uff27\uff28",  # fullwidth letters
        "ABCD-EFGH\n",
        "ABCD\u2010EFGH",  # a Unicode hyphen
        "%00",
        "ABCD-EFGH' OR '1'='1",
    ],
)
def test_an_odd_key_is_a_400_or_pages_only_the_users_own_persons(world, key):
    client = client_for(world.school_member)
    response = client.get(reverse("coordination:person-list"), {"efter": key})
    assert response.status_code in {200, 400}
    visible = {str(world.person.pk)}
    assert set(PERSON_LINK.findall(body(response))) <= visible
    assert world.other_person.pseudonym not in body(response)


@pytest.mark.parametrize("query", ["\x00", "AB\x00CD", "A" * 5000, "\uff21\uff22\uff23\uff24"])
def test_an_odd_search_is_a_400_never_a_500(world, query):
    response = client_for(world.school_member).get(
        reverse("coordination:person-list"), {"q": query}
    )
    assert response.status_code in {200, 400}
    assert world.other_person.pseudonym not in body(response)


def test_the_key_of_another_forums_person_and_an_invented_one_answer_alike(world):
    """Both keys sort before and after the user's one person in the same way: the answers must
    be the same page (the key is a place in the alphabet, not a lookup)."""
    client = client_for(world.school_member)
    other = world.other_person.pseudonym
    # An invented key that sorts right next to the real one, on the same side of the user's
    # person: the two pages must then be identical.
    invented = other[:-1] + ("2" if other[-1] != "2" else "3")
    if (invented > world.person.pseudonym) != (other > world.person.pseudonym):
        pytest.skip("the user's person sorts between the two keys")
    known = client.get(reverse("coordination:person-list"), {"efter": other})
    made_up = client.get(reverse("coordination:person-list"), {"efter": invented})
    assert known.status_code == made_up.status_code == 200
    assert normalised(known).replace(other, "KEY") == normalised(made_up).replace(invented, "KEY")


@pytest.mark.parametrize(
    "params",
    [
        {"page": "\x00"},
        {"page": "9" * 400},
        {"page_size": "-1"},
        {"cursor": "\x00"},
        {"cursor": "garbage"},
        {"forum": "\x00"},
        {"forum": str(MISSING)},
    ],
)
def test_odd_api_list_parameters_are_never_a_500(world, params):
    client = client_for(world.school_member)
    client.raise_request_exception = False
    response = client.get(reverse("api:person-list"), params)
    assert response.status_code in {200, 400, 404}
    assert world.other_person.pseudonym not in body(response)


# --- the audit trail: nothing shown without its events ----------------------------------------


def test_every_page_showing_the_person_writes_its_events(world):
    """Each path recorded under its own request id, pending until the sequencer runs."""
    named(world)
    client = client_for(world.school_member)
    api_list = client.get(reverse("api:person-list"))
    api_detail = client.get(reverse("api:person-detail", args=[world.person.pk]))
    person_page = page(client, world.person)
    person_list = client.get(reverse("coordination:person-list"))
    search = client.get(reverse("coordination:person-list"), {"q": world.person.pseudonym[:4]})
    forum_filter = client.get(reverse("coordination:person-list"), {"forum": world.forum.pk})
    fragment = client.post(
        reverse("coordination:person-reveal", args=[world.person.pk]), {"reason": REVEAL}, **HTMX
    )
    for response in (api_list, api_detail, person_page, person_list, search, forum_filter):
        assert response.status_code == 200
        assert world.person.pseudonym in body(response)
        events = events_of(response)
        assert events, response.wsgi_request.get_full_path()
        assert any(world.person.pk in e.person_ids for e in events)
    assert fragment.status_code == 200
    assert PERSON_NAME in body(fragment)
    assert any(e.action == "reveal_identity" for e in events_of(fragment))


def test_an_invalid_htmx_reveal_shows_nothing_of_the_person(world):
    """The fragment with the form's errors reads the person (404 if not theirs) but shows
    nothing of them: the read needs no event, and none of the identity leaves."""
    named(world)
    client = client_for(world.school_member)
    response = client.post(
        reverse("coordination:person-reveal", args=[world.person.pk]), {"reason": ""}, **HTMX
    )
    assert response.status_code == 200
    assert world.person.pseudonym not in body(response)
    assert PERSON_NAME not in body(response)
    assert not IdentityReveal.objects.exists()


def test_a_refused_person_page_and_a_failed_form_write_their_reads(world):
    """A 400 page re-rendering the person (a form error) shows the person: recorded too."""
    client = client_for(world.coordinator)
    response = client.post(
        reverse("coordination:casefile-open", args=[world.person.pk]),
        {"forum": world.other_forum.pk, "necessity": NECESSITY, "consent": "not_sought"},
    )
    assert response.status_code == 400
    assert world.person.pseudonym in body(response)
    assert any(world.person.pk in e.person_ids for e in events_of(response))


def test_an_exception_after_the_reads_serves_nothing_of_the_person(world, monkeypatch):
    """A view failing after its reads answers 500 without content; the reads made are still
    written (the answer came back through the audit middleware)."""
    import coordination.views

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(coordination.views, "_grant_context", broken)
    client = client_for(world.school_member)
    client.raise_request_exception = False
    response = page(client, world.person)
    assert response.status_code == 500
    assert world.person.pseudonym not in body(response)
    assert any(e.action == "view_person" for e in events_of(response))


@pytest.mark.parametrize("path", ["page", "api", "htmx"])
def test_an_audit_write_failing_withholds_every_kind_of_answer(world, monkeypatch, path):
    import audit.services

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("audit store unavailable")

    named(world)
    monkeypatch.setattr(audit.services, "_insert_pending", broken)
    monkeypatch.setattr(audit.services, "append", broken)
    client = client_for(world.school_member)
    client.raise_request_exception = False
    if path == "page":
        response = client.get(reverse("coordination:person-list"))
    elif path == "api":
        response = client.get(reverse("api:person-list"))
    else:
        response = client.post(
            reverse("coordination:person-reveal", args=[world.person.pk]),
            {"reason": REVEAL},
            **HTMX,
        )
    assert response.status_code in {500, 503}
    assert world.person.pseudonym not in body(response)
    assert PERSON_NAME not in body(response)
    assert not IdentityReveal.objects.exists()


def test_with_the_audit_down_a_forbidden_and_a_missing_person_still_answer_alike(
    world, monkeypatch
):
    """A refusal is recorded too: with the audit store down, both fail the same way, so the
    outage is no oracle for which ids exist on other forums."""
    import audit.services

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit.services, "_insert_pending", broken)
    client = client_for(world.school_member)
    for url in (
        lambda pk: reverse("coordination:person-detail", args=[pk]),
        lambda pk: reverse("api:person-detail", args=[pk]),
    ):
        forbidden = client.get(url(world.other_person.pk))
        missing = client.get(url(MISSING))
        assert forbidden.status_code == missing.status_code
        assert normalised(forbidden) == normalised(missing)


def raw(sql: str, params: list[object]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def pending_read(world: World) -> AccessEvent:
    sequence_all()
    return access_record(actor=world.school_member, action="view_person", objects=[world.person])


def test_the_app_role_cannot_change_a_pending_rows_content_while_chaining_it(world):
    event = pending_read(world)
    head = ChainHead.objects.get(chain=AccessEvent.CHAIN)
    with pytest.raises(ProgrammingError, match="append-only"):
        raw(
            "UPDATE audit_accessevent SET seq = %s, prev_hash = %s, row_hash = %s, "
            "person_ids = '[]'::jsonb WHERE id = %s",
            [head.seq + 1, head.row_hash, "f" * 64, event.pk],
        )
    with pytest.raises(ProgrammingError, match="append-only"):
        raw(
            "UPDATE audit_accessevent SET occurred_at = occurred_at + interval '1 day' "
            "WHERE id = %s",
            [event.pk],
        )


def test_a_pending_row_pushed_beyond_the_head_is_refused(world):
    """Found by this review: a row 'chained' far beyond the head left the backlog and
    verification's sight. The trigger now refuses any seq past the head's."""
    event = pending_read(world)
    head = ChainHead.objects.get(chain=AccessEvent.CHAIN)
    with pytest.raises(ProgrammingError, match="append-only"):
        raw(
            "UPDATE audit_accessevent SET seq = %s, prev_hash = %s, row_hash = %s WHERE id = %s",
            [head.seq + 1_000_000, "0" * 64, "f" * 64, event.pk],
        )
    assert AccessEvent.objects.get(pk=event.pk).seq is None
    assert audit_backlog()[0] == 1


def test_a_pending_row_given_the_next_seq_does_not_jam_the_sequencer(world):
    """Found by this review: a row given the next seq without the head jammed the sequencer on
    the unique seq. Refused now; and a head advanced with it is named by verification while
    the sequencer goes on behind it."""
    event = pending_read(world)
    head = ChainHead.objects.get(chain=AccessEvent.CHAIN)
    with pytest.raises(ProgrammingError, match="append-only"):
        raw(
            "UPDATE audit_accessevent SET seq = %s, prev_hash = %s, row_hash = %s WHERE id = %s",
            [head.seq + 1, head.row_hash, "f" * 64, event.pk],
        )
    raw(
        "UPDATE audit_chainhead SET seq = seq + 1, row_hash = %s WHERE chain = 'access_event'",
        ["f" * 64],
    )
    raw(
        "UPDATE audit_accessevent SET seq = %s, prev_hash = %s, row_hash = %s WHERE id = %s",
        [head.seq + 1, head.row_hash, "f" * 64, event.pk],
    )
    later = access_record(actor=world.school_member, action="view_person", objects=[world.person])
    assert sequence_pending() == 1
    assert AccessEvent.objects.get(pk=later.pk).seq == head.seq + 2
    assert not verify_chain(AccessEvent).ok


def test_a_chained_row_cannot_be_resequenced(world):
    event = pending_read(world)
    sequence_all()
    chained = AccessEvent.objects.get(pk=event.pk)
    for sql, params in [
        (
            "UPDATE audit_accessevent SET seq = NULL, prev_hash = '', row_hash = '' WHERE id = %s",
            [chained.pk],
        ),
        ("UPDATE audit_accessevent SET seq = seq + 1000 WHERE id = %s", [chained.pk]),
    ]:
        with pytest.raises(ProgrammingError, match="append-only"):
            raw(sql, params)


# --- the filter itself --------------------------------------------------------------------------


def test_the_visible_set_is_the_same_through_the_loaded_user_and_a_fresh_one(world):
    """The request's user answers member_forum_ids from what was loaded; a User read any other
    way asks the database. Both must give the same persons, for every persona."""
    on_both_forums(world)
    for persona in (
        world.school_member,
        world.coordinator,
        world.police_member,
        world.outsider,
        world.expired_member,
        world.dpo,
        world.admin,
    ):
        client = client_for(persona)
        response = client.get(reverse("api:person-list"))
        loaded = response.wsgi_request.user
        fresh = User.objects.get(pk=persona.pk)
        for action in ("view", "reveal", "open", "change"):
            through_loaded = set(
                FocusPerson.objects.restrict(loaded, action).values_list("pk", flat=True)
            )
            through_fresh = set(
                FocusPerson.objects.restrict(fresh, action).values_list("pk", flat=True)
            )
            assert through_loaded == through_fresh, (persona, action)
        for model in (CaseFile, Plan):
            loaded_ids = set(model.objects.restrict(loaded).values_list("pk", flat=True))
            fresh_ids = set(model.objects.restrict(fresh).values_list("pk", flat=True))
            assert loaded_ids == fresh_ids, (persona, model)


def test_a_grant_on_a_closed_case_file_gives_nothing(world):
    grantee = UserFactory.create(full_name="Gitte Adgang", agency=world.social, roles=["member"])
    grant_to(world, grantee)
    client = client_for(grantee)
    assert page(client, world.person).status_code == 200
    casefile_update(
        actor=world.coordinator, case_file=world.case_file, closed_reason="Indsatsen er afsluttet"
    )
    assert page(client, world.person).status_code == 404


def test_a_forum_of_another_kind_does_not_widen_the_list(world):
    """A member of a forum with no persons, in a different kind, sees nothing new."""
    psp = Forum.objects.create(
        name="PSP Test", kind=ForumKind.PSP, municipality=world.forum.municipality, age_max=99
    )
    loner = UserFactory.create(full_name="Lone Alene", agency=world.school, roles=["member"])
    join(psp, loner)
    client = client_for(loner)
    response = client.get(reverse("coordination:person-list"))
    assert response.status_code == 200
    assert not PERSON_LINK.findall(body(response))
    assert page(client, world.person).status_code == 404
