"""The processes `make bench` runs beside with_services' PostgreSQL and Redis: a database per
scale, gunicorn and a Celery worker with beat, all with production settings (DEBUG off) and
fresh keys, on loopback. Each is started in its own process group and stopped by its id."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
SETTINGS = "config.settings_bench"


def ensure_wrk() -> None:
    """Install Debian's wrk when missing and allowed (root with apt-get), as with_services
    does for its servers; otherwise say what to install."""
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: installing wrk with apt-get", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True)  # noqa: S607 - apt-get on PATH
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)  # noqa: S607
    if not shutil.which("wrk"):
        sys.exit("make bench needs wrk (Debian: apt-get install wrk)")


def generate_keys() -> dict[str, str]:
    """Fresh production keys and the signing key's public half, as config.keys prints them."""
    printed = subprocess.run(  # noqa: S603 - our own module
        [PYTHON, "-W", "ignore", "-m", "config.keys"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return dict(line.split("=", 1) for line in printed.splitlines() if "=" in line)


def production_env(
    keys: Mapping[str, str], database_url: str, *, signer: bool = False
) -> dict[str, str]:
    """What the web process gets in production, minus TLS (plain HTTP on loopback) and with
    the bench settings. Only the signer (beat) holds the audit signing key."""
    env = {
        **os.environ,
        **{name: value for name, value in keys.items() if name != "AUDIT_SIGNING_KEY"},
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ALLOW_INSECURE_TRANSPORT": "1",
        "SECURE_COOKIES": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "EMAIL_URL": "dummymail://",
        "STATIC_ROOT": str(ROOT / "var" / "bench" / "static"),
        "PYTHONPATH": str(ROOT),
    }
    if signer:
        env.update(AUDIT_SIGNER="1", AUDIT_SIGNING_KEY=keys["AUDIT_SIGNING_KEY"])
    return env


def development_env(keys: Mapping[str, str], database_url: str) -> dict[str, str]:
    """For the seeders, which refuse DEBUG off: the same keys, so the web process can decrypt
    what they wrote."""
    return {
        **production_env(keys, database_url, signer=True),
        "DEBUG": "1",
        "AUDIT_SIGNER": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


def quiet(env: Mapping[str, str]) -> dict[str, str]:
    """For the harness's own Django processes: no start-up log lines on the terminal (the
    web server keeps production's request log, in var/bench/gunicorn.log)."""
    return {**env, "LOG_LEVEL": "WARNING"}


def manage(env: Mapping[str, str], *args: str) -> float:
    """Run a management command; returns its seconds."""
    start = time.monotonic()
    subprocess.run(  # noqa: S603 - our own manage.py
        [PYTHON, "manage.py", *args], check=True, cwd=ROOT, env=quiet(env)
    )
    return round(time.monotonic() - start, 1)


def _psql(server_url: str, statement: str) -> None:
    psql = Path(os.environ.get("PG_BINDIR", "/usr/bin")) / "psql"
    subprocess.run(  # noqa: S603 - PostgreSQL's client, with names built by the harness
        [str(psql), f"{server_url}/postgres", "-qc", statement], check=True
    )


@contextlib.contextmanager
def fresh_database(server_url: str, name: str) -> Iterator[str]:
    """An empty database on with_services' cluster for one scale, dropped afterwards (a
    national one takes gigabytes); yields its URL."""
    _psql(server_url, f'DROP DATABASE IF EXISTS "{name}"')
    _psql(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        _psql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(command: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the last run's log only
        return subprocess.Popen(  # noqa: S603 - our own venv's programs
            command,
            cwd=ROOT,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM to the process's own group (gunicorn's or Celery's children too), then KILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)


def wait_healthy(base_url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn stopped while starting; see var/bench/gunicorn.log")
        with contextlib.suppress(requests.RequestException):
            if requests.get(base_url + "/healthz/", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer /healthz/ within {timeout:.0f} s")


@contextlib.contextmanager
def gunicorn(env: Mapping[str, str], workers: int, threads: int, logdir: Path) -> Iterator[str]:
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--worker-class=gthread",
        "--keep-alive=30",
        "--timeout=60",
    ]
    process = _start(command, env, logdir / "gunicorn.log")
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, process)
        yield base_url
    finally:
        stop(process)


@contextlib.contextmanager
def celery(env: Mapping[str, str], logdir: Path) -> Iterator[None]:
    """A worker with embedded beat on both queues: the audit sequencer runs during the load."""
    schedule = logdir / "celerybeat-schedule"
    command = [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "-B",
        "--pool=solo",
        "--loglevel=WARNING",
        f"--schedule={schedule}",
    ]
    process = _start(command, env, logdir / "celery.log")
    try:
        yield
    finally:
        stop(process)


@contextlib.contextmanager
def probe_running(env: Mapping[str, str], *args: str) -> Iterator[subprocess.Popen[str]]:
    """bench/probe.py in the background (the backlog poller); stopped with SIGTERM."""
    process = subprocess.Popen(  # noqa: S603 - our own script
        [PYTHON, str(ROOT / "bench" / "probe.py"), *args],
        cwd=ROOT,
        env=quiet(env),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)


def probe(env: Mapping[str, str], *args: str) -> str:
    return subprocess.run(  # noqa: S603 - our own script
        [PYTHON, str(ROOT / "bench" / "probe.py"), *args],
        check=True,
        cwd=ROOT,
        env=quiet(env),
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
