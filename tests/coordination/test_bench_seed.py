"""`manage.py bench_seed` (issue 12) at a tiny scale: the counts follow the scale, encrypted
fields hold ciphertext that decrypts through the models, the audit chains verify, a member
sees their forums' persons and the user without memberships none, a bench user logs in with
the password and the TOTP code, and a database that holds persons is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import get_objects_for_user

from accounts.models import Agency, Municipality, User
from accounts.roles import Role
from audit.models import AccessEvent, AccessEventSubject, ChainHead, Disclosure
from audit.services import sequence_pending
from audit.verify import verify_all
from coordination.bench import texts
from coordination.bench.sizes import (
    ACTIONS_PER_PLAN,
    CLOSED_SHARE,
    NOTES_PER_CASE_FILE,
    SESSIONS_PER_FORUM,
    Sizes,
)
from coordination.models import ForumSession, Note, PlanAction
from core.permissions import visible_to
from forums.models import Forum, Membership
from persons.models import CaseFile, Concern, FocusPerson, Identity

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]

SCALE = 0.002
PASSWORD = "bench-password-123"


@pytest.fixture
def bench(settings: Any, tmp_path: Path) -> dict[str, Any]:
    """The dataset at SCALE and the harness's credentials file."""
    settings.DEBUG = True  # the command refuses to run without it
    for role in Role:  # earlier transactional tests flush the groups the migrations made
        Group.objects.get_or_create(name=role.value)
    path = tmp_path / "users.json"
    call_command("bench_seed", scale=SCALE, credentials=path, verbosity=0, stdout=_Sink())
    data: dict[str, Any] = json.loads(path.read_text())
    return data


class _Sink:
    def write(self, *_args: Any) -> None:
        pass

    def flush(self) -> None:
        pass


def test_counts_follow_the_scale(bench):
    sizes = Sizes.at(SCALE)
    persons = sizes.persons
    closed = round(persons * CLOSED_SHARE)

    assert Municipality.objects.count() == 98
    assert Forum.objects.count() == sizes.forums
    members = User.objects.filter(memberships__isnull=False).distinct()
    assert members.count() == sizes.users
    assert Membership.objects.count() == 2 * sizes.users
    assert FocusPerson.objects.count() == Identity.objects.count() == persons
    assert CaseFile.objects.open().count() == persons == Concern.objects.count()
    assert CaseFile.objects.filter(closed_at__isnull=False).count() == closed
    assert PlanAction.objects.count() == ACTIONS_PER_PLAN * persons
    assert Note.objects.count() == NOTES_PER_CASE_FILE * persons
    assert ForumSession.objects.count() == SESSIONS_PER_FORUM * sizes.forums
    assert AccessEvent.objects.count() == sizes.access_events
    assert AccessEventSubject.objects.count() >= sizes.access_events
    assert Disclosure.objects.exists()
    # every forum has a coordinator and a chair, and police sit in some forum
    for role in Membership.MANAGING_ROLES:
        assert Membership.objects.filter(role=role).values("forum").distinct().count() == (
            sizes.forums
        )
    assert Membership.objects.filter(user__agency__kind=Agency.Kind.POLITI).exists()
    # a DPO per municipality, and one user without memberships
    assert User.objects.filter(groups__name=Role.DPO).count() == 98
    assert bench["nobody"]["forum_ids"] == []


def _raw(table: str, column: str, pk_column: str, pk: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {pk_column} = %s", [pk])  # noqa: S608
        return bytes(cursor.fetchone()[0])


def test_content_is_stored_encrypted_and_decrypts_through_the_models(bench):
    note = Note.objects.order_by("pk")[0]
    stored = _raw("coordination_note", "body", "id", note.pk)
    assert texts.note_body(note.pk).encode() not in stored
    assert Note.objects.get(pk=note.pk).body == texts.note_body(note.pk)

    identity = Identity.objects.select_related("person")[0]
    name = identity.name
    assert name.startswith(name.split(" ")[0]) and "Bench" in name
    assert name.encode() not in _raw("persons_identity", "name", "person_id", identity.pk)
    case_file = CaseFile.objects.open().filter(person=identity.person).get()
    assert case_file.known_identity().name == name
    # nowhere in the notes table in plaintext (the first few words of every phrase)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM coordination_note WHERE position(%s in body) > 0",
            [texts.NOTE_PHRASES[0][:30].encode()],
        )
        assert cursor.fetchone()[0] == 0


