"""The bench's verdicts and its report: ratios against the targets of issue 12, and
bench/results.md rendered from the same data as bench/results.json."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

PERSON, NO_AUDIT, TRIVIAL = "person", "person_no_audit", "trivial"
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda value, limit: value <= limit,
    ">=": lambda value, limit: value >= limit,
    "<": lambda value, limit: value < limit,
    ">": lambda value, limit: value > limit,
}


@dataclass(frozen=True)
class Check:
    name: str
    value: float | None  # None: not measured in this run
    op: str
    limit: float
    detail: str = ""

    @property
    def passed(self) -> bool | None:
        return None if self.value is None else COMPARE[self.op](self.value, self.limit)

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "not measured"}[self.passed]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def median(values: Iterable[float]) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def _path(scale: dict[str, Any], name: str, field: str) -> float | None:
    value = scale.get("paths", {}).get(name, {}).get(field)
    return None if value is None else float(value)


def permission_checks(users: Sequence[dict[str, Any]]) -> list[Check]:
    ours = median(u["ours_ms"] for u in users)
    unfiltered = median(u["unfiltered_ms"] for u in users)
    guardian = median(u["guardian_ms"] for u in users)
    worst = max((u["ours_ms"] / u["unfiltered_ms"] for u in users), default=None)
    detail = (
        f"{len(users)} users; median {_fmt(ours)} ms filtered, {_fmt(unfiltered)} ms unfiltered"
    )
    return [
        Check(
            "permission overhead: first 50 persons, median",
            ratio(ours, unfiltered),
            "<=",
            1.5,
            detail,
        ),
        Check(
            "permission overhead: worst single user",
            None if worst is None else round(worst, 3),
            "<=",
            1.5,
        ),
        Check(
            "guardian's get_objects_for_user / ours (ours faster)",
            ratio(guardian, ours),
            ">",
            1.0,
            f"median {_fmt(guardian)} ms guardian",
        ),
    ]


def page_checks(scale: dict[str, Any]) -> list[Check]:
    rps, p95 = "rps", "p95_ms"
    return [
        Check(
            "audit overhead: no-audit rps / person page rps",
            ratio(_path(scale, NO_AUDIT, rps), _path(scale, PERSON, rps)),
            "<=",
            1.25,
        ),
        Check(
            "audit overhead: person page p95 / no-audit p95",
            ratio(_path(scale, PERSON, p95), _path(scale, NO_AUDIT, p95)),
            "<=",
            1.25,
        ),
        Check(
            "person page rps / trivial view rps",
            ratio(_path(scale, PERSON, rps), _path(scale, TRIVIAL, rps)),
            ">=",
            0.5,
        ),
        Check("person page queries", _path(scale, PERSON, "queries"), "<=", 12),
    ]


def load_checks(scale: dict[str, Any]) -> list[Check]:
    sustained = scale.get("sustained") or {}
    backlog = scale.get("backlog") or {}
    rate = sustained.get("target_rate")
    served = ratio(sustained.get("rps"), rate)
    return [
        Check("audit sequencer lag, max age (s)", backlog.get("max_age_s"), "<=", 5.0),
        Check("sustained mixed load: rate served / rate asked", served, ">=", 0.95, f"{rate}/s"),
        Check("sustained mixed load p95 (ms)", sustained.get("p95_ms"), "<=", 300.0, f"{rate}/s"),
        Check("sustained mixed load errors", sustained.get("errors"), "<=", 0),
    ]


def statistics_checks(scale: dict[str, Any]) -> list[Check]:
    """Issue 13: a district's year (four quarters) in under a second, one query a quarter."""
    council = scale.get("statistics") or {}
    detail = f"{council.get('municipalities', '?')} municipalities"
    return [
        Check(
            "council statistics: a district's year (ms)",
            council.get("district_year_ms"),
            "<=",
            1000.0,
            detail,
        ),
        Check("council statistics: queries for a district's year", council.get("queries"), "<=", 4),
        Check(
            "council statistics: nightly release, every district (s)",
            council.get("freeze_s"),
            "<=",
            3600.0,
            f"{council.get('releases', '?')} releases",
        ),
    ]


def growth_check(small: dict[str, Any], large: dict[str, Any]) -> Check:
    """p95 from the smallest to the largest scale, the worst path counted."""
    growth = {
        name: ratio(large["paths"][name]["p95_ms"], small["paths"][name]["p95_ms"])
        for name in small.get("paths", {})
        if name in large.get("paths", {})
    }
    measured = {name: value for name, value in growth.items() if value is not None}
    worst = max(measured, key=lambda name: measured[name], default=None)
    return Check(
        f"p95 growth S={small['scale']} to S={large['scale']}, worst path",
        measured.get(worst) if worst else None,
        "<=",
        1.5,
        f"worst: {worst}" if worst else "",
    )


