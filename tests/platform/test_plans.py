"""The queries that must stay index-driven at national scale do (issue 12): EXPLAIN on a
database filled by `bench_seed`, for the person list and page, the DPO's histories and the
audit sequencer, with no sequential scan of a large table.

The scale here is small enough for `make test` (S=0.02: 200,000 access events, 20,000 notes);
`make bench` runs the same check at its own scale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCALE = "0.02"
LARGE_ROWS = 10_000


@pytest.fixture(scope="module")
def bench_database() -> Iterator[str]:
    """A database of its own (bench_seed wants an empty one), migrated and seeded."""
    url = urlsplit(os.environ["DATABASE_URL"])
    name = "tvaers_plans"
    admin = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    database_url = urlunsplit(url._replace(path=f"/{name}"))
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    try:
        for command in (
            ["manage.py", "migrate", "-v0"],
            ["manage.py", "bench_seed", "--scale", SCALE, "--credentials", "/dev/null"],
        ):
            done = subprocess.run(
                [sys.executable, *command],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            assert done.returncode == 0, done.stderr[-3000:]
        yield database_url
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def plans(bench_database: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "scripts/explain_plans.py", "--large-rows", str(LARGE_ROWS)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": bench_database, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_check_has_large_tables_to_find(plans):
    """Otherwise "no sequential scan" would mean nothing."""
    large = plans["large_tables"]
    assert {"audit_accessevent", "audit_accesseventsubject", "coordination_note"} <= set(large)


def test_no_query_scans_a_large_table_sequentially(plans):
    scanning = {plan["name"]: plan["seq_scans"] for plan in plans["plans"] if plan["seq_scans"]}
    assert scanning == {}, json.dumps(
        [p["plan"] for p in plans["plans"] if p["seq_scans"]], indent=1
    )[:6000]


def test_every_query_was_explained(plans):
    names = {plan["name"] for plan in plans["plans"]}
    assert {
        "person list, member",
        "person list, nobody",
        "person list, police, one forum",
        "DPO: a person's access history",
        "DPO: a user's access history",
        "audit sequencer: pending reads",
    } <= names
