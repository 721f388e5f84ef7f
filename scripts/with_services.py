#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL cluster and Redis server on loopback.

    python scripts/with_services.py -- pytest ...

Both live in a temporary directory on free ports and are torn down afterwards, whatever the
command's outcome. The command gets DATABASE_URL, REDIS_URL and PG_BINDIR, for the
plaintext canaries PG_LOG (the server's log) and REDIS_DIR (where a Redis SAVE writes
dump.rdb), and for the fault drills PG_DATA (the cluster's directory, for pg_ctl). Missing
server binaries (and Chromium, for tests/e2e) are installed with apt-get when running as root
(CI); otherwise one line says what to install. PostgreSQL refuses to run as root, so as root
the cluster belongs to `postgres`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

APT_PACKAGES = {
    "postgresql": "postgresql",
    "redis-server": "redis-server",
    "docker-compose": "docker-compose",
    "chromium": "chromium",  # the end-to-end tests (tests/e2e) drive it through Playwright
}
IS_ROOT = os.geteuid() == 0
CHROMIUM = "/usr/bin/chromium"  # Debian's build; tests/e2e launch it by this path


def postgres_bindir() -> Path | None:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    if candidates:
        return Path(candidates[-1])
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing_tools() -> list[str]:
    missing = []
    if postgres_bindir() is None:
        missing.append("postgresql")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if shutil.which("docker-compose") is None:
        missing.append("docker-compose")
    if not Path(CHROMIUM).exists():
        missing.append("chromium")
    return missing


def ensure_tools() -> Path:
    """Install what is missing where we may; return PostgreSQL's bin directory."""
    missing = missing_tools()
    if missing and IS_ROOT and shutil.which("apt-get"):
        print(f"with_services: installing {' '.join(missing)} with apt-get", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *(APT_PACKAGES[m] for m in missing)],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        missing = missing_tools()
    bindir = postgres_bindir()
    if missing or bindir is None:
        sys.exit(f"make test needs these installed first: {' '.join(missing)}")
    return bindir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if IS_ROOT else cmd


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


@contextlib.contextmanager
def postgres(workdir: Path, bindir: Path) -> Iterator[str]:
    pgdata, sockets = workdir / "pgdata", workdir / "sockets"
    sockets.mkdir()
    if IS_ROOT:
        shutil.chown(workdir, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    subprocess.run(
        as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                "tvaers",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
        # Statements are logged only where a session asks (SET log_statement, as the canary
        # test does): logging the whole suite's statements would cost time and disk.
        "-c log_statement=none"
    )
    subprocess.run(
        as_postgres(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(pgdata),
                "-o",
                options,
                "-l",
                str(workdir / "postgres.log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"postgres://tvaers@127.0.0.1:{port}/tvaers"
    finally:
        subprocess.run(
            as_postgres([str(bindir / "pg_ctl"), "-D", str(pgdata), "-m", "immediate", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
        )


def redis_command(port: int, workdir: Path) -> list[str]:
    """A throwaway Redis on loopback (the fault drills start it again on the same port)."""
    return [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
        "--maxmemory-policy",
        "noeviction",
    ]


@contextlib.contextmanager
def redis(workdir: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(redis_command(port, workdir), stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        sys.exit("usage: with_services.py -- COMMAND [ARGS...]")
    bindir = ensure_tools()
    # SIGTERM (e.g. CI's time limit) unwinds through the finally blocks like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    workdir = Path(tempfile.mkdtemp(prefix="tvaers-services-"))
    if IS_ROOT:
        workdir.chmod(0o755)  # let `postgres` reach its own subdirectory
    try:
        (workdir / "pg").mkdir()
        (workdir / "redis").mkdir()
        with (
            postgres(workdir / "pg", bindir) as database_url,
            redis(workdir / "redis") as redis_url,
        ):
            server_url = database_url.rsplit("/", 1)[0]
            subprocess.run(
                [str(bindir / "psql"), f"{server_url}/postgres", "-qc", "CREATE DATABASE tvaers"],
                check=True,
            )
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "CELERY_BROKER_URL": redis_url,
                "PG_BINDIR": str(bindir),
                "PG_LOG": str(workdir / "pg" / "postgres.log"),
                # The cluster's directory, for `pg_ctl restart` (the fault drills).
                "PG_DATA": str(workdir / "pg" / "pgdata"),
                "REDIS_DIR": str(workdir / "redis"),
                # Development keys are acceptable for throwaway data; production refusal is
                # tested separately in subprocesses.
                "DEBUG": "1",
            }
            return subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
