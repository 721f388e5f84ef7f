"""Drill 2: a Celery worker is SIGKILLed in the middle of a sweep.

The nightly retention sweep: the message was not acknowledged (acks_late), so Redis hands it to
the next worker after the visibility timeout (shortened for the drill through
CELERY_VISIBILITY_TIMEOUT); that worker runs the sweep again and finishes it, and nothing
happens twice: one tombstone and one DELETE_DATA audit event per case file, no error.

The audit sequencer (beat every few seconds): a worker killed while it chains a backlog of
access events loses none of them; the next worker chains the rest and the chain verifies."""

from __future__ import annotations

import datetime
import time
from collections import Counter

from django.db import connection
from django.utils import timezone

from accounts.models import User
from audit.models import AccessEvent
from audit.services import SEQUENCE_BATCH
from forums.models import Forum
from persons import retention, services
from persons.models import CaseFile, DeletedCaseFile, FocusPerson
from tests.drills.stack import Stack, say, wait_for

REPORTER = "social@kk.demo.tvaers.dk"
FORUM = "SSP Nørrebro"
PERSONS = 120
SWEEP = "persons.tasks.apply_retention"
QUEUE = "drill-retention"  # only the drill's workers take it
VISIBILITY_TIMEOUT = "3"


def persons_due_for_deletion(count: int) -> tuple[set[int], set[int]]:
    """``count`` persons registered through the service, their case files closed long ago:
    (person ids, case file ids)."""
    reporter = User.objects.get(email=REPORTER)
    forum = Forum.objects.get(name=FORUM)
    birth_date = timezone.localdate().replace(year=timezone.localdate().year - 15)
    case_files = set()
    for n in range(count):
        result = services.concern_register(
            actor=reporter,
            forum=forum,
            identity=services.IdentityInput(name=f"Øvelse Sletning {n}", birth_date=birth_date),
            categories=["vold"],
            description="Øvelse: en bekymring, der skal slettes af den natlige kørsel.",
            source_agency=reporter.agency,
            necessity="Øvelse: forummet skal kende bekymringen for at forebygge i tide.",
        )
        case_files.add(result.concern.case_file_id)
    grace = retention.policy_for(forum.kind).closed_grace_days
    closed = timezone.now() - datetime.timedelta(days=grace + 1)
    CaseFile.objects.filter(pk__in=case_files).update(closed_at=closed, last_activity_at=closed)
    persons = set(CaseFile.objects.filter(pk__in=case_files).values_list("person_id", flat=True))
    return persons, case_files


def delete_events(case_files: set[int]) -> Counter[int]:
    events = AccessEvent.objects.filter(action=AccessEvent.Action.DELETE_DATA)
    ids = (int(pk) for row in events.values_list("object_ids", flat=True) for pk in row)
    return Counter(pk for pk in ids if pk in case_files)


def test_a_worker_killed_mid_sweep_is_replaced_and_nothing_happens_twice(stack: Stack) -> None:
    persons, case_files = persons_due_for_deletion(PERSONS)
    due = retention.apply_retention(dry_run=True).due
    say(f"{PERSONS} persons registered, their case files closed past the grace period ({due} due)")

    stack.start_worker("doomed", queues=QUEUE, CELERY_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT)
    stack.publish(SWEEP, queue=QUEUE)
    published = time.monotonic()
    tombstones = DeletedCaseFile.objects.filter(case_file_id__in=case_files)
    assert wait_for(lambda: tombstones.count() >= 3, 60, interval=0.02), (
        "the first worker never started the sweep"
    )
    stack.kill_worker("doomed")
    done_at_kill = tombstones.count()
    say(f"worker 'doomed' SIGKILLed mid-sweep, after {done_at_kill} of {PERSONS} deletions")
    assert done_at_kill < PERSONS, "the sweep finished before the kill; nothing was tested"

    # A worker hands back abandoned messages when it starts polling (then every ~100 s): the
    # replacement starts once the message has been unacknowledged past the visibility timeout,
    # as a restarted container would.
    time.sleep(max(0.0, published + float(VISIBILITY_TIMEOUT) + 1 - time.monotonic()))
    stack.start_worker("survivor", queues=QUEUE, CELERY_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT)
    assert wait_for(lambda: stack.succeeded("survivor", SWEEP) >= 1, 90), (
        "the unacknowledged sweep was not handed to the second worker"
    )
    say("the sweep was redelivered to worker 'survivor' after the visibility timeout and ran")
    stack.stop_worker("survivor")

    assert not FocusPerson.objects.filter(pk__in=persons).exists()
    per_case_file = Counter(tombstones.values_list("case_file_id", flat=True))
    assert set(per_case_file) == case_files and set(per_case_file.values()) == {1}
    events = delete_events(case_files)
    assert set(events) == case_files and set(events.values()) == {1}
    assert retention.apply_retention(dry_run=True).due == 0
    log = stack.logs["survivor"].read_text()
    assert "ERROR" not in log and "Traceback" not in log, stack.tail("survivor")
    say(
        f"checked: all {PERSONS} persons gone; exactly one tombstone and one DELETE_DATA audit "
        "event per case file; nothing left due; no error in the second worker's log"
    )


BACKLOG = 3 * SEQUENCE_BATCH  # one batch to see chained, two to kill the sequencer in


def pending() -> int:
    return AccessEvent.objects.filter(seq__isnull=True).count()


def grow_backlog(rows: int) -> None:
    """Copies of a pending read event, as a burst of reads while no sequencer ran would leave."""
    columns = ", ".join(
        f'"{f.column}"' for f in AccessEvent._meta.concrete_fields if not f.primary_key
    )
    table = AccessEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}, "  # noqa: S608 - names from the model
            f"generate_series(1, %s) WHERE id = (SELECT min(id) FROM {table} WHERE seq IS NULL)",
            [rows],
        )


def test_a_sequencer_killed_mid_backlog_loses_no_access_event(stack: Stack) -> None:
    assert pending(), "the drills' reads left no pending access event"
    grow_backlog(BACKLOG)
    backlog = pending()
    say(f"{backlog} access events pending (the drills' reads, and a burst of copies)")

    stack.start_worker("sequencer-a", queues="celery")
    stack.start_beat()
    assert wait_for(lambda: pending() <= backlog - SEQUENCE_BATCH, 90, interval=0.05), (
        "the sequencer never chained a batch"
    )
    stack.kill_worker("sequencer-a")
    left = pending()
    say(f"worker 'sequencer-a' SIGKILLed while chaining: {backlog - left} chained, {left} pending")
    assert left, "the backlog was chained before the kill; nothing was tested"

    stack.start_worker("sequencer-b", queues="celery")
    started = time.monotonic()
    assert wait_for(lambda: pending() == 0, 120), f"{pending()} access events never chained"
    say(f"worker 'sequencer-b' chained the remaining {left} in {time.monotonic() - started:.0f}s")
    stack.stop_worker("beat")
    stack.stop_worker("sequencer-b")

    chained = AccessEvent.objects.filter(seq__isnull=False)
    assert chained.count() == chained.values("seq").distinct().count()
    verified = stack.manage("audit_verify")
    assert "intact" in verified, verified
    say(f"checked: no event lost or chained twice; manage.py audit_verify: {verified.strip()}")
