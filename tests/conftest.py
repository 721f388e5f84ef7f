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
    # The API's rate limits are not under test except where a test lowers them (the settings
    # fixture); the counters live in the process's memory (locmem cache) in tests.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(("user", "anon", "token"), "100000/min"),
    }
    from rest_framework.settings import api_settings

    api_settings.reload()  # DRF may have read its settings while Django set up
    config.addinivalue_line(
        "markers",
        "real_second_factor: force_login leaves the session without the second factor "
        "(tests of the login steps themselves)",
    )
    _let_test_flushes_truncate_audit_tables()
    # whitenoise warns on every request while collectstatic has never run.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def _let_test_flushes_truncate_audit_tables() -> None:
    """Transactional tests end with a TRUNCATE of every table, which the audit tables'
    triggers refuse. Only in tests, and as the tables' owner (as the migration role could),
    switch the TRUNCATE guard off around that flush and back on (ENABLE ALWAYS) after it."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush
    guarded = [
        "audit_accessevent",
        "audit_accesseventsubject",
        "audit_disclosure",
        "audit_checkpoint",
        "audit_accountevent",
        "audit_spotcheck",
    ]

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        present = [table for table in guarded if table in tables]
        off = [f"ALTER TABLE {t} DISABLE TRIGGER {t}_no_truncate" for t in present]
        on = [f"ALTER TABLE {t} ENABLE ALWAYS TRIGGER {t}_no_truncate" for t in present]
        return off + statements + on

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]  # test-only patch


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


@pytest.fixture(autouse=True)
def _force_login_passes_second_factor(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``client.force_login(user)`` stands for a finished login, second factor included: it
    gives the user a confirmed TOTP device if they have none and marks the session verified
    as django_otp.login() does. Tests marked ``real_second_factor`` get Django's own
    force_login (a session that has passed the password only)."""
    if request.node.get_closest_marker("real_second_factor"):
        return
    from django.test.client import ClientMixin
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Test", confirmed=True)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture
def world(db):
    from tests.world import build_world

    return build_world()
