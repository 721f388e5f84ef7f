"""`make bench`: seed a national dataset, serve it with production settings, load it with wrk
and write bench/results.md and bench/results.json (issue 12's figures and ratios).

Run under scripts/with_services.py (it gives DATABASE_URL and REDIS_URL):

    python scripts/with_services.py -- python bench/run.py [--scales 0.1,1.0] [--duration 15]

Per scale, in a fresh database: migrate, seed (`bench_seed --scale S`), collect static files;
in-process timing of the permission filter (bench/probe.py); then gunicorn (gthread) and a
Celery worker with beat, members and a DPO logged in over HTTP (password and TOTP), one
request per path for its query count (X-Bench-Queries), wrk on each path, and a paced mixed
load while the audit sequencer's backlog is polled. Targets are reported as PASS/FAIL; the exit
status is 0 unless --strict is given and a target fails."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: the repository, not bench/, is importable
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import requests

from bench import login, report, servers, wrk
from bench.wrk import Request

ROOT = servers.ROOT
WORKDIR = ROOT / "var" / "bench"
NO_AUDIT = "/bench/uden-audit/"
QUERY_HEADER = "X-Bench-Queries"
BENCH_PASSWORD = "bench-password-123"  # noqa: S105 - bench_seed's default for throwaway data
DEMO_PASSWORD = "Tvaers-demo-2026"  # noqa: S105 - seed_demo's published password
NOTE_FORM = (("body", "Målingsnotat fra make bench."), ("visibility", "agency"), ("necessity", ""))
SUSTAINED_MIX = "60 % person pages, 25 % lists, 10 % searches, 5 % note writes"


# --- what is loaded --------------------------------------------------------------------------


def member_paths(member: Mapping[str, Any]) -> dict[str, tuple[str, list[Request]]]:
    """Per measured path: its label and the requests one member cycles through."""
    persons, case_file = member["person_ids"], member["case_file_id"]
    return {
        "start": ("/", [Request("GET", "/")]),
        "person_list": ("/personer/", [Request("GET", "/personer/")]),
        "person_list_forum": (
            "/personer/?forum=<id>",
            [Request("GET", f"/personer/?forum={member['forum_ids'][0]}")],
        ),
        report.PERSON: ("/personer/<id>/", [Request("GET", f"/personer/{pk}/") for pk in persons]),
        report.NO_AUDIT: (
            f"{NO_AUDIT}personer/<id>/",
            [Request("GET", f"{NO_AUDIT}personer/{pk}/") for pk in persons],
        ),
        report.TRIVIAL: ("/bench/triviel/", [Request("GET", "/bench/triviel/")]),
        "session": ("/moeder/<id>/", [Request("GET", f"/moeder/{member['session_id']}/")]),
        "note_create": (
            "POST /sager/<id>/notater/ny/",
            [Request("POST", f"/sager/{case_file}/notater/ny/", NOTE_FORM)],
        ),
        "my_tasks": ("/mine-opgaver/", [Request("GET", "/mine-opgaver/")]),
    }


def dpo_paths(dpo: Mapping[str, Any]) -> dict[str, tuple[str, list[Request]]]:
    return {
        "dpo_person": (
            "/audit/personer/<pseudonym>/",
            [Request("GET", f"/audit/personer/{dpo['pseudonym']}/")],
        ),
        "dpo_user": (
            "/audit/brugere/<id>/",
            [Request("GET", f"/audit/brugere/{dpo['subject_user_id']}/")],
        ),
    }


def sustained_requests(member: Mapping[str, Any], seed: int) -> list[Request]:
    """Twenty requests in the mix's proportions, in a shuffled but repeatable order."""
    paths = member_paths(member)
    persons = paths[report.PERSON][1]
    prefix = member["pseudonyms"][0][:3]
    mix = [
        *(persons[i % len(persons)] for i in range(12)),
        *paths["person_list"][1] * 3,
        *paths["person_list_forum"][1] * 2,
        *[Request("GET", f"/personer/?q={prefix}")] * 2,
        *paths["note_create"][1],
    ]
    random.Random(seed).shuffle(mix)  # noqa: S311 - a repeatable order, not a secret
    return mix


