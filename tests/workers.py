"""Real Celery worker processes for the tests that kill one midway (SIGKILL): a solo worker on
its own queue, apart from the session's worker, with a short visibility timeout so Redis hands
an unacknowledged task to the next worker within seconds."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_worker(env: dict[str, str], name: str, queue: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            f"--hostname={name}@%h",
            "-Q",
            queue,
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env={**env, "CELERY_VISIBILITY_TIMEOUT": "3"},
    )


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False