def checks(scales: Sequence[dict[str, Any]]) -> list[Check]:
    """Every target, measured on the last (largest) scale; growth between first and last."""
    last = scales[-1]
    found = [
        *permission_checks(last.get("permission", {}).get("users", [])),
        *page_checks(last),
        *load_checks(last),
        *statistics_checks(last),
    ]
    if len(scales) > 1:
        found.append(growth_check(scales[0], last))
    else:
        found.append(Check("p95 growth S=0.1 to S=1.0", None, "<=", 1.5, "--scales 0.1,1.0"))
    return found


# --- results.md ------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:.3g}"
    return str(value)


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_fmt(cell) for cell in row) + " |" for row in rows]
    return lines


def _paths_table(paths: dict[str, dict[str, Any]]) -> list[str]:
    header = ["path", "as", "req/s", "p50 ms", "p95 ms", "p99 ms", "queries", "non-2xx", "errors"]
    fields = ("rps", "p50_ms", "p95_ms", "p99_ms", "queries", "non_2xx", "errors")
    rows = [
        [f"`{p['label']}`", p["user"], *(p.get(field) for field in fields)] for p in paths.values()
    ]
    return _table(header, rows)


def _permission_lines(users: Sequence[dict[str, Any]]) -> list[str]:
    if not users:
        return ["Permission filter: not measured."]
    lines = [
        f"Permission filter, first 50 persons by pseudonym, {len(users)} users "
        f"(median of the per-user medians; min-max):",
        "",
    ]
    rows = [
        [
            label,
            median(u[key] for u in users),
            min(u[key] for u in users),
            max(u[key] for u in users),
        ]
        for label, key in (
            ("unfiltered", "unfiltered_ms"),
            ("ours (`visible_to`)", "ours_ms"),
            ("guardian `get_objects_for_user`", "guardian_ms"),
        )
    ]
    lines += _table(["query", "median ms", "min ms", "max ms"], rows)
    disagree = [u["user_id"] for u in users if not u.get("guardian_agrees", True)]
    if disagree:
        lines += ["", f"guardian's rows differ from ours for users {disagree} (seed's grants)."]
    return lines


def _scale_section(scale: dict[str, Any]) -> list[str]:
    seed = scale.get("seed", {})
    lines = [f"## Scale S={scale['scale']}", ""]
    lines += [f"Seeded with `{seed.get('command')}` in {_fmt(seed.get('seconds'))} s.", ""]
    lines += [*_paths_table(scale.get("paths", {})), ""]
    lines += [*_permission_lines(scale.get("permission", {}).get("users", [])), ""]
    sustained, backlog = scale.get("sustained") or {}, scale.get("backlog") or {}
    if sustained:
        lines.append(
            f"Sustained mixed load ({sustained.get('mix')}), {sustained.get('target_rate')} req/s "
            f"asked for {sustained.get('seconds')} s: {_fmt(sustained.get('rps'))} req/s served, "
            f"p50 {_fmt(sustained.get('p50_ms'))} ms, p95 {_fmt(sustained.get('p95_ms'))} ms, "
            f"p99 {_fmt(sustained.get('p99_ms'))} ms, {sustained.get('errors')} errors."
        )
    if backlog:
        lines.append(
            f"Audit sequencer during the load: at most {backlog.get('max_pending')} events "
            f"pending, the oldest {_fmt(backlog.get('max_age_s'))} s old "
            f"({backlog.get('samples')} samples)."
        )
    return [*lines, ""]


def _machine_lines(meta: dict[str, Any]) -> list[str]:
    facts = meta.get("database", {})
    settings = ", ".join(f"{k}={v}" for k, v in facts.items() if k != "rows_estimated")
    return [
        f"- Date: {meta.get('date')}",
        f"- Command: `{meta.get('command')}`",
        f"- Machine: {meta.get('cores')} cores, {meta.get('memory_gb')} GB, {meta.get('system')}",
        f"- Server: {meta.get('server')}",
        f"- Celery: {meta.get('celery')}",
        f"- Django settings: {meta.get('settings')}",
        f"- PostgreSQL (with_services' throwaway cluster, as the application's connection sees it): {settings}",
        f"- Load: wrk {meta.get('wrk')}; {meta.get('connections')} connections, "
        f"{meta.get('duration')} s per path (person page, no-audit page and trivial view in "
        f"{meta.get('rounds')} alternating rounds)",
        f"- Machine load average when the report was written: {meta.get('load_average')} "
        "(the machine is shared; other work on its cores shows in the figures)",
    ]


def render(meta: dict[str, Any], scales: Sequence[dict[str, Any]], found: Sequence[Check]) -> str:
    lines = ["# `make bench` results", "", *_machine_lines(meta), "", "## Targets (issue 12)", ""]
    lines += _table(
        ["check", "value", "target", "verdict", "detail"],
        [[c.name, c.value, f"{c.op} {c.limit:g}", c.verdict, c.detail] for c in found],
    )
    lines.append("")
    for scale in scales:
        lines += _scale_section(scale)
    return "\n".join(lines).rstrip() + "\n"
