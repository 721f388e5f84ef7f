"""Review of 48c08d0..d014fb2 as the insiders of threats.md would attack it: Note and Concern
restricted by case file ids (InIds), the person page reading notes and concerns by the case
files it holds (and the police one-forum scope), the grant context's plans, the new
`create_user` command, secret files ending in a newline and the beat schedule built on
configure. Each test is one attack or one rule that must keep holding."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AccountEvent
from config import keys
from coordination.models import Note, Plan
from coordination.plans import plan_save
from coordination.services import note_create
from core.models import Notification
from forums.models import Forum, Membership
from persons.models import CaseFile, Concern, FocusPerson, PersonGrant
from persons.services import (
    IdentityInput,
    casefile_open,
    casefile_update,
    concern_register,
    person_grant_create,
    person_grant_revoke,
)
from tests.factories import AgencyFactory, UserFactory
from tests.test_issue12_attacks import body, client_for, page
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

SECRET_B = "Oplysning kun for det andet forum om Stormsvale"
CONCERN_B = "Bekymring kun for det andet forum om Stormsvale"
CLOSED_NOTE = "Notat på en lukket sag om Tranebærvej"
PLAN_GOALS = "Mål for den unge: fast fremmøde i skolen hver dag"
OTHER_GOALS = "Mål kun for den anden unge i det andet forum"
REASON = "Familiens sagsbehandler skal kende planen for at kunne støtte den unge."
PASSWORD = "Et-langt-kodeord-til-review-2026"


def join(forum: Forum, user: User, role: str = Membership.Role.MEMBER) -> Membership:
    return Membership.objects.create(
        forum=forum, user=user, role=role, valid_from=datetime.date(2026, 1, 1)
    )


def on_both_forums(world: World) -> tuple[CaseFile, Note, Concern]:
    """The person also on the other forum (the coordinator runs both), with a forum note and a
    concern there that only the other forum's members may read; police sit on both forums."""
    world.other_forum.agencies.add(world.police)
    join(world.other_forum, world.coordinator, Membership.Role.COORDINATOR)
    join(world.other_forum, world.police_member)
    case_file_b = casefile_open(
        actor=world.coordinator, person=world.person, forum=world.other_forum, necessity=NECESSITY
    )
    note_b = note_create(
        actor=world.outsider,
        case_file=case_file_b,
        body=SECRET_B,
        visibility="forum",
        necessity=NECESSITY,
    )
    concern_b = concern_register(
        actor=world.outsider,
        forum=world.other_forum,
        identity=IdentityInput(name=PERSON_NAME, cpr=PERSON_CPR),
        categories=["vold"],
        description=CONCERN_B,
        source_agency=world.social,
        necessity=NECESSITY,
    ).concern
    assert concern_b.case_file_id == case_file_b.pk
    return case_file_b, note_b, concern_b


def closed_case_file(world: World) -> tuple[CaseFile, Note, Concern]:
    """A third person on the forum, with a concern and a note, whose case file is closed."""
    result = concern_register(
        actor=world.school_member,
        forum=world.forum,
        identity=IdentityInput(name="Lukket Sagsen", cpr="0203124561"),
        categories=["vold"],
        description="Bekymring på en sag der lukkes",
        source_agency=world.school,
        necessity=NECESSITY,
    )
    case_file = result.concern.case_file
    note = note_create(
        actor=world.police_member,
        case_file=case_file,
        body=CLOSED_NOTE,
        visibility="forum",
        necessity=NECESSITY,
    )
    casefile_update(
        actor=world.coordinator, case_file=case_file, closed_reason="Indsatsen er afsluttet"
    )
    return case_file, note, result.concern


def grant_to(world: World, grantee: User, case_file: CaseFile | None = None) -> PersonGrant:
    case_file = case_file or world.case_file
    actor = world.chair if case_file.forum_id == world.forum.pk else world.outsider
    return person_grant_create(
        actor=actor,
        case_file=case_file,
        grantee=grantee,
        expires_at=timezone.now() + datetime.timedelta(days=30),
        reason=REASON,
    )


