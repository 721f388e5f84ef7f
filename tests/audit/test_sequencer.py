"""Reads are written pending and chained by one sequencer (issue 12): no lock on the request
path, a bounded delay, nothing lost when the sequencer dies, and the database lets exactly the
sequencing change through."""

from __future__ import annotations

import datetime
import time

import pytest
import time_machine
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.utils import timezone

import audit.services
from audit.models import AccessEvent, ChainHead
from audit.selectors import audit_backlog
from audit.services import access_record, sequence_all, sequence_pending
from audit.tasks import sequence_access_events
from audit.verify import verify_all, verify_chain
from config.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world):
    """The shared world with the reads its setup made already chained: each test counts its
    own."""
    sequence_all()
    return world


def head_seq() -> int:
    head = ChainHead.objects.filter(chain="access_event").first()
    return head.seq if head else 0


def reads(world, n: int) -> list[AccessEvent]:
    return [
        access_record(actor=world.school_member, action="view_person", objects=[world.person])
        for _ in range(n)
    ]


def raw(sql: str, params: list[object]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_read_is_written_pending_and_chained_in_id_order(world):
    base = head_seq()
    made = reads(world, 3)
    assert [e.seq for e in AccessEvent.objects.filter(pk__in=[e.pk for e in made])] == [None] * 3
    assert audit_backlog()[0] == 3

    assert sequence_pending() == 3

    chained = list(AccessEvent.objects.filter(seq__gt=base).order_by("seq"))
    assert [e.pk for e in chained] == sorted(e.pk for e in made)
    assert [e.seq for e in chained] == [base + 1, base + 2, base + 3]
    assert ChainHead.objects.get(chain="access_event").seq == base + 3
    assert audit_backlog() == (0, 0.0)
    assert verify_chain(AccessEvent).ok
    assert sequence_pending() == 0  # nothing twice


def test_batches_continue_the_chain(world, monkeypatch):
    reads(world, 7)
    monkeypatch.setattr(audit.services, "SEQUENCE_BATCH", 3)
    assert sequence_all() == 7
    assert list(AccessEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, head_seq() + 1)
    )
    assert verify_all().ok


def test_a_sequencer_dying_half_way_loses_nothing(world, monkeypatch):
    base = head_seq()
    reads(world, 4)
    calls = {"n": 0}
    real = AccessEvent.compute_hash

    def dies_on_the_third(self: AccessEvent) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")  # as a SIGKILL mid-run: the transaction is gone
        return real(self)

    monkeypatch.setattr(AccessEvent, "compute_hash", dies_on_the_third)
    with pytest.raises(SystemExit):
        sequence_pending()
    assert AccessEvent.objects.filter(seq__isnull=True).count() == 4
    assert head_seq() == base

    monkeypatch.setattr(AccessEvent, "compute_hash", real)
    assert sequence_pending() == 4
    assert verify_chain(AccessEvent).ok


def test_a_sealed_read_takes_its_place_at_once_beside_pending_ones(world):
    base = head_seq()
    reads(world, 2)
    access_record(
        actor=world.coordinator,
        action=AccessEvent.Action.REVEAL_IDENTITY,
        objects=[world.person],
        reason="Drøftes med navn i dag",
        sealed_under=world.case_file.data_key,
    )
    sealed = AccessEvent.objects.get(action=AccessEvent.Action.REVEAL_IDENTITY)
    assert sealed.seq == base + 1  # chained under the head's lock, before the pending reads
    assert sequence_pending() == 2
    assert verify_chain(AccessEvent).ok
    assert audit.services.reason_text(AccessEvent.objects.get(pk=sealed.pk)) == (
        "Drøftes med navn i dag"
    )


# --- what the database allows ---------------------------------------------------------------


def test_the_database_lets_only_the_sequencing_change_through(world):
    event = reads(world, 1)[0]
    for sql, params in [
        ("UPDATE audit_accessevent SET reason = 'skjult' WHERE id = %s", [event.pk]),
        (
            "UPDATE audit_accessevent SET action = 'search', seq = 1, prev_hash = %s, "
            "row_hash = %s WHERE id = %s",
            ["0" * 64, "1" * 64, event.pk],
        ),
        ("UPDATE audit_accessevent SET seq = 999 WHERE id = %s", [event.pk]),  # no hashes
        ("DELETE FROM audit_accessevent WHERE id = %s", [event.pk]),
    ]:
        with pytest.raises(ProgrammingError, match="append-only"):
            raw(sql, params)

    sequence_pending()
    chained = AccessEvent.objects.get(pk=event.pk)
    # Once chained, even the sequencing columns are fixed.
    with pytest.raises(ProgrammingError, match="append-only"):
        raw(
            "UPDATE audit_accessevent SET seq = 9999, prev_hash = %s, row_hash = %s WHERE id = %s",
            ["0" * 64, "2" * 64, chained.pk],
        )
    assert AccessEvent.objects.get(pk=event.pk).row_hash == chained.row_hash


def test_a_pending_row_sequenced_with_a_false_hash_is_caught(world):
    """Whoever has the application's rights could chain a pending row themselves; the content
    cannot change, and a wrong hash or link is named by verification."""
    event = reads(world, 1)[0]
    head = ChainHead.objects.get(chain="access_event")
    # The head first: the trigger lets no row past it.
    raw(
        "UPDATE audit_chainhead SET seq = seq + 1, row_hash = %s WHERE chain = 'access_event'",
        ["f" * 64],
    )
    raw(
        "UPDATE audit_accessevent SET seq = %s, prev_hash = %s, row_hash = %s WHERE id = %s",
        [head.seq + 1, head.row_hash, "f" * 64, event.pk],
    )
    result = verify_chain(AccessEvent)
    assert not result.ok
    assert "indholdet svarer ikke til rækkens hash" in result.problem


# --- a stopped sequencer is noticed -----------------------------------------------------------


def test_a_stalled_sequencer_fails_verification(world, settings):
    settings.AUDIT_PENDING_ALARM_SECONDS = 300
    with time_machine.travel(timezone.now() - datetime.timedelta(minutes=10), tick=False):
        reads(world, 2)
    reads(world, 1)
    count, age = audit_backlog()
    assert count == 3
    assert 590 < age < 700

    result = verify_all()
    assert not result.ok
    assert "3 hændelser har ventet" in result.problem
    assert "kører sekvenseringen" in result.problem

    sequence_all()
    assert verify_all().ok


def test_fresh_pending_reads_are_no_alarm(world):
    reads(world, 2)
    assert verify_all().ok


# --- the schedule and the worker -------------------------------------------------------------


def test_beat_runs_the_sequencer_every_few_seconds(settings):
    entry = app.conf.beat_schedule["audit-sequence"]
    assert entry["task"] == "audit.tasks.sequence_access_events"
    assert entry["schedule"] <= datetime.timedelta(seconds=5)
    assert entry["options"]["expires"] <= 60
    # Any worker may chain: the task needs no signing key, so it is not bound to "audit".
    assert "queue" not in entry["options"]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_chains_what_requests_wrote(world, celery_worker_process):
    base = head_seq()
    reads(world, 5)
    sequence_access_events.delay()
    deadline = time.monotonic() + 30
    while AccessEvent.objects.filter(seq__isnull=True).exists():
        assert time.monotonic() < deadline, "the worker did not chain the reads"
        time.sleep(0.2)
    assert head_seq() == base + 5
    assert verify_chain(AccessEvent).ok
