"""Audit pruning (audit.retention, audit/0009): expired access events, disclosures and
change-log rows go behind a signed cut checkpoint, through the owner's database function only.
After the cut ``audit_verify`` passes, and deleting or editing any remaining row, removing the
cut or forging one is still detected and named. The application's role cannot delete audit
rows itself, not even with the pruning flag set, and its calls to the function are refused
without a cut at that row or for rows that have not expired.

Rows are written in the (real) past and the clock frozen there: the database judges expiry by
its own clock, which time_machine does not move, so the frozen "now" stays behind it."""

from __future__ import annotations

import datetime
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import time_machine
from auditlog.models import LogEntry
from axes.models import AccessFailureLog, AccessLog  # type: ignore[import-untyped]
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import (
    AccessEvent,
    AccessEventSubject,
    ChainHead,
    Checkpoint,
    Disclosure,
    SpotCheck,
)
from audit.retention import prune
from audit.services import access_record, checkpoint_record, disclosure_record, sequence_pending
from audit.tasks import AUDIT_QUEUE, prune_audit
from audit.verify import verify_all, verify_chain
from config import keys
from config.celery import app
from core import crypto
from forums.models import Forum, ForumKind
from persons.models import DeletedCaseFile
from tests.audit.test_app_role import PASSWORD, connect_as
from tests.audit.test_chain import run_verify, tamper, verify_error
from tests.factories import MunicipalityFactory, UserFactory

PERIOD = datetime.timedelta(days=183)
# Far enough back that "now" frozen a period after it is still behind the database's clock.
T0 = (timezone.now() - datetime.timedelta(days=400)).replace(microsecond=0)
GONE_PERSON = 900_000_001
OTHER_GONE_PERSON = 900_000_002


