"""docker-compose.yml is a valid production shape (validated by docker-compose, no engine)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "SECRET_KEY": "s",
    "FIELD_ENCRYPTION_KEYS": "k",
    "BLIND_INDEX_KEY": "b",
    "AUDIT_SIGNING_KEY": "a",
    "AUDIT_PUBLIC_KEY": "pub",
    "APP_DATABASE_PASSWORD": "app",
    "SITE_URL": "https://tvaers.example.dk",
    "POSTGRES_PASSWORD": "p",
    "ALLOWED_HOSTS": "tvaers.example.dk",
    "EMAIL_URL": "smtp://mail.example.dk",
}


def compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in REQUIRED}
    return subprocess.run(
        [
            "docker-compose",
            "--project-directory",
            str(ROOT),
            "-f",
            str(ROOT / "docker-compose.yml"),
            *args,
        ],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_compose_file_validates_with_the_production_services():
    result = compose("config", "--services", env=REQUIRED)

    assert result.returncode == 0, result.stderr
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(result.stdout.split())


def test_compose_file_has_named_volumes_health_checks_and_one_beat():
    rendered = compose("config", env=REQUIRED)

    assert rendered.returncode == 0, rendered.stderr
    volumes = compose("config", "--volumes", env=REQUIRED).stdout.split()
    assert {"postgres-data", "redis-data"} <= set(volumes)
    assert rendered.stdout.count("healthcheck:") >= 4
    assert "noeviction" in rendered.stdout
    assert "gunicorn" in rendered.stdout
    assert "replicas" not in rendered.stdout


def test_compose_refuses_to_render_without_secrets():
    result = compose("config", "-q", env={k: v for k, v in REQUIRED.items() if k != "SECRET_KEY"})

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def services() -> dict[str, Any]:
    rendered = compose("config", env=REQUIRED)
    assert rendered.returncode == 0, rendered.stderr
    parsed: dict[str, Any] = yaml.safe_load(rendered.stdout)["services"]
    return parsed


def test_only_beat_holds_the_signing_key_and_only_it_consumes_the_audit_queue():
    parsed = services()

    holders = {
        name for name, s in parsed.items() if "AUDIT_SIGNING_KEY" in s.get("environment", {})
    }
    assert holders == {"beat"}
    assert parsed["beat"]["environment"]["AUDIT_SIGNER"] == "1"
    for name in ("migrate", "web", "worker", "beat"):
        assert parsed[name]["environment"]["AUDIT_PUBLIC_KEY"] == "pub", name
    beat, worker = parsed["beat"]["command"], parsed["worker"]["command"]
    assert beat[beat.index("-Q") + 1] == "audit"
    assert "--beat" in beat
    assert worker[worker.index("-Q") + 1] == "celery"


def test_migrations_run_as_the_owner_and_the_services_as_the_application_role():
    parsed = services()

    migrate = parsed["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://tvaers:p@")
    script = " ".join(migrate["command"])
    assert script.index("migrate --no-input") < script.index("grant_app_role tvaers_app")
    for name in ("web", "worker", "beat"):
        assert parsed[name]["environment"]["DATABASE_URL"].startswith(
            "postgres://tvaers_app:app@"
        ), name


def test_compose_refuses_to_render_without_the_audit_public_key():
    result = compose(
        "config", "-q", env={k: v for k, v in REQUIRED.items() if k != "AUDIT_PUBLIC_KEY"}
    )

    assert result.returncode != 0
    assert "AUDIT_PUBLIC_KEY" in result.stderr


def test_env_example_names_every_variable_the_compose_file_reads():
    """An operator fills .env from .env.example: every `${NAME}` docker-compose.yml reads is
    there, as a line to fill (`NAME=` or `# NAME=`) or among the keys `python -m config.keys`
    appends (named in its comment). Nothing is filled with a real secret."""
    compose_text = (ROOT / "docker-compose.yml").read_text()
    example = (ROOT / ".env.example").read_text()
    read = set(re.findall(r"\$\{([A-Z_]+)", compose_text))
    listed = set(re.findall(r"^(?:# )?([A-Z_]+)=", example, re.MULTILINE))
    from_keys = set(re.findall(r"^#\s+([A-Z_]+)\s{2,}", example, re.MULTILINE))

    assert read - listed - from_keys == set()
    assert from_keys == {
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "BLIND_INDEX_KEY",
        "AUDIT_SIGNING_KEY",
        "AUDIT_PUBLIC_KEY",
    }
    # The passwords are left empty for the operator; no line carries a value that could be
    # mistaken for a usable secret.
    assert re.search(r"^POSTGRES_PASSWORD=$", example, re.MULTILINE)
    assert re.search(r"^APP_DATABASE_PASSWORD=$", example, re.MULTILINE)
