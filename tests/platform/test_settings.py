"""Production start-up refuses missing or development secrets, and passes `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from config import keys

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "p" * 30 + "roduction-secret-key-for-tests-only-0123456789",
    "FIELD_ENCRYPTION_KEYS": f"k2:{keys.new_key()},k1:{keys.new_key()}",
    "BLIND_INDEX_KEY": keys.new_key(),
    "AUDIT_SIGNING_KEY": keys.new_key(),
    "DATABASE_URL": "postgres://tvaers:secret@db.example.org:5432/tvaers",
    "ALLOWED_HOSTS": "tvaers.example.org",
    "REDIS_URL": "redis://redis.example.org:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
}


def run_django(
    env_overrides: Mapping[str, str | None], *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "CELERY_BROKER_URL"
    }
    env.update({k: v for k, v in {**PRODUCTION_ENV, **env_overrides}.items() if v is not None})
    return subprocess.run(
        [sys.executable, "manage.py", *(args or ("check",))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SECRET_KEY", None, "SECRET_KEY is not set"),
        ("SECRET_KEY", keys.DEV_SECRET_KEY, "SECRET_KEY is the development default"),
        ("SECRET_KEY", "short", "SECRET_KEY is too short"),
        ("FIELD_ENCRYPTION_KEYS", None, "FIELD_ENCRYPTION_KEYS is not set"),
        (
            "FIELD_ENCRYPTION_KEYS",
            keys.DEV_FIELD_ENCRYPTION_KEYS,
            "FIELD_ENCRYPTION_KEYS is the development default",
        ),
        (
            "FIELD_ENCRYPTION_KEYS",
            "k1:dG9vLXNob3J0",
            "FIELD_ENCRYPTION_KEYS[k1] must decode to 32 bytes",
        ),
        ("FIELD_ENCRYPTION_KEYS", keys.new_key(), "entries must look like 'id:base64key'"),
        ("BLIND_INDEX_KEY", None, "BLIND_INDEX_KEY is not set"),
        ("BLIND_INDEX_KEY", keys.DEV_BLIND_INDEX_KEY, "BLIND_INDEX_KEY is the development default"),
        ("BLIND_INDEX_KEY", "not base64 !", "BLIND_INDEX_KEY is not valid URL-safe base64"),
        ("AUDIT_SIGNING_KEY", None, "AUDIT_SIGNING_KEY is not set"),
        (
            "AUDIT_SIGNING_KEY",
            keys.DEV_AUDIT_SIGNING_KEY,
            "AUDIT_SIGNING_KEY is the development default",
        ),
        ("DATABASE_URL", None, "DATABASE_URL is not set"),
        ("ALLOWED_HOSTS", None, "ALLOWED_HOSTS is not set"),
    ],
)
def test_production_refuses_to_start_without_a_safe_value(variable, value, message):
    result = run_django({variable: value})

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]], "the refusal is one line, without a traceback"
    assert message in lines[0]
    assert variable in lines[0]


def test_production_refuses_a_keyring_that_still_holds_the_development_key():
    result = run_django(
        {"FIELD_ENCRYPTION_KEYS": f"k2:{keys.new_key()},{keys.DEV_FIELD_ENCRYPTION_KEYS}"}
    )

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS contains the development key" in result.stderr


def test_secret_may_come_from_a_file(tmp_path):
    secret_file = tmp_path / "blind_index_key"
    secret_file.write_text(PRODUCTION_ENV["BLIND_INDEX_KEY"])

    result = run_django({"BLIND_INDEX_KEY": None, "BLIND_INDEX_KEY_FILE": str(secret_file)})

    assert result.returncode == 0, result.stderr


def test_check_deploy_has_no_warnings_with_production_settings():
    result = run_django({}, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_development_mode_starts_with_defaults():
    result = run_django(dict.fromkeys(PRODUCTION_ENV) | {"DEBUG": "1"})

    assert result.returncode == 0, result.stderr


def test_generated_keys_are_accepted():
    output = subprocess.run(
        [sys.executable, "-m", "config.keys"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    generated = dict(line.split("=", 1) for line in output.strip().splitlines())

    assert set(generated) == {
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "BLIND_INDEX_KEY",
        "AUDIT_SIGNING_KEY",
    }
    assert run_django(generated).returncode == 0
