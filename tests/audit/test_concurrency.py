"""Concurrent writers: real OS processes append to the access-event chain at once, and the
head row's lock keeps the chain whole (seq contiguous, every row linked to the one before)."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from audit.models import AccessEvent, ChainHead, Checkpoint
from audit.services import access_record, checkpoint_record, sequence_pending
from audit.verify import verify_all, verify_chain
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 4
EACH = 50

WRITER = """
import os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from accounts.models import User
from audit.services import access_record

barrier, actor_pk, name, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
actor = User.objects.get(pk=actor_pk)
open(f"{barrier}.ready-{name}", "w").close()
deadline = time.monotonic() + 60
while not os.path.exists(f"{barrier}.go"):
    if time.monotonic() > deadline:
        sys.exit("no start signal")
    time.sleep(0.005)
for i in range(count):
    access_record(actor=actor, action="search", search_criterion=f"q={name}-{i}")
"""


def _wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_chain_whole(child_env, tmp_path):
    actor = UserFactory.create()
    # The chain starts empty: the writers also race to create its head row.
    assert not ChainHead.objects.filter(chain="access_event").exists()
    assert not AccessEvent.objects.exists()
    barrier = tmp_path / "barrier"
    names = [f"w{n}" for n in range(WRITERS)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(barrier), str(actor.pk), name, str(EACH)],
            env=child_env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name in names
    ]
    try:
        _wait_until(
            lambda: (
                all(Path(f"{barrier}.ready-{name}").exists() for name in names)
                or any(p.poll() is not None for p in processes)
            ),
            120,
            "the writers to start",
        )
        assert all(p.poll() is None for p in processes), "a writer died before the start"
        Path(f"{barrier}.go").touch()  # all are running and waiting: release them together
        outcomes = [p.communicate(timeout=180) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
    for process, (_, stderr) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, stderr.decode()[-3000:]

    # The writers wrote without the head's lock; one sequencer chains them in id order.
    assert sequence_pending() == WRITERS * EACH
    events = list(AccessEvent.objects.order_by("seq"))
    total = WRITERS * EACH
    assert len(events) == total
    assert [e.seq for e in events] == list(range(1, total + 1))
    assert len({e.prev_hash for e in events}) == total  # no two rows claim the same parent
    for name in names:
        mine = [e.search_criterion for e in events if e.search_criterion.startswith(f"q={name}-")]
        assert mine == [f"q={name}-{i}" for i in range(EACH)]  # each writer's own order kept
    # The writers really overlapped: the chain interleaves them.
    switches = sum(
        a.search_criterion.split("-")[0] != b.search_criterion.split("-")[0]
        for a, b in itertools.pairwise(events)
    )
    assert switches > WRITERS - 1
    result = verify_chain(AccessEvent)
    assert result.ok, result.problem
    assert result.checked == total
    head = ChainHead.objects.get(chain="access_event")
    assert (head.seq, head.row_hash) == (total, events[-1].row_hash)


def _in_another_connection(job) -> None:
    """Run ``job`` in another thread, on its own database connection, and let it commit (as a
    request served by another worker, or the beat task, would)."""

    def work() -> None:
        try:
            job()
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()


@pytest.mark.django_db(transaction=True)
def test_verifying_a_live_chain_reports_no_false_break(monkeypatch):
    """The DPO page and API verify while users keep reading (each read appends). An append
    that commits after verify_chain has read the rows but before it reads the head is not
    tampering, and must not be reported as a removed tail."""
    actor = UserFactory()
    for i in range(5):
        access_record(actor=actor, action="search", search_criterion=f"q={i}")
    checkpoint_record("access_event")
    assert verify_all().ok

    import audit.verify

    class HeadReadAfterAConcurrentAppend:
        class objects:  # stands in for ChainHead.objects
            @staticmethod
            def filter(**kwargs):
                _in_another_connection(
                    lambda: access_record(actor=actor, action="search", search_criterion="q=LIVE")
                )
                return ChainHead.objects.filter(**kwargs)

    monkeypatch.setattr(audit.verify, "ChainHead", HeadReadAfterAConcurrentAppend)

    result = verify_chain(AccessEvent)

    assert AccessEvent.objects.count() == 6  # the concurrent append happened
    assert result.ok, result.problem


@pytest.mark.django_db(transaction=True)
def test_verifying_while_a_checkpoint_is_signed_reports_no_false_break(monkeypatch):
    """Likewise for a checkpoint the beat task signs while verification runs: verify_chain
    reads the checkpointed seqs before the rows and the checkpoints after them."""
    actor = UserFactory()
    for i in range(5):
        access_record(actor=actor, action="search", search_criterion=f"q={i}")
    assert verify_all().ok

    import audit.verify

    real_head = ChainHead

    class HeadReadAfterACheckpoint:
        class objects:  # stands in for ChainHead.objects
            @staticmethod
            def filter(**kwargs):
                _in_another_connection(lambda: checkpoint_record("access_event"))
                return real_head.objects.filter(**kwargs)

    monkeypatch.setattr(audit.verify, "ChainHead", HeadReadAfterACheckpoint)

    result = verify_chain(AccessEvent)

    assert Checkpoint.objects.filter(chain="access_event", seq=5).exists()
    assert AccessEvent.objects.count() == 5  # nothing was appended: only a checkpoint signed
    assert result.ok, result.problem
