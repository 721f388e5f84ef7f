"""Production start-up refuses missing or development secrets, and passes `check --deploy`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from config import keys
from core import crypto

ROOT = Path(__file__).resolve().parents[2]


def public_key(seed: str) -> str:
    return crypto.public_key_of(keys.decode_key(seed, name="seed"))


AUDIT_SIGNING_KEY = keys.new_key()
# The signer's environment (beat); the other processes have no AUDIT_SIGNER / AUDIT_SIGNING_KEY.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "p" * 30 + "roduction-secret-key-for-tests-only-0123456789",
    "FIELD_ENCRYPTION_KEYS": f"k2:{keys.new_key()},k1:{keys.new_key()}",
    "BLIND_INDEX_KEY": keys.new_key(),
    "AUDIT_SIGNER": "1",
    "AUDIT_SIGNING_KEY": AUDIT_SIGNING_KEY,
    "AUDIT_PUBLIC_KEY": public_key(AUDIT_SIGNING_KEY),
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
        ("AUDIT_PUBLIC_KEY", None, "AUDIT_PUBLIC_KEY is not set"),
        ("AUDIT_PUBLIC_KEY", "not base64 !", "AUDIT_PUBLIC_KEY is not valid URL-safe base64"),
        (
            "AUDIT_PUBLIC_KEY",
            public_key(keys.new_key()),
            "AUDIT_PUBLIC_KEY does not hold the public half of AUDIT_SIGNING_KEY",
        ),
        ("DATABASE_URL", None, "DATABASE_URL is not set"),
        ("ALLOWED_HOSTS", None, "ALLOWED_HOSTS is not set"),
        # HTTPS protection switched off without ALLOW_INSECURE_TRANSPORT=1
        ("SECURE_COOKIES", "0", "SECURE_COOKIES is off; HTTPS protection may be dropped only with"),
        (
            "SECURE_SSL_REDIRECT",
            "0",
            "SECURE_SSL_REDIRECT is off; HTTPS protection may be dropped only with",
        ),
        (
            "SECURE_HSTS_SECONDS",
            "0",
            "SECURE_HSTS_SECONDS is off; HTTPS protection may be dropped only with",
        ),
        ("SESSION_IDLE_MINUTES", "0", "SESSION_IDLE_MINUTES and SESSION_MAX_HOURS must be 1"),
        ("SESSION_MAX_HOURS", "0", "SESSION_IDLE_MINUTES and SESSION_MAX_HOURS must be 1"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be json or text"),
    ],
)
def test_production_refuses_to_start_without_a_safe_value(variable, value, message):
    result = run_django({variable: value})

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]], "the refusal is one line, without a traceback"
    assert message in lines[0]
    assert variable in lines[0]


NOT_SIGNING = {"AUDIT_SIGNER": None, "AUDIT_SIGNING_KEY": None}


def test_processes_that_do_not_sign_start_without_the_signing_key():
    result = run_django(NOT_SIGNING)

    assert result.returncode == 0, result.stderr


def test_a_process_that_does_not_sign_refuses_to_hold_the_signing_key():
    result = run_django({"AUDIT_SIGNER": None})

    assert result.returncode != 0
    assert result.stderr.strip() == (
        "Tværs will not start: AUDIT_SIGNING_KEY is set in a process that does not sign; "
        "only beat holds it (with AUDIT_SIGNER=1)."
    )


def test_production_refuses_the_development_public_key():
    dev_public = public_key(keys.DEV_AUDIT_SIGNING_KEY)

    result = run_django({**NOT_SIGNING, "AUDIT_PUBLIC_KEY": dev_public})

    assert result.returncode != 0
    assert "AUDIT_PUBLIC_KEY holds the development key's public half" in result.stderr


def test_public_keys_after_a_rotation_are_accepted():
    rotated = f"{public_key(AUDIT_SIGNING_KEY)}, {public_key(keys.new_key())}"

    assert run_django({"AUDIT_PUBLIC_KEY": rotated}).returncode == 0


def test_development_mode_verifies_with_the_development_key():
    result = run_django(
        dict.fromkeys(PRODUCTION_ENV) | {"DEBUG": "1"},
        "shell",
        "-c",
        "from django.conf import settings; print(settings.AUDIT_PUBLIC_KEYS)",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str([public_key(keys.DEV_AUDIT_SIGNING_KEY)])


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


def test_secret_files_may_end_with_a_newline(tmp_path):
    """As `echo value > file` writes them (issue 14): the database URL and the hosts would not
    parse with the newline, the keys would be other keys."""
    given = {
        name: PRODUCTION_ENV[name]
        for name in ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "BLIND_INDEX_KEY")
    }
    overrides: dict[str, str | None] = {}
    for name, value in given.items():
        (tmp_path / name).write_text(value + "\n")
        overrides |= {name: None, f"{name}_FILE": str(tmp_path / name)}
    shown = "from django.conf import settings as s; print(repr((s.SECRET_KEY, s.ALLOWED_HOSTS, s.DATABASES['default']['NAME'])))"

    result = run_django(overrides, "shell", "-c", shown)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == repr(
        (given["SECRET_KEY"], ["tvaers.example.org"], "tvaers")
    )


def test_check_deploy_has_no_warnings_with_production_settings():
    result = run_django({}, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_development_mode_starts_with_defaults():
    result = run_django(dict.fromkeys(PRODUCTION_ENV) | {"DEBUG": "1"})

    assert result.returncode == 0, result.stderr


def test_generated_keys_are_accepted():
    """On a fresh checkout with no environment at all (issue 14: it used to need DEBUG), the
    keys and the signing key's public half, as NAME=value lines and nothing else."""
    result = subprocess.run(
        [sys.executable, "-m", "config.keys"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stderr == ""
    lines = result.stdout.strip().splitlines()
    assert all(re.fullmatch(r"[A-Z_]+=\S+", line) for line in lines), lines
    generated = dict(line.split("=", 1) for line in lines)

    assert list(generated) == [
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "BLIND_INDEX_KEY",
        "AUDIT_SIGNING_KEY",
        "AUDIT_PUBLIC_KEY",
    ]
    public = subprocess.run(
        [sys.executable, "scripts/audit_public_key.py"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "AUDIT_SIGNING_KEY": generated["AUDIT_SIGNING_KEY"]},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert public.strip() == f"AUDIT_PUBLIC_KEY={generated['AUDIT_PUBLIC_KEY']}"
    assert run_django(generated).returncode == 0


def test_https_protection_may_be_switched_off_only_explicitly():
    insecure = {"SECURE_COOKIES": "0", "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0"}

    assert run_django(insecure).returncode != 0
    result = run_django({**insecure, "ALLOW_INSECURE_TRANSPORT": "1"})

    assert result.returncode == 0, result.stderr


PRINT_SECURITY_SETTINGS = (
    "from django.conf import settings as s; import json; print(json.dumps({k: getattr(s, k) for k"
    " in ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT',"
    " 'SECURE_HSTS_SECONDS', 'SESSION_IDLE_MINUTES', 'SESSION_MAX_HOURS', 'LOG_FORMAT']}))"
)


def test_production_defaults_are_https_only_with_short_sessions_and_json_logs():
    result = run_django({}, "shell", "-c", PRINT_SECURITY_SETTINGS)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SESSION_IDLE_MINUTES": 30,
        "SESSION_MAX_HOURS": 10,
        "LOG_FORMAT": "json",
    }


def test_production_logs_are_one_json_object_per_line():
    result = run_django(
        {}, "shell", "-c", "import logging; logging.getLogger('tvaers.test').warning('hej')"
    )

    assert result.returncode == 0, result.stderr
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["message"] == "hej"
    assert record["level"] == "WARNING"
    assert record["logger"] == "tvaers.test"
    assert record["request_id"] == "-"