def test_the_audit_chains_verify(bench):
    result = verify_all()

    assert result.ok, result.problem
    assert ChainHead.objects.get(chain="access_event").seq == AccessEvent.objects.count()
    assert ChainHead.objects.get(chain="disclosure").seq == Disclosure.objects.count()


def test_a_member_sees_their_forums_persons_and_the_nobody_user_none(bench):
    member = User.objects.get(pk=bench["member"]["user_id"])
    expected = CaseFile.objects.open().filter(forum_id__in=bench["member"]["forum_ids"])

    visible = visible_to(member, FocusPerson.objects.all())

    assert set(visible.values_list("pk", flat=True)) == set(
        expected.values_list("person_id", flat=True)
    )
    assert visible.count() == bench["member"]["visible_persons"] > 0
    assert set(bench["member"]["person_ids"]) <= set(visible.values_list("pk", flat=True))
    nobody = User.objects.get(pk=bench["nobody"]["user_id"])
    assert not visible_to(nobody, FocusPerson.objects.all()).exists()


def test_guardian_is_given_the_same_visibility(bench):
    member = User.objects.get(pk=bench["member"]["user_id"])

    theirs = get_objects_for_user(
        member, "persons.view_focusperson", FocusPerson.objects.all(), accept_global_perms=False
    )

    assert set(theirs.values_list("pk", flat=True)) == set(
        visible_to(member, FocusPerson.objects.all()).values_list("pk", flat=True)
    )


def _code(user_id: int) -> str:
    device = TOTPDevice.objects.get(user_id=user_id)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def test_a_bench_user_logs_in_with_password_and_totp(bench):
    entry = bench["member"]
    client = Client()
    login = client.post(
        reverse("accounts:login"), {"username": entry["email"], "password": PASSWORD}
    )
    assert login.status_code == 302
    device = TOTPDevice.objects.get(user_id=entry["user_id"])
    assert device.key == entry["totp_key"] and device.confirmed

    assert (
        client.post(reverse("accounts:otp"), {"code": _code(entry["user_id"])}).status_code == 302
    )
    page = client.get(reverse("coordination:person-detail", args=[entry["person_ids"][0]]))

    assert page.status_code == 200
    assert entry["pseudonyms"][0] in page.content.decode()
    # the read joins the chain after the generated events, and the chain still verifies
    sequence_pending()
    assert AccessEvent.objects.filter(actor_id=entry["user_id"], seq__isnull=True).count() == 0
    assert verify_all().ok


def test_a_database_with_persons_is_refused(bench, settings, tmp_path):
    with pytest.raises(CommandError, match="already holds focus persons"):
        call_command("bench_seed", scale=SCALE, credentials=tmp_path / "again.json")


def test_debug_off_is_refused(settings, tmp_path):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("bench_seed", scale=SCALE, credentials=tmp_path / "users.json")


def test_every_foreign_key_points_at_a_row(bench):
    """The loader skips the per-row foreign-key triggers as a superuser: check them here."""
    from django.apps import apps
    from django.db import models

    dangling = []
    for model in apps.get_models():
        for fk in model._meta.concrete_fields:
            if not isinstance(fk, models.ForeignKey) or isinstance(fk.related_model, str):
                continue
            target = fk.related_model._base_manager.values(fk.target_field.attname)
            rows = model._base_manager.exclude(**{f"{fk.attname}__isnull": True})
            if rows.exclude(**{f"{fk.attname}__in": target}).exists():
                dangling.append(f"{model._meta.label}.{fk.name}")
    assert dangling == []