def ids(queryset: Any) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def old_note_restrict(user: Any, action: str) -> Any:
    """NoteQuerySet.restrict as it was before 48c08d0 (a join on the visible case files)."""
    visible = Note.objects.filter(case_file__in=CaseFile.objects.restrict(user, "view"))
    agency_id = getattr(user, "agency_id", None) or 0
    if action == "share":
        return visible.filter(visibility=Note.Visibility.AGENCY, agency_id=agency_id)
    if action == "correct":
        return visible.filter(author_id=user.pk or 0)
    return visible.filter(Q(visibility=Note.Visibility.FORUM) | Q(agency_id=agency_id))


# --- 1. Note and Concern restrict by ids: the same sets as the join, for every persona ---------


ACTIONS = ("view", "change", "share", "correct", "reveal", "open", "report", "retention")


def personas(world: World, grantee: User) -> dict[str, Any]:
    superuser = UserFactory.create(
        full_name="Super Bruger", agency=world.school, roles=["member"], is_superuser=True
    )
    join(world.forum, superuser)
    inactive = UserFactory.create(full_name="Ina Aktiv", agency=world.school, roles=["member"])
    join(world.forum, inactive)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    inactive.refresh_from_db()
    return {
        "school_member": world.school_member,
        "police_member": world.police_member,
        "coordinator": world.coordinator,
        "chair": world.chair,
        "outsider": world.outsider,
        "expired_member": world.expired_member,
        "dpo": world.dpo,
        "admin": world.admin,
        "grantee": grantee,
        "superuser_member": superuser,
        "inactive_member": inactive,
        "anonymous": AnonymousUser(),
    }


def test_note_and_concern_restrict_by_ids_equal_the_join_for_every_persona_and_action(world):
    on_both_forums(world)
    closed_case_file(world)
    grantee = UserFactory.create(full_name="Gitte Adgang", agency=world.social, roles=["member"])
    grant_to(world, grantee)
    for name, user in personas(world, grantee).items():
        for action in ACTIONS:
            new_notes = ids(Note.objects.restrict(user, action))
            assert new_notes == ids(old_note_restrict(user, action)), (name, action)
            new_concerns = ids(Concern.objects.restrict(user, action))
            joined = Concern.objects.filter(case_file__in=CaseFile.objects.restrict(user, action))
            assert new_concerns == ids(joined), (name, action)


def test_notes_each_persona_reads_exactly(world):
    _case_file_b, note_b, _concern_b = on_both_forums(world)
    _closed, closed_note, _closed_concern = closed_case_file(world)
    grantee = UserFactory.create(full_name="Gitte Adgang", agency=world.social, roles=["member"])
    grant_to(world, grantee)
    agency, forum = world.agency_note.pk, world.forum_note.pk

    def notes(user: Any, action: str = "view") -> set[int]:
        return ids(Note.objects.restrict(user, action))

    assert notes(world.school_member) == {agency, forum}  # not forum B's, not the closed one
    assert notes(world.police_member) == {forum, note_b.pk}  # not the school's own note
    assert notes(world.outsider) == {note_b.pk}
    assert notes(world.coordinator) == {agency, forum, note_b.pk}  # the school's coordinator
    for nobody in (world.expired_member, world.dpo, world.admin, grantee):
        for action in ACTIONS:
            assert notes(nobody, action) == set(), (nobody, action)
    # Sharing: the author's agency's own notes; correcting: one's own notes, open case files.
    assert notes(world.school_member, "share") == {agency}
    assert notes(world.coordinator, "share") == {agency}
    assert notes(world.police_member, "share") == set()
    assert notes(world.school_member, "correct") == {agency}
    assert notes(world.police_member, "correct") == {forum}
    assert closed_note.pk not in notes(world.police_member, "correct")
    assert closed_note.pk not in notes(world.coordinator, "report")