def frozen(moment: datetime.datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def events(n: int, at: datetime.datetime, actor: User | AnonymousUser) -> list[AccessEvent]:
    """``n`` reads at ``at``, chained by the sequencer as beat's run does (with their seq)."""
    with frozen(at):
        made = [
            access_record(actor=actor, action="search", search_criterion=f"q=S{i}")
            for i in range(n)
        ]
        sequence_pending()
    return list(AccessEvent.objects.filter(pk__in=[e.pk for e in made]).order_by("seq"))


def seq_of(event: AccessEvent) -> int:
    assert event.seq is not None, "chained by events()"
    return event.seq


def chain(model: type[AccessEvent] | type[Disclosure] = AccessEvent) -> list[int]:
    return list(model.objects.order_by("seq").values_list("seq", flat=True))


def cuts(name: str = "access_event") -> list[Checkpoint]:
    return list(Checkpoint.objects.filter(chain=name, is_cut=True).order_by("seq"))


def forger_seed() -> bytes:
    return keys.decode_key(keys.new_key(), name="forger")


@pytest.fixture
def actor(db) -> User:
    return UserFactory.create(full_name="Karen Koordinator", roles=["coordinator"])


@pytest.fixture
def pruned(actor) -> list[AccessEvent]:
    """Five access events at T0 and five a month later; pruned at T0 + period + a day: the
    first five are gone behind a cut, the rest remain (and are returned)."""
    assert not AccessEvent.objects.exists()
    events(5, T0, actor)
    later = events(5, T0 + datetime.timedelta(days=30), actor)
    with frozen(T0 + PERIOD + datetime.timedelta(days=1)):
        checkpoint_record("access_event")  # an hourly checkpoint: behind the cut after this
        assert prune()["access_event"] == 5
    return later


# --- pruning and verifying after the cut ---------------------------------------------------


def test_prune_after_the_period_removes_the_prefix_and_verifies(pruned):
    assert chain() == [6, 7, 8, 9, 10]
    (cut,) = cuts()
    assert (cut.seq, cut.row_hash) == (5, pruned[0].prev_hash)
    assert crypto.verify_signature(
        crypto.signing_public_key(), cut.message(), bytes.fromhex(cut.signature)
    )
    assert not Checkpoint.objects.filter(chain="access_event", is_cut=False, seq__lt=5).exists()
    head = ChainHead.objects.get(chain="access_event")
    assert (head.seq, head.row_hash) == (10, pruned[-1].row_hash)

    assert verify_chain(AccessEvent).ok
    assert verify_chain(AccessEvent).checked == 5
    assert "Audit trail intact" in run_verify()


def test_the_verify_page_after_a_cut(pruned, world, client):
    client.force_login(world.dpo)

    page = client.post(reverse("audit:verify"))

    assert "Sporet er intakt" in page.content.decode()
    assert client.get("/api/v1/audit/verify/").json()["ok"] is True


def test_appends_and_checkpoints_after_the_cut_verify(pruned, actor):
    access_record(actor=actor, action="search", search_criterion="q=later")
    checkpoint_record("access_event")

    assert "intact" in run_verify()
    assert chain() == list(range(6, 12))


def test_a_second_run_prunes_on_from_the_cut(pruned):
    with frozen(T0 + datetime.timedelta(days=30) + PERIOD + datetime.timedelta(seconds=1)):
        assert prune()["access_event"] == 5
        assert prune()["access_event"] == 0  # idempotent

    assert chain() == []
    assert [cut.seq for cut in cuts()] == [10]  # the older cut went with its rows
    assert "intact" in run_verify()


def test_subject_rows_and_spot_checks_of_pruned_events_go_with_them(actor):
    with frozen(T0):
        read = access_record(actor=actor, action="view_person")
    AccessEventSubject.objects.create(event=read, person_id=GONE_PERSON, pseudonym="P-Gammel")
    SpotCheck.objects.create(access_event=read, reviewer=actor, finding="ok")
    kept = events(1, T0 + datetime.timedelta(days=300), actor)[0]
    SpotCheck.objects.create(access_event=kept, reviewer=actor, finding="ok")

    with frozen(T0 + PERIOD + datetime.timedelta(days=1)):
        assert prune()["access_event"] == 1

    assert not AccessEventSubject.objects.exists()
    assert list(SpotCheck.objects.values_list("access_event_id", flat=True)) == [kept.pk]
    assert chain() == [2]
    assert verify_all().ok


# --- tampering after the cut is still named ------------------------------------------------


def test_an_edited_remaining_row_is_named(pruned):
    victim = pruned[2]
    tamper(
        (
            "UPDATE audit_accessevent SET search_criterion = 'q=other' WHERE id = %s",
            [victim.pk],
        )
    )

    message = verify_error()

    assert (
        f"række id {victim.pk} (seq {victim.seq}): indholdet svarer ikke til rækkens hash"
        in message
    )
    assert verify_chain(AccessEvent).first_bad == victim.pk


def test_a_deleted_first_remaining_row_is_named(pruned):
    tamper(("DELETE FROM audit_accessevent WHERE id = %s", [pruned[0].pk]))

    message = verify_error()

    assert f"række id {pruned[1].pk} (seq 7): seq 6 var ventet; der mangler rækker" in message


def test_a_deleted_middle_row_is_named(pruned):
    tamper(("DELETE FROM audit_accessevent WHERE id = %s", [pruned[2].pk]))

    assert verify_chain(AccessEvent).first_bad == pruned[3].pk
    assert "seq 8 var ventet" in verify_error()


def test_a_removed_cut_makes_the_chain_start_too_late(pruned):
    (cut,) = cuts()
    tamper(("DELETE FROM audit_checkpoint WHERE id = %s", [cut.pk]))

    message = verify_error()

    assert f"række id {pruned[0].pk} (seq 6): seq 1 var ventet; der mangler rækker" in message


def test_rows_left_behind_a_cut_are_named(actor):
    first = events(3, T0, actor)
    seed_row = first[1]
    cut = Checkpoint(
        chain="access_event",
        seq=seq_of(seed_row),
        row_hash=seed_row.row_hash,
        created_at=timezone.now(),
        public_key=crypto.signing_public_key(),
        is_cut=True,
    )
    cut.signature = crypto.sign(cut.message()).hex()
    cut.save()  # a genuine cut whose rows were not deleted

    assert (
        f"række id {first[0].pk} (seq 1): ligger før det signerede snit ved seq 2" in verify_error()
    )


def test_a_cut_forged_with_another_key_is_named(pruned, world, client):
    """What the application's role can do: write a cut of its own and prune expired rows up to
    it. The forgery is named, under the configured key, on the command, page and API."""
    seed = forger_seed()
    victim = pruned[0]
    forged = Checkpoint(
        chain="access_event",
        seq=victim.seq,
        row_hash=victim.row_hash,
        created_at=timezone.now(),
        public_key=crypto.public_key_of(seed),
        is_cut=True,
    )
    with override_settings(AUDIT_SIGNING_KEY=seed):
        forged.signature = crypto.sign(forged.message()).hex()
    forged.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT tvaers_audit_prune('access_event', %s)", [victim.seq])
        assert cursor.fetchone() == (1,)

    message = verify_error()
    assert f"kontrolpunkt {forged.pk} har en ugyldig signatur" in message
    assert "et snit" in message
    # Whoever trusts the forger's key as well accepts the forgery.
    trusted = f"{crypto.public_key_of(seed)},{crypto.signing_public_key()}"
    assert "intact" in run_verify(f"--public-key={trusted}")

    client.force_login(world.dpo)
    page = client.post(reverse("audit:verify"))
    assert f"kontrolpunkt {forged.pk} har en ugyldig signatur" in page.content.decode()
    api = client.get("/api/v1/audit/verify/").json()
    assert api["ok"] is False
    assert f"kontrolpunkt {forged.pk} " in api["problem"]


def test_an_hourly_signature_does_not_pass_for_a_cut(pruned):
    """A cut signs a message of its own: an hourly checkpoint's signature copied onto a cut
    row (to prune up to it) fails."""
    victim = pruned[1]
    hourly = Checkpoint(
        chain="access_event",
        seq=victim.seq,
        row_hash=victim.row_hash,
        created_at=timezone.now(),
        public_key=crypto.signing_public_key(),
    )
    hourly.signature = crypto.sign(hourly.message()).hex()
    copied = Checkpoint(
        chain=hourly.chain,
        seq=hourly.seq,
        row_hash=hourly.row_hash,
        created_at=hourly.created_at,
        public_key=hourly.public_key,
        signature=hourly.signature,
        is_cut=True,
    )
    copied.save()

    assert f"kontrolpunkt {copied.pk} har en ugyldig signatur" in verify_error()


# --- only what has expired -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("after_t0", "gone"),
    [
        (PERIOD - datetime.timedelta(days=1), []),  # the day before
        (PERIOD, []),  # on the day, to the second
        (PERIOD + datetime.timedelta(seconds=1), [1, 2]),
        (PERIOD + datetime.timedelta(days=1), [1, 2]),  # the day after
    ],
)
def test_nothing_younger_than_the_period_is_pruned(actor, after_t0, gone):
    events(2, T0, actor)
    events(2, T0 + datetime.timedelta(days=2), actor)

    with frozen(T0 + after_t0):
        result = prune()

    assert result["access_event"] == len(gone)
    assert chain() == [seq for seq in [1, 2, 3, 4] if seq not in gone]
    assert len(cuts()) == (1 if gone else 0)
    assert verify_all().ok


