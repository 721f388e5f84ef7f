"""docker-compose.yml is a valid production shape (validated by docker-compose, no engine)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "SECRET_KEY": "s",
    "FIELD_ENCRYPTION_KEYS": "k",
    "BLIND_INDEX_KEY": "b",
    "AUDIT_SIGNING_KEY": "a",
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
