"""In-process helper of bench/run.py, run as its own process per database:

    python bench/probe.py plan --count 8 [--credentials var/bench/users.json]
    python bench/probe.py ratios --users 30 --repeat 7
    python bench/probe.py backlog --interval 0.5     (until SIGTERM)
    python bench/probe.py facts

Each prints one JSON document on stdout. Settings: config.settings_bench unless
DJANGO_SETTINGS_MODULE says otherwise."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _setup() -> None:
    sys.path[0] = str(ROOT)  # the repository, not bench/, is importable
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_bench")
    import django

    django.setup()


def preferred(credentials: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Member emails and the DPO named in bench_seed's credentials file, if any."""
    members = [
        entry["email"]
        for kind in ("member", "members")
        for entry in _entries(credentials.get(kind))
        if "email" in entry
    ]
    dpo = next(iter(_entries(credentials.get("dpo"))), {})
    return members, dpo


def _entries(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    return [entry for entry in value or [] if isinstance(entry, dict)]


def plan(args: argparse.Namespace) -> dict[str, Any]:
    from bench import inproc

    path = Path(args.credentials) if args.credentials else None
    credentials = json.loads(path.read_text()) if path and path.is_file() else {}
    members_first, dpo = preferred(credentials)
    members = inproc.members_plan(args.count, members_first)
    return {"members": members, "dpo": inproc.dpo_plan(members, dpo)}


def ratios(args: argparse.Namespace) -> dict[str, Any]:
    from bench import inproc

    return {"users": inproc.permission_timings(args.users, args.repeat)}


def backlog(args: argparse.Namespace) -> dict[str, Any]:
    """Poll the sequencer's backlog until SIGTERM; the worst age and size seen."""
    from bench import inproc

    stop = False

    def finish(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, finish)
    worst_age, worst_pending, samples = 0.0, 0, 0
    while not stop:
        pending, age = inproc.backlog()
        worst_age, worst_pending = max(worst_age, age), max(worst_pending, pending)
        samples += 1
        time.sleep(args.interval)
    return {"max_age_s": worst_age, "max_pending": worst_pending, "samples": samples}


def facts(args: argparse.Namespace) -> dict[str, Any]:
    from bench import inproc

    return inproc.database_facts()


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)
    plan_cmd = commands.add_parser("plan")
    plan_cmd.add_argument("--count", type=int, default=8)
    plan_cmd.add_argument("--credentials", default="var/bench/users.json")
    ratio_cmd = commands.add_parser("ratios")
    ratio_cmd.add_argument("--users", type=int, default=30)
    ratio_cmd.add_argument("--repeat", type=int, default=7)
    backlog_cmd = commands.add_parser("backlog")
    backlog_cmd.add_argument("--interval", type=float, default=0.5)
    commands.add_parser("facts")
    stats_cmd = commands.add_parser("statistics")
    stats_cmd.add_argument("--repeat", type=int, default=7)
    return main


def council_statistics(args: argparse.Namespace) -> dict[str, Any]:
    from bench import inproc

    return inproc.statistics_timings(args.repeat)


COMMANDS = {
    "plan": plan,
    "ratios": ratios,
    "backlog": backlog,
    "facts": facts,
    "statistics": council_statistics,
}


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    _setup()
    print(json.dumps(COMMANDS[args.command](args)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