def test_concerns_each_persona_reads_exactly(world):
    _case_file_b, _note_b, concern_b = on_both_forums(world)
    _closed, _closed_note, closed_concern = closed_case_file(world)
    grantee = UserFactory.create(full_name="Gitte Adgang", agency=world.social, roles=["member"])
    grant_to(world, grantee)
    a = world.concern.pk
    other = Concern.objects.get(case_file=world.other_case_file).pk  # the other forum's person

    def concerns(user: Any, action: str = "view") -> set[int]:
        return ids(Concern.objects.restrict(user, action))

    assert concerns(world.school_member) == {a}
    assert concerns(world.police_member) == {a, concern_b.pk, other}
    assert concerns(world.outsider) == {concern_b.pk, other}
    # Deciding is for the managers of the case file's forum; plain members get nothing.
    assert concerns(world.school_member, "change") == set()
    assert concerns(world.police_member, "change") == set()
    assert concerns(world.chair, "change") == {a}
    assert concerns(world.outsider, "change") == {concern_b.pk, other}
    assert concerns(world.coordinator, "change") == {a, concern_b.pk, other}
    # The forum's business until deleted: closed ones for the managers' report, nobody else's.
    assert concerns(world.chair, "report") == {a, closed_concern.pk}
    assert concerns(world.outsider, "report") == {concern_b.pk, other}
    assert concerns(world.school_member, "report") == set()
    assert closed_concern.pk not in concerns(world.chair)
    for nobody in (world.expired_member, world.dpo, world.admin, grantee):
        for action in ACTIONS:
            assert concerns(nobody, action) == set(), (nobody, action)


def test_an_empty_restrict_composes_as_nothing_not_everything(world):
    """The content-blind get an empty id list (restrict's none()): inside Exists, an exclude
    or a row lock it must stay "nothing", never turn into "no filter"."""
    on_both_forums(world)
    for user in (world.dpo, world.admin, world.expired_member):
        with_note = FocusPerson.objects.filter(
            Exists(Note.objects.restrict(user).filter(case_file__person=OuterRef("pk")))
        )
        assert not with_note.exists()
        with_concern = FocusPerson.objects.filter(
            Exists(
                Concern.objects.restrict(user, "change").filter(case_file__person=OuterRef("pk"))
            )
        )
        assert not with_concern.exists()
        hidden = Note.objects.exclude(pk__in=Note.objects.restrict(user).values("pk"))
        assert ids(hidden) == ids(Note.objects.all())
        with transaction.atomic():
            locked = Concern.objects.restrict(user, "change").select_for_update(of=("self",))
            assert list(locked) == []
    with transaction.atomic():
        locked = Concern.objects.restrict(world.chair, "change").select_for_update(of=("self",))
        assert [c.pk for c in locked] == [world.concern.pk]


def test_a_membership_ended_today_hides_notes_and_concerns_through_every_action(world):
    client = client_for(world.school_member)
    assert AGENCY_NOTE_TEXT in body(page(client, world.person))
    Membership.objects.filter(user=world.school_member, forum=world.forum).update(
        valid_to=timezone.localdate()
    )
    for action in ACTIONS:
        assert not Note.objects.restrict(world.school_member, action).exists(), action
        assert not Concern.objects.restrict(world.school_member, action).exists(), action
    share = client.post(
        reverse("api:note-share", args=[world.agency_note.pk]),
        {"necessity": NECESSITY},
        content_type="application/json",
    )
    assert share.status_code == 404
    assert Note.objects.get(pk=world.agency_note.pk).visibility == Note.Visibility.AGENCY
    listed = client.get(reverse("api:case-file-notes", args=[world.case_file.pk]))
    assert listed.status_code == 404
    assert AGENCY_NOTE_TEXT not in body(listed)


# --- 2. the person page: notes and concerns of the case files it holds ------------------------


