"""Suite-wide fixtures: the PostgreSQL guard, personas and the real Celery worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        pytest.exit(
            f"The suite runs on PostgreSQL only (DATABASE_URL gives {engine}); use `make test`.",
            returncode=2,
        )
    # Hashing cost is not under test; the login test still goes through the real backend.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # whitenoise warns on every request while collectstatic has never run.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def _test_database_url() -> str:
    """DATABASE_URL pointing at pytest-django's test database, for child processes."""
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return f"{base}/{connection.settings_dict['NAME']}"


@pytest.fixture(scope="session")
def child_env(django_db_setup: None) -> dict[str, str]:
    """Environment for processes that must work on the test database (workers, commands)."""
    return {**os.environ, "DATABASE_URL": _test_database_url()}


@pytest.fixture(scope="session")
def celery_worker_process(child_env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process consuming from the session's Redis."""
    from config.celery import app

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--hostname=test-worker@%h",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=child_env,
    )
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the Celery worker did not start")
    yield process
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def world(db):
    from tests.world import build_world

    return build_world()