def thread_lines(
    sessions: Sequence[login.Session], per_session: Sequence[list[Request]], threads: int
) -> list[str]:
    """wrk's request lines: connection i is session i (round robin) with its requests."""
    return [
        request.line(
            thread, sessions[thread % len(sessions)].cookie, sessions[thread % len(sessions)].csrf
        )
        for thread in range(threads)
        for request in per_session[thread % len(sessions)]
    ]


# --- measuring -------------------------------------------------------------------------------


def query_count(base_url: str, session: login.Session, request: Request) -> int | None:
    """One request with the session; the statements the server counted for it."""
    headers = {"Cookie": session.cookie}
    if request.method == "POST":
        form = [("csrfmiddlewaretoken", session.csrf), *request.form]
        answer = requests.post(
            base_url + request.path, data=form, headers=headers, allow_redirects=False, timeout=60
        )
    else:
        answer = requests.get(base_url + request.path, headers=headers, timeout=60)
    if answer.status_code >= 400:
        print(f"bench: {request.method} {request.path} answered {answer.status_code}", flush=True)
    value = answer.headers.get(QUERY_HEADER)
    return int(value) if value is not None else None


# Compared with each other: measured in alternating rounds, so a noisy neighbour on the machine
# (other processes share its two cores) weighs on all three alike.
PAIRED = (report.PERSON, report.NO_AUDIT, report.TRIVIAL)


Target = tuple[str, str, list[login.Session], list[list[Request]]]  # label, as, sessions, requests


def targets(
    members: Sequence[login.Session],
    plans: Sequence[Mapping[str, Any]],
    dpo: tuple[login.Session, Mapping[str, Any]] | None,
) -> dict[str, Target]:
    per_member = [member_paths(plan) for plan in plans]
    found: dict[str, Target] = {
        name: (label, "member", list(members), [paths[name][1] for paths in per_member])
        for name, (label, _) in per_member[0].items()
    }
    if dpo is not None:
        for name, (label, dpo_requests) in dpo_paths(dpo[1]).items():
            found[name] = (label, "DPO", [dpo[0]], [dpo_requests])
    return found


