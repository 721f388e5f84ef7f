"""The national dataset for `manage.py bench_seed --scale S` (issue 12): geography, users,
persons with their case files and casework, meetings, guardian's comparison rows and the
audit trail, written with COPY on an empty PostgreSQL database."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from audit.services import checkpoint_record
from audit.verify import CHAINS
from coordination.bench.casework import seed_casework
from coordination.bench.copying import Timings, foreign_keys_trusted, reset_sequences
from coordination.bench.credentials import credentials, write_credentials
from coordination.bench.geography import seed_geography
from coordination.bench.grants import seed_guardian
from coordination.bench.meetings import seed_meetings
from coordination.bench.people import seed_people
from coordination.bench.persons import seed_persons
from coordination.bench.sizes import CLOSED_SHARE, Sizes
from coordination.bench.trail import seed_access_events, seed_disclosures
from core import crypto

SEED = 12  # issue 12: the same scale gives the same data shape


@dataclass(frozen=True)
class Options:
    scale: float
    password: str
    credentials: Path


def _sign_heads() -> None:
    """A signed head per chain, so the DPO's overview shows one at once (as seed_demo does);
    skipped in a process that holds no signing key (beat signs within the hour)."""
    try:
        for chain in CHAINS:
            checkpoint_record(chain.CHAIN)
    except crypto.SigningKeyMissing:
        return


def seed(options: Options, timings: Timings) -> Sizes:
    with foreign_keys_trusted() as trusted:
        if trusted:
            timings.note("foreign-key triggers skipped while loading (superuser, replica role)")
        return _seed(options, timings)


def _seed(options: Options, timings: Timings) -> Sizes:
    sizes = Sizes.at(options.scale)
    rng = random.Random(SEED)  # noqa: S311 - the data's shape, not its secrets
    geography = seed_geography(sizes.forums, timings)
    people = seed_people(geography, sizes.users, options.password, rng, timings)
    case_files = seed_persons(geography.forums, sizes.persons, CLOSED_SHARE, rng, timings)
    work = seed_casework(case_files, rng, timings)
    sessions = seed_meetings(geography.forums, case_files, work, rng, timings)
    seed_guardian(geography.forums, case_files, timings)
    seed_disclosures(work.disclosures, timings)
    witness = seed_access_events(sizes.access_events, people.members, case_files, rng, timings)
    reset_sequences(
        connection.introspection.installed_models(connection.introspection.table_names())
    )
    _sign_heads()
    data = credentials(people, case_files, sessions, witness, options.scale, options.password)
    write_credentials(options.credentials, data)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings.add("(analyze)", 0, time.perf_counter() - started)
    return sizes