def test_a_young_row_stops_the_prefix(actor):
    """The prefix ends at the first row not yet expired, even if older rows follow it."""
    events(1, T0, actor)
    events(1, T0 + datetime.timedelta(days=100), actor)
    events(1, T0, actor)

    with frozen(T0 + PERIOD + datetime.timedelta(days=1)):
        assert prune()["access_event"] == 1

    assert chain() == [2, 3]


def test_the_function_refuses_rows_that_have_not_expired(actor):
    """Even the owner, with a genuine cut, cannot prune a row younger than the period."""
    young = events(2, timezone.now(), actor)[-1]
    cut = Checkpoint(
        chain="access_event",
        seq=seq_of(young),
        row_hash=young.row_hash,
        created_at=timezone.now(),
        public_key=crypto.signing_public_key(),
        is_cut=True,
    )
    cut.signature = crypto.sign(cut.message()).hex()
    cut.save()

    with (
        pytest.raises(ProgrammingError, match="have not all expired: prune refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT tvaers_audit_prune('access_event', %s)", [young.seq])
    with (
        pytest.raises(ProgrammingError, match="account_event is not pruned"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT tvaers_audit_prune('account_event', 1)")
    assert chain() == [1, 2]


def test_pruning_without_the_signing_key_changes_nothing(actor, settings):
    events(2, T0, actor)
    settings.AUDIT_SIGNING_KEY = None

    with frozen(T0 + PERIOD + datetime.timedelta(days=1)), pytest.raises(crypto.SigningKeyMissing):
        prune()

    assert chain() == [1, 2]
    assert not Checkpoint.objects.exists()


# --- disclosures ---------------------------------------------------------------------------


def disclose(actor: User, forum: Forum, person_id: int, at: datetime.datetime) -> Disclosure:
    with frozen(at):
        return disclosure_record(
            actor=actor,
            from_agency=actor.agency,
            to_agency_ids=[],
            forum_id=forum.pk,
            source=forum,
            person_id=person_id,
            person_pseudonym=f"P-{person_id}",
            paragraph="1",
            cooperation="ssp",
            necessity="Test",
        )


def tombstone(forum: Forum, person_id: int, deleted_at: datetime.datetime) -> None:
    DeletedCaseFile.objects.create(
        person_id=person_id,
        pseudonym=f"P-{person_id}",
        forum=forum,
        case_file_id=secrets.randbelow(10**9),
        opened_at=T0,
        last_activity_at=T0,
        deleted_at=deleted_at,
        cause=DeletedCaseFile.Cause.CLOSED,
        person_deleted=True,
    )


def test_disclosures_go_a_period_after_their_person(actor):
    forum = Forum.objects.create(
        name="SSP Prune", kind=ForumKind.SSP, municipality=MunicipalityFactory.create()
    )
    disclose(actor, forum, GONE_PERSON, T0)
    disclose(actor, forum, GONE_PERSON, T0)
    disclose(actor, forum, OTHER_GONE_PERSON, T0)  # deleted recently: stops the prefix
    disclose(actor, forum, GONE_PERSON, T0)
    # The latest deletion counts: a first case file deleted long ago does not expire them.
    tombstone(forum, GONE_PERSON, T0 - datetime.timedelta(days=100))
    tombstone(forum, GONE_PERSON, T0 + datetime.timedelta(days=10))
    tombstone(forum, OTHER_GONE_PERSON, T0 + datetime.timedelta(days=150))

    with frozen(T0 + datetime.timedelta(days=10) + PERIOD):
        assert prune()["disclosure"] == 0  # on the day: not yet
    with frozen(T0 + datetime.timedelta(days=11) + PERIOD):
        assert prune()["disclosure"] == 2

    assert chain(Disclosure) == [3, 4]
    assert [cut.seq for cut in cuts("disclosure")] == [2]
    assert "intact" in run_verify()


def test_a_disclosure_of_a_living_person_blocks_pruning_past_it(world):
    living = Disclosure.objects.order_by("seq").first()
    assert living is not None and living.person_id == world.person.pk
    before = chain(Disclosure)
    disclose(world.coordinator, world.forum, GONE_PERSON, T0)
    tombstone(world.forum, GONE_PERSON, T0)

    with frozen(T0 + PERIOD + datetime.timedelta(days=30)):
        assert prune()["disclosure"] == 0

    assert chain(Disclosure) == [*before, before[-1] + 1]
    assert not cuts("disclosure")


def test_a_person_gone_without_a_tombstone_keeps_their_disclosures(actor):
    forum = Forum.objects.create(
        name="SSP Ingen", kind=ForumKind.SSP, municipality=MunicipalityFactory.create()
    )
    disclose(actor, forum, GONE_PERSON, T0)

    with frozen(T0 + PERIOD + datetime.timedelta(days=30)):
        assert prune()["disclosure"] == 0
    assert chain(Disclosure) == [1]


# --- the change log ------------------------------------------------------------------------


def test_change_log_rows_older_than_the_period_go(actor):
    content_type = ContentType.objects.get_for_model(User)

    def entry(at: datetime.datetime) -> LogEntry:
        return LogEntry.objects.create(
            content_type=content_type,
            object_pk=str(actor.pk),
            object_repr="bruger",
            action=LogEntry.Action.UPDATE,
            timestamp=at,
        )

    old = entry(T0)
    edge = entry(T0 + datetime.timedelta(days=1))
    young = entry(T0 + datetime.timedelta(days=2))

    with frozen(T0 + datetime.timedelta(days=1) + PERIOD):
        assert prune()["changelog"] == 1

    remaining = set(LogEntry.objects.values_list("pk", flat=True))
    assert old.pk not in remaining
    assert {edge.pk, young.pk} <= remaining
    with (
        pytest.raises(ProgrammingError, match="have not expired: prune refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT tvaers_changelog_prune(now())")


def test_login_history_older_than_the_period_goes(actor):
    """django-axes' login history (address, browser) is kept as long as the access log."""
    old = AccessLog.objects.create(username=actor.email, ip_address="10.0.0.1", user_agent="x")
    young = AccessLog.objects.create(username=actor.email, ip_address="10.0.0.2", user_agent="y")
    failed = AccessFailureLog.objects.create(username="x@y.dk", ip_address="10.0.0.3")
    AccessLog.objects.filter(pk=old.pk).update(attempt_time=T0)
    AccessFailureLog.objects.filter(pk=failed.pk).update(attempt_time=T0)
    AccessLog.objects.filter(pk=young.pk).update(attempt_time=T0 + datetime.timedelta(days=2))

    with frozen(T0 + datetime.timedelta(days=1) + PERIOD):
        assert prune()["login_log"] == 2

    assert list(AccessLog.objects.values_list("pk", flat=True)) == [young.pk]
    assert not AccessFailureLog.objects.exists()


def test_the_task_prunes_and_goes_to_the_audit_queue(actor):
    events(1, T0, actor)
    with frozen(T0 + PERIOD + datetime.timedelta(days=1)):
        assert prune_audit()["access_event"] == 1

    assert app.conf.beat_schedule["audit-prune"]["task"] == "audit.tasks.prune_audit"
    assert app.conf.beat_schedule["audit-prune"]["options"]["queue"] == AUDIT_QUEUE


# --- the application's role ----------------------------------------------------------------


@pytest.fixture
def app_role(transactional_db, monkeypatch) -> Iterator[str]:
    """A fresh application role (as tests/audit/test_app_role.py), committed."""
    role = f"tvaers_app_test_{secrets.token_hex(3)}"
    monkeypatch.setenv("APP_DATABASE_PASSWORD", PASSWORD)
    call_command("grant_app_role", role, stdout=open(os.devnull, "w"))  # noqa: SIM115
    yield role
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE {role}")


def refused(db: psycopg.Connection, statement: str, params: list[object] | None = None) -> str:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as error:
        db.execute(statement, params)
    return str(error.value)


def test_the_role_cannot_delete_audit_rows_even_with_the_flag(app_role, actor):
    old = events(3, T0, actor)
    with connect_as(app_role) as db:
        db.execute("SELECT set_config('tvaers.pruning', 'on', false)")
        for table in ("audit_accessevent", "audit_checkpoint", "auditlog_logentry"):
            assert "permission denied" in refused(db, f"DELETE FROM {table}")  # noqa: S608
    # Even granted DELETE, the trigger refuses a role that is not the owner.
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT DELETE ON audit_accessevent TO {app_role}")
    with connect_as(app_role) as db, db.transaction():
        db.execute("SELECT set_config('tvaers.pruning', 'on', true)")
        message = refused(db, "DELETE FROM audit_accessevent WHERE id = %s", [old[0].pk])
    assert "append-only: DELETE refused" in message
    assert chain() == [1, 2, 3]


def test_the_role_cannot_prune_without_a_cut_or_before_expiry(app_role, actor):
    old = events(2, T0, actor)
    young = events(1, timezone.now(), actor)[0]
    with connect_as(app_role) as db:
        assert "no signed cut of access_event at seq 2" in refused(
            db, "SELECT tvaers_audit_prune('access_event', 2)"
        )
        # A cut row of its own with a hash that is not the row's: refused.
        db.execute(
            "INSERT INTO audit_checkpoint (chain, seq, row_hash, created_at, public_key, "
            "signature, is_cut) VALUES ('access_event', 2, %s, now(), '', 'ab', true)",
            ["f" * 64],
        )
        assert "no signed cut" in refused(db, "SELECT tvaers_audit_prune('access_event', 2)")
        # A cut of its own at the young row: refused, the row has not expired.
        db.execute(
            "INSERT INTO audit_checkpoint (chain, seq, row_hash, created_at, public_key, "
            "signature, is_cut) VALUES ('access_event', %s, %s, now(), '', 'ab', true)",
            [young.seq, young.row_hash],
        )
        assert "have not all expired" in refused(
            db, "SELECT tvaers_audit_prune('access_event', %s)", [young.seq]
        )
        assert "not pruned" in refused(db, "SELECT tvaers_audit_prune('account_event', 1)")
        assert "have not expired" in refused(db, "SELECT tvaers_changelog_prune(now())")
        # Turning the period down is the owner's: the pinned setting cannot be changed.
        assert "must be owner" in refused(
            db,
            "ALTER FUNCTION tvaers_audit_prune(text, bigint) SET tvaers.audit_retention_days = '0'",
        )
    assert chain() == [old[0].seq, old[1].seq, young.seq]


def test_the_signer_prunes_under_the_role(app_role, actor, child_env):
    """The nightly run works with the application role's privileges (as beat runs it)."""
    events(2, T0, actor)
    events(1, timezone.now(), actor)
    url = urlsplit(child_env["DATABASE_URL"])
    netloc = f"{app_role}:{PASSWORD}@{url.hostname}:{url.port}"
    script = (
        "from audit.retention import prune\n"
        "from audit.verify import verify_all\n"
        "print(prune()['access_event'])\n"
        "result = verify_all()\n"
        "print(result.ok, result.problem)\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        env={**child_env, "DATABASE_URL": urlunsplit(url._replace(netloc=netloc))},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert lines[-2:] == ["2", "True"]
    assert chain() == [3]
