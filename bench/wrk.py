"""Running wrk (bench/requests.lua) and reading what it writes: requests per second, latency
percentiles, status classes and socket errors of one measured path or mix."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

SCRIPT = Path(__file__).resolve().parent / "requests.lua"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    form: tuple[tuple[str, str], ...] = ()  # POST fields, without the CSRF token

    def line(self, thread: int, cookie: str, csrf: str) -> str:
        body = urlencode([("csrfmiddlewaretoken", csrf), *self.form]) if self.form else ""
        for value in (self.path, cookie, body):
            if "\t" in value or "\n" in value:
                raise ValueError("a request line holds no tab or newline")
        return "\t".join((str(thread), self.method, self.path, cookie, body))


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    status: dict[str, int]
    socket_errors: int

    @property
    def non_2xx(self) -> int:
        return sum(n for cls, n in self.status.items() if cls != "2xx")

    @property
    def errors(self) -> int:
        """Failures: refused, timed-out or broken connections and 4xx/5xx answers (a redirect,
        as after a note is saved, is a success)."""
        return self.socket_errors + self.status.get("4xx", 0) + self.status.get("5xx", 0)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "non_2xx": self.non_2xx, "errors": self.errors}


def parse(text: str) -> Result:
    """wrk's done() JSON (microseconds) as a Result (milliseconds, requests per second)."""
    raw = json.loads(text)
    latency = raw["latency_us"]
    seconds = raw["duration_us"] / 1e6
    socket_errors = sum(raw["errors"][kind] for kind in ("connect", "read", "write", "timeout"))
    return Result(
        requests=raw["requests"],
        seconds=round(seconds, 3),
        rps=round(raw["requests"] / seconds, 1) if seconds else 0.0,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p95_ms=latency["p95"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        status=dict(raw["status"]),
        socket_errors=socket_errors,
    )


def combine(rounds: list[Result]) -> Result:
    """Alternating rounds of one path as one result: counts and time summed, each percentile
    the median of the rounds' (wrk's histograms are not kept), the worst maximum."""
    if len(rounds) == 1:
        return rounds[0]
    requests, seconds = sum(r.requests for r in rounds), sum(r.seconds for r in rounds)

    def middle(field: str) -> float:
        return float(statistics.median(getattr(r, field) for r in rounds))

    return Result(
        requests=requests,
        seconds=round(seconds, 3),
        rps=round(requests / seconds, 1) if seconds else 0.0,
        p50_ms=middle("p50_ms"),
        p90_ms=middle("p90_ms"),
        p95_ms=middle("p95_ms"),
        p99_ms=middle("p99_ms"),
        max_ms=max(r.max_ms for r in rounds),
        status={cls: sum(r.status.get(cls, 0) for r in rounds) for cls in rounds[0].status},
        socket_errors=sum(r.socket_errors for r in rounds),
    )


def request_file(lines: list[str], path: Path) -> Path:
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)  # session cookies
    return path


def run(
    base_url: str,
    lines: list[str],
    *,
    threads: int,
    seconds: int,
    workdir: Path,
    rate: float = 0.0,
) -> Result:
    """One wrk run: ``threads`` connections, each its own thread, for ``seconds``; paced to
    ``rate`` requests per second in total when given."""
    out = workdir / "wrk-out.json"
    out.unlink(missing_ok=True)
    env = {
        **os.environ,
        "BENCH_WRK_REQUESTS": str(request_file(lines, workdir / "wrk-requests.tsv")),
        "BENCH_WRK_THREADS": str(threads),
        "BENCH_WRK_RATE": str(rate),
        "BENCH_WRK_OUT": str(out),
    }
    command = ["wrk", f"-t{threads}", f"-c{threads}", f"-d{seconds}s", "--timeout", "10s"]
    subprocess.run(  # noqa: S603 - wrk from PATH with arguments built here
        [*command, "-s", str(SCRIPT), base_url + "/"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        timeout=seconds + 60,
    )
    return parse(out.read_text())