def test_police_see_the_notes_and_concerns_of_one_forum_at_a_time(world):
    _case_file_b, note_b, concern_b = on_both_forums(world)
    client = client_for(world.police_member)

    default = page(client, world.person)
    in_a = page(client, world.person, forum=world.forum.pk)
    in_b = page(client, world.person, forum=world.other_forum.pk)

    for response in (default, in_a):
        assert response.status_code == 200
        assert [n.pk for n in response.context["notes"]] == [world.forum_note.pk]
        assert [c.pk for c in response.context["concerns"]] == [world.concern.pk]
        assert SECRET_B not in body(response) and CONCERN_B not in body(response)
        assert FORUM_NOTE_TEXT in body(response)
    assert in_b.status_code == 200
    assert [n.pk for n in in_b.context["notes"]] == [note_b.pk]
    assert [c.pk for c in in_b.context["concerns"]] == [concern_b.pk]
    assert FORUM_NOTE_TEXT not in body(in_b) and CONCERN_TEXT not in body(in_b)
    assert SECRET_B in body(in_b) and CONCERN_B in body(in_b)
    # Each note and concern comes with the case file of the page's scope, nothing else.
    for response in (in_a, in_b):
        shown = {cf.pk for cf in response.context["case_files"]}
        assert len(shown) == 1
        assert {n.case_file.pk for n in response.context["notes"]} <= shown
        assert {c.case_file.pk for c in response.context["concerns"]} <= shown


@pytest.mark.parametrize("requested", ["", "0", "-1", "abc", "999999999", "1,2", "other_b"])
def test_police_cannot_widen_the_scope_with_an_odd_forum(world, requested):
    """An unknown, foreign or malformed forum shows the first forum's part, never both."""
    _case_file_b, _note_b, _concern_b = on_both_forums(world)
    lone = Forum.objects.create(
        name="SSP Ensom", kind=world.forum.kind, municipality=world.forum.municipality
    )
    join(lone, world.police_member)  # a forum of theirs where the person is not
    value = str(lone.pk) if requested == "other_b" else requested
    response = page(client_for(world.police_member), world.person, forum=value)
    assert response.status_code == 200
    assert [cf.pk for cf in response.context["case_files"]] == [world.case_file.pk]
    assert SECRET_B not in body(response) and CONCERN_B not in body(response)
    assert {n.pk for n in response.context["notes"]} == {world.forum_note.pk}


def test_a_non_police_member_of_both_forums_sees_both_whatever_the_forum_param(world):
    _case_file_b, note_b, concern_b = on_both_forums(world)
    client = client_for(world.coordinator)
    for params in ({}, {"forum": world.forum.pk}, {"forum": world.other_forum.pk}):
        response = page(client, world.person, **params)
        assert response.status_code == 200
        assert {n.pk for n in response.context["notes"]} == {
            world.agency_note.pk,
            world.forum_note.pk,
            note_b.pk,
        }
        assert {c.pk for c in response.context["concerns"]} == {world.concern.pk, concern_b.pk}


def test_a_member_of_one_forum_gets_nothing_of_the_other_on_the_person_page(world):
    on_both_forums(world)
    response = page(client_for(world.school_member), world.person, forum=world.other_forum.pk)
    assert response.status_code == 200
    assert SECRET_B not in body(response) and CONCERN_B not in body(response)
    assert {n.pk for n in response.context["notes"]} == {
        world.agency_note.pk,
        world.forum_note.pk,
    }
    # The police see the forum note but never the school's own note.
    police = page(client_for(world.police_member), world.person)
    assert AGENCY_NOTE_TEXT not in body(police)


def test_a_closed_case_file_shows_nothing_on_the_page_even_to_its_managers(world):
    case_file, _note, _concern = closed_case_file(world)
    response = page(client_for(world.coordinator), case_file.person)
    assert response.status_code == 404
    assert CLOSED_NOTE not in body(response)


@pytest.mark.parametrize("persona", ["dpo", "admin", "expired_member", "outsider"])
def test_the_content_blind_and_outsiders_get_no_person_page(world, persona):
    response = page(client_for(getattr(world, persona)), world.person)
    # The content-blind roles are refused as a role (403), members of nothing see no person.
    assert response.status_code == (403 if persona in ("dpo", "admin") else 404)
    for text in (AGENCY_NOTE_TEXT, FORUM_NOTE_TEXT, CONCERN_TEXT):
        assert text not in body(response)


# --- 3. the grant context: plans only of the user's own grants on this person ----------------