def run_rounds(
    base_url: str, measured: Mapping[str, Target], args: argparse.Namespace
) -> dict[str, list[wrk.Result]]:
    """Each path for --duration seconds; the paired ones in alternating rounds of a part."""
    rounds: dict[str, list[wrk.Result]] = {name: [] for name in measured}
    schedule = [[name] for name in measured if name not in PAIRED]
    schedule += [[name for name in PAIRED if name in measured]] * args.rounds
    for names in schedule:
        for name in names:
            label, _, sessions, per_session = measured[name]
            seconds = args.duration if name not in PAIRED else max(1, args.duration // args.rounds)
            print(f"bench: {label} ({seconds} s) ...", flush=True)
            lines = thread_lines(sessions, per_session, args.connections)
            rounds[name].append(
                wrk.run(base_url, lines, threads=args.connections, seconds=seconds, workdir=WORKDIR)
            )
    return rounds


def measure_paths(
    base_url: str, measured: Mapping[str, Target], args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    rounds = run_rounds(base_url, measured, args)
    return {
        name: {
            "label": label,
            "user": user,
            **wrk.combine(rounds[name]).as_dict(),
            "rounds": len(rounds[name]),
            "queries": query_count(base_url, sessions[0], per_session[0][0]),
        }
        for name, (label, user, sessions, per_session) in measured.items()
    }


def warm_up(
    base_url: str,
    members: Sequence[login.Session],
    plans: Sequence[Mapping[str, Any]],
    args: argparse.Namespace,
) -> None:
    """A few seconds of every member path, so each worker has loaded its templates."""
    mixed = [
        [r for _, requests_of in member_paths(plan).values() for r in requests_of[:2]]
        for plan in plans
    ]
    wrk.run(
        base_url,
        thread_lines(members, mixed, args.connections),
        threads=args.connections,
        seconds=args.warm_up,
        workdir=WORKDIR,
    )


def sustained(
    base_url: str,
    members: Sequence[login.Session],
    plans: Sequence[Mapping[str, Any]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    print(f"bench: sustained mixed load, {args.rate}/s for {args.sustained} s ...", flush=True)
    mixes = [sustained_requests(plan, seed) for seed, plan in enumerate(plans)]
    result = wrk.run(
        base_url,
        thread_lines(members, mixes, args.connections),
        threads=args.connections,
        seconds=args.sustained,
        workdir=WORKDIR,
        rate=args.rate,
    )
    return {**result.as_dict(), "target_rate": args.rate, "mix": SUSTAINED_MIX}


# --- one scale -------------------------------------------------------------------------------


def seed(env: Mapping[str, str], scale: float, args: argparse.Namespace) -> dict[str, Any]:
    if args.seeder == "demo":
        seconds = servers.manage(env, "seed_demo")
        return {"command": "manage.py seed_demo", "seconds": seconds}
    command = ["bench_seed", "--scale", str(scale), "--password", args.password]
    command += ["--credentials", args.credentials]
    return {
        "command": "manage.py " + " ".join(command[:3]),
        "seconds": servers.manage(env, *command),
    }


def log_in(base_url: str, plan: Mapping[str, Any], password: str, form_path: str) -> login.Session:
    return login.login(base_url, plan["email"], password, plan["totp_key"], form_path)


def load(
    base_url: str, env: Mapping[str, str], plan: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    password = DEMO_PASSWORD if args.seeder == "demo" else args.password
    plans = plan["members"]
    members = [
        log_in(base_url, m, password, f"/sager/{m['case_file_id']}/notater/ny/") for m in plans
    ]
    dpo = (log_in(base_url, plan["dpo"], password, "/audit/"), plan["dpo"]) if plan["dpo"] else None
    if args.warm_up:
        warm_up(base_url, members, plans, args)
    with servers.probe_running(env, "backlog") as poller:
        paths = measure_paths(base_url, targets(members, plans, dpo), args)
        mixed = sustained(base_url, members, plans, args) if args.sustained else None
        poller.terminate()
        backlog_text, _ = poller.communicate(timeout=30)
    return {"paths": paths, "sustained": mixed, "backlog": json.loads(backlog_text or "{}")}


def bench_scale(
    index: int, scale: float, keys: Mapping[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    print(f"bench: scale {scale}", flush=True)
    server_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    with servers.fresh_database(server_url, f"tvaers_bench_{index}") as database_url:
        return measure_scale(scale, database_url, keys, args)


def measure_scale(
    scale: float, database_url: str, keys: Mapping[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    dev_env = servers.development_env(keys, database_url)
    prod_env = servers.production_env(keys, database_url)
    servers.manage(dev_env, "migrate", "--no-input", "-v", "0")
    seeded = seed(dev_env, scale, args)
    servers.manage(prod_env, "collectstatic", "--no-input", "-v", "0")
    credentials = args.credentials if args.seeder == "bench" else ""  # none from seed_demo
    count = str(args.connections)
    plan = json.loads(
        servers.probe(prod_env, "plan", "--count", count, "--credentials", credentials)
    )
    if not plan["members"]:
        sys.exit("bench: no member with persons, a session and a case file to load")
    facts = json.loads(servers.probe(prod_env, "facts"))
    print("bench: permission filter in-process ...", flush=True)
    permission = json.loads(servers.probe(prod_env, "ratios", "--users", str(args.ratio_users)))
    print("bench: council statistics (release, then a district's year) ...", flush=True)
    council = json.loads(servers.probe(prod_env, "statistics"))
    signer_env = servers.production_env(keys, database_url, signer=True)
    with (
        servers.celery(signer_env, WORKDIR),
        servers.gunicorn(prod_env, args.workers, args.threads, WORKDIR) as base_url,
    ):
        loaded = load(base_url, prod_env, plan, args)
    return {
        "scale": scale if args.seeder == "bench" else "demo (seed_demo)",
        "seed": seeded,
        "database": facts,
        "permission": permission,
        "statistics": council,
        "users": len(plan["members"]),
        **loaded,
    }


# --- the run ---------------------------------------------------------------------------------


def machine(
    args: argparse.Namespace, argv: Sequence[str], database: Mapping[str, Any]
) -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().split()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout  # noqa: S607
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "make bench" + (f" BENCH_ARGS='{' '.join(argv)}'" if argv else ""),
        "cores": os.cpu_count(),
        "memory_gb": round(int(meminfo[1]) / 1024 / 1024, 1),
        "system": platform.platform(),
        "server": f"gunicorn gthread, {args.workers} workers x {args.threads} threads, loopback",
        "celery": "one worker with embedded beat (--pool=solo): the audit sequencer every 2 s",
        "settings": f"{servers.SETTINGS}, DEBUG=0 (production settings, fresh keys; plain HTTP on loopback)",
        "wrk": wrk_version.split(" [")[0].strip(),
        "connections": args.connections,
        "duration": args.duration,
        "rounds": args.rounds,
        "load_average": " ".join(f"{n:.2f}" for n in os.getloadavg()),
        "database": {k: v for k, v in database.items() if k != "rows_estimated"},
    }


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scales", default="0.1", help="comma-separated, each in a fresh database (e.g. 0.1,1.0)"
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk per path")
    parser.add_argument(
        "--sustained",
        type=int,
        default=60,
        help="seconds of the mixed load (0: skip; 600 for the full run)",
    )
    parser.add_argument(
        "--rate", type=float, default=50.0, help="requests per second of the mixed load"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds of person/no-audit/trivial"
    )
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--warm-up", type=int, default=3, help="seconds of warm-up load before measuring"
    )
    parser.add_argument("--ratio-users", type=int, default=30)
    parser.add_argument(
        "--seeder",
        choices=["bench", "demo"],
        default="bench",
        help="demo: seed_demo's data (no scale)",
    )
    parser.add_argument("--password", default=BENCH_PASSWORD)
    parser.add_argument("--credentials", default="var/bench/users.json")
    parser.add_argument(
        "--output", default=str(ROOT / "bench" / "results"), help="writes OUTPUT.md and OUTPUT.json"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    return parser.parse_args(argv)


def write_results(
    output: Path, meta: dict[str, Any], scales: list[dict[str, Any]], found: list[report.Check]
) -> None:
    data = {**meta, "checks": [c.as_dict() for c in found], "scales": scales}
    output.with_suffix(".json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    output.with_suffix(".md").write_text(report.render(meta, scales, found))


def summary(found: Sequence[report.Check]) -> str:
    return "\n".join(
        f"{c.verdict:>12}  {c.name}: {c.value} (target {c.op} {c.limit:g})" for c in found
    )


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if "DATABASE_URL" not in os.environ or "REDIS_URL" not in os.environ:
        sys.exit("bench/run.py runs under scripts/with_services.py (make bench)")
    servers.ensure_wrk()
    WORKDIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    keys = servers.generate_keys()
    scales = [bench_scale(i, float(s), keys, args) for i, s in enumerate(args.scales.split(","))]
    found = report.checks(scales)
    meta = {
        **machine(args, argv, scales[-1]["database"]),
        "minutes": round((time.monotonic() - started) / 60, 1),
    }
    write_results(Path(args.output), meta, scales, found)
    print(summary(found), flush=True)
    print(f"bench: {meta['minutes']} min; results in {args.output}.md and .json", flush=True)
    failed = any(c.passed is False for c in found)
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