def test_a_grantee_sees_this_persons_granted_plan_and_no_note_or_concern(world):
    grantee = UserFactory.create(full_name="Gitte Adgang", agency=world.social, roles=["member"])
    plan_save(actor=world.coordinator, case_file=world.case_file, goals=PLAN_GOALS)
    plan_save(actor=world.outsider, case_file=world.other_case_file, goals=OTHER_GOALS)
    grant = grant_to(world, grantee)
    grant_to(world, grantee, world.other_case_file)  # a grant on another person as well

    response = page(client_for(grantee), world.person)

    assert response.status_code == 200
    text = body(response)
    assert PLAN_GOALS in text
    assert OTHER_GOALS not in text  # the other person's plan stays on the other person's page
    assert [g.pk for g in response.context["own_grants"]] == [grant.pk]
    assert response.context["own_grants"][0].person.pk == world.person.pk
    plans = [plan.pk for plan, _ in response.context["granted_plans"]]
    assert plans == [Plan.objects.get(case_file=world.case_file).pk]
    assert response.context["notes"] == [] and response.context["concerns"] == []
    for secret in (AGENCY_NOTE_TEXT, FORUM_NOTE_TEXT, CONCERN_TEXT, PERSON_NAME):
        assert secret not in text
    assert response.context["managed_grants"] == []


def test_a_member_holding_no_grant_gets_no_plan_through_the_grant_context(world):
    grantee = UserFactory.create(full_name="Gitte Adgang", agency=world.social, roles=["member"])
    plan_save(actor=world.coordinator, case_file=world.case_file, goals=PLAN_GOALS)
    grant_to(world, grantee)
    response = page(client_for(world.school_member), world.person)
    assert response.status_code == 200
    assert response.context["own_grants"] == []
    assert response.context["granted_plans"] == []
    assert response.context["managed_grants"] == []  # not a manager: no grantee list
    assert grantee.full_name not in body(response)
    managers = page(client_for(world.chair), world.person)
    assert [g.grantee_id for g in managers.context["managed_grants"]] == [grantee.pk]
    assert managers.context["managed_grants"][0].person.pk == world.person.pk


@pytest.mark.parametrize("end", ["expired", "revoked", "closed"])
def test_a_grant_that_ended_gives_no_page_and_no_plan(world, end):
    grantee = UserFactory.create(full_name="Gitte Adgang", agency=world.social, roles=["member"])
    plan_save(actor=world.coordinator, case_file=world.case_file, goals=PLAN_GOALS)
    grant = grant_to(world, grantee)
    client = client_for(grantee)
    assert PLAN_GOALS in body(page(client, world.person))
    if end == "revoked":
        person_grant_revoke(actor=world.chair, grant=grant)
    elif end == "closed":
        casefile_update(
            actor=world.coordinator, case_file=world.case_file, closed_reason="Afsluttet helt"
        )
    later = timezone.now() + datetime.timedelta(days=31 if end == "expired" else 0)
    with time_machine.travel(later, tick=False):
        response = page(client_for(grantee), world.person)
        assert response.status_code == 404
        assert PLAN_GOALS not in body(response)
        assert not Plan.objects.restrict(grantee).exists()


# --- 4. manage.py create_user --------------------------------------------------------------


def create(*args: str, env: str | None = "NEW_PASSWORD") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    extra = ["--password-env", env] if env else []
    call_command("create_user", *args, *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def nothing_recorded() -> None:
    assert not AccountEvent.objects.exists()
    assert not Notification.objects.filter(kind="account_changed").exists()


@pytest.mark.parametrize(
    "roles",
    [
        ["admin", "member"],
        ["admin", "coordinator"],
        ["dpo", "coordinator"],
        ["dpo", "member", "admin"],
    ],
)
def test_create_user_refuses_a_blind_role_with_a_content_role_and_leaves_no_trace(
    monkeypatch, roles
):
    AgencyFactory(name="Skolen")
    UserFactory(email="dpo@skole.dk", roles=["dpo"])  # a DPO who would be told
    before = AccountEvent.objects.count()
    told = Notification.objects.count()
    monkeypatch.setenv("NEW_PASSWORD", PASSWORD)
    args = ["ny@skole.dk", "--name", "Ny", "--agency", "Skolen"]
    for role in roles:
        args += ["--role", role]
    with pytest.raises(CommandError, match="kan ikke også"):
        create(*args)
    assert not User.objects.filter(email="ny@skole.dk").exists()
    assert AccountEvent.objects.count() == before
    assert Notification.objects.count() == told
    assert not LogEntry.objects.filter(object_repr__icontains="ny@skole.dk").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--role", "superuser"],
        ["--role", "admin", "--superuser"],
        ["--role", "admin", "--is-superuser"],
        ["--role", "admin", "--staff"],
    ],
)
def test_create_user_offers_no_way_to_a_superuser_or_a_password_in_argv(monkeypatch, args):
    monkeypatch.setenv("NEW_PASSWORD", PASSWORD)
    with pytest.raises(CommandError):
        create("op@kommune.dk", "--name", "Op", *args)
    assert not User.objects.filter(email="op@kommune.dk").exists()
    nothing_recorded()


@pytest.mark.parametrize(
    ("roles", "staff"),
    [(["member"], False), (["coordinator"], False), (["dpo"], False), (["admin"], True)],
)
def test_create_user_gives_staff_to_the_administrator_only_and_never_superuser(
    monkeypatch, roles, staff
):
    AgencyFactory(name="Skolen")
    monkeypatch.setenv("NEW_PASSWORD", PASSWORD)
    args = ["ny@skole.dk", "--name", "Ny", "--agency", "Skolen"]
    for role in roles:
        args += ["--role", role]
    out, err = create(*args)
    user = User.objects.get(email="ny@skole.dk")
    assert user.is_staff is staff and not user.is_superuser
    assert sorted(user.groups.values_list("name", flat=True)) == sorted(roles)
    assert not user.user_permissions.exists()
    # The password is in no output, no audit row and no change-log entry; no hash either.
    for text in (out, err):
        assert PASSWORD not in text and user.password not in text
    events = AccountEvent.objects.filter(target=user)
    assert {e.action for e in events} >= {AccountEvent.Action.CREATED}
    for event in events:
        assert event.actor_id is None
        assert PASSWORD not in str(event.details) and user.password not in str(event.details)
    for entry in LogEntry.objects.all():
        assert PASSWORD not in str(entry.changes) and user.password not in str(entry.changes)
    # No second factor yet: the user enrols at the first login.
    from django_otp import devices_for_user

    assert list(devices_for_user(user, confirmed=None)) == []


@pytest.mark.parametrize("option", ["--password", "--passw", "--pass"])
def test_create_user_takes_no_password_option_even_abbreviated(monkeypatch, option):
    """The help promises the password never on the command line (other users of the host see
    argv). argparse's abbreviations make `--password SECRET` mean `--password-env SECRET`:
    the command then answers "Miljøvariablen SECRET er tom." and writes the password to the
    operator's terminal, scrollback and any captured log, instead of refusing the option."""
    AgencyFactory(name="Skolen")
    with pytest.raises(CommandError) as refused:
        create(
            "ny@skole.dk", "--name", "Ny", "--agency", "Skolen", "--role", "member",
            option, PASSWORD, env=None,
        )  # fmt: skip
    assert PASSWORD not in str(refused.value)
    assert "Miljøvariablen" not in str(refused.value)  # not taken as --password-env
    assert not User.objects.filter(email="ny@skole.dk").exists()


def test_create_user_password_errors_do_not_echo_the_password(monkeypatch):
    AgencyFactory(name="Skolen")
    for weak in ("ny@skole.dk1", "1234567890123", "Kort-2026"):
        monkeypatch.setenv("NEW_PASSWORD", weak)
        with pytest.raises(CommandError) as refused:
            create("ny@skole.dk", "--name", "Ny", "--agency", "Skolen", "--role", "member")
        assert weak not in str(refused.value)
    assert not User.objects.filter(email="ny@skole.dk").exists()
    nothing_recorded()


def test_create_user_prompt_must_match_twice(monkeypatch):
    AgencyFactory(name="Skolen")
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="ikke ens") as refused:
        create("ny@skole.dk", "--name", "Ny", "--agency", "Skolen", "--role", "member", env=None)
    assert PASSWORD not in str(refused.value)
    assert not User.objects.filter(email="ny@skole.dk").exists()
    nothing_recorded()


@pytest.mark.parametrize("given", [" Findes@Skole.dk ", "FINDES@SKOLE.DK", "findes@skole.dk"])
def test_create_user_cannot_take_over_or_shadow_an_existing_account(monkeypatch, given):
    UserFactory(email="findes@skole.dk", roles=["member"])
    AgencyFactory(name="Skolen")
    monkeypatch.setenv("NEW_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="findes allerede"):
        create(given, "--name", "X", "--role", "admin")
    existing = User.objects.get(email="findes@skole.dk")
    assert not existing.is_staff and not existing.check_password(PASSWORD)
    assert User.objects.filter(email__icontains="findes@skole.dk").count() == 1


def test_create_user_refuses_an_ambiguous_agency(monkeypatch):
    AgencyFactory(name="Skolen")
    AgencyFactory(name="SKOLEN")
    monkeypatch.setenv("NEW_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="entydigt"):
        create("ny@skole.dk", "--name", "Ny", "--agency", "skolen", "--role", "member")
    assert not User.objects.filter(email="ny@skole.dk").exists()


# --- 5. secret files, keys and the beat schedule --------------------------------------------


def test_secret_files_strip_one_line_ending_and_only_from_files(tmp_path):
    from config.settings import _SecretFiles

    crlf = tmp_path / "crlf"
    crlf.write_bytes(b"value\r\n")
    plain = tmp_path / "plain"
    plain.write_text("value")
    mapping = _SecretFiles(
        env={"A_FILE": str(crlf), "B_FILE": str(plain), "C": "kept\n", "D_FILE": "", "D": "env"}
    )
    assert mapping["A"] == "value"
    assert mapping["A"] == "value"  # from the cache, stripped again
    assert mapping["B"] == "value"
    assert mapping["C"] == "kept\n"  # a value in the environment is the operator's as given
    assert mapping["D"] == "env"  # an empty NAME_FILE is no file
    with pytest.raises(KeyError):
        mapping["MISSING"]


def _run_django(overrides: dict[str, str | None], *args: str) -> Any:
    from tests.platform.test_settings import run_django

    return run_django(overrides, *args)


def test_a_secret_file_holding_only_a_newline_is_no_secret(tmp_path):
    (tmp_path / "secret").write_text("\n")
    result = _run_django({"SECRET_KEY": None, "SECRET_KEY_FILE": str(tmp_path / "secret")})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_development_keyring_in_a_file_with_a_newline_is_still_refused(tmp_path):
    (tmp_path / "keys").write_text(keys.DEV_FIELD_ENCRYPTION_KEYS + "\n")
    result = _run_django(
        {"FIELD_ENCRYPTION_KEYS": None, "FIELD_ENCRYPTION_KEYS_FILE": str(tmp_path / "keys")}
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_the_signing_key_in_a_file_is_still_refused_outside_the_signer(tmp_path):
    from tests.platform.test_settings import AUDIT_SIGNING_KEY

    (tmp_path / "signing").write_text(AUDIT_SIGNING_KEY + "\n")
    result = _run_django(
        {
            "AUDIT_SIGNER": None,
            "AUDIT_SIGNING_KEY": None,
            "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "signing"),
        }
    )
    assert result.returncode != 0
    assert "only beat holds it" in result.stderr


def test_the_beat_schedule_is_installed_and_names_only_registered_tasks():
    from config.celery import app, beat_schedule

    schedule = app.conf.beat_schedule
    assert set(schedule) == set(beat_schedule())
    assert {"audit-sequence", "audit-checkpoints", "audit-prune", "person-grant-sweep"} <= set(
        schedule
    )
    app.loader.import_default_modules()
    for name, entry in schedule.items():
        assert entry["task"] in app.tasks, name
    # Signing runs on the signer's queue only.
    assert schedule["audit-checkpoints"]["options"]["queue"] == "audit"
    assert schedule["audit-prune"]["options"]["queue"] == "audit"
    assert app.conf.task_routes["audit.tasks.record_checkpoints"] == {"queue": "audit"}
