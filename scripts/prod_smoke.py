#!/usr/bin/env python3
"""`make prod-smoke`: the production configuration, run for real as local processes.

Run under scripts/with_services.py (it gives a throwaway PostgreSQL and Redis):

    python scripts/with_services.py -- python scripts/prod_smoke.py

It follows the README's "Running in production" as an operator would: `.env` from
`.env.example`, the keys appended by `python3 -m config.keys`, the operator's values filled in.
Then it runs what docker-compose.yml and the Dockerfile describe, read from those files (so the
two cannot drift apart; tests/platform/test_prod_smoke.py holds the mapping): `migrate` as the
database owner, `collectstatic` as the image build runs it, `createsuperuser --noinput`, then
gunicorn, the worker and exactly one beat, with the compose environment and the secrets given
as `*_FILE` files. Only addresses and paths change (`LOCAL`): the compose service names become
the local PostgreSQL and Redis, the container paths a directory under var/prod-smoke.

Through requests that carry `X-Forwarded-Proto: https`, as the TLS proxy would, it checks the
health endpoint (and compose's own health checks), the HTTPS redirect, the security headers,
the static files (hashed names, compressed), a first login with its second-factor enrolment,
error pages without internals, beat's heartbeat reaching /healthz/ through the worker, and that
stopping and restarting every process loses nothing (the session, the data, the audit chain).

It prints one line per check and, on failure, one line naming what broke (logs are kept in
var/prod-smoke/). Exit status 0 when everything held."""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKDIR = ROOT / "var" / "prod-smoke"
VENV_BIN = Path(sys.executable).parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
# Secrets handed to the processes as NAME_FILE (a file per secret, written as `echo` does).
SECRETS = (
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "BLIND_INDEX_KEY",
    "AUDIT_SIGNING_KEY",
    "DATABASE_URL",
    "EMAIL_URL",
)
HOST = "tvaers.example.dk"  # ALLOWED_HOSTS as the operator fills it in
SUPERUSER_EMAIL = "drift@tvaers.example.dk"
TIMEOUT = 30
HEARTBEAT_WAIT = 150  # beat sends the heartbeat on every minute; the worker writes it


class SmokeFailure(Exception):
    """What broke, in one line."""


# --- what docker-compose.yml and the Dockerfile describe --------------------------------------


@dataclass(frozen=True)
class Step:
    """One process: its argv and environment exactly as compose (or the Dockerfile) gives
    them, before the local addresses and paths are put in."""

    name: str
    argv: list[str]
    environment: dict[str, str]


@functools.cache  # read once per run: every step and health check asks
def compose_file() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


@functools.cache
def dockerfile() -> tuple[dict[str, str], list[str], list[str]]:
    """The Dockerfile's ENV, its collectstatic RUN line (as argv, with its variables first,
    `NAME=value`) and its CMD."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    collect: list[str] = []
    cmd: list[str] = []
    for line in text.splitlines():
        instruction, _, rest = line.strip().partition(" ")
        if instruction == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", rest)))
        elif instruction == "RUN" and "collectstatic" in rest:
            collect = rest.split()
        elif instruction == "CMD":
            cmd = json.loads(rest)
    return env, collect, cmd


def compose_steps() -> dict[str, Step]:
    services = compose_file()["services"]
    steps = {}
    for name in APP_SERVICES:
        service = services[name]
        command = service["command"]
        steps[name] = Step(
            name, list(command), {k: str(v) for k, v in service["environment"].items()}
        )
    return steps


_VARIABLE = re.compile(r"\$\{(\w+)(?:(:\?|:-)([^}]*))?\}")


def interpolate(value: str, dotenv: Mapping[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}` against `.env`."""

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.group(1), match.group(2), match.group(3) or ""
        given = dotenv.get(name, "")
        if kind == ":?" and not given:
            raise SmokeFailure(f".env: {name} is empty ({rest})")
        if kind == ":-" and not given:
            return rest
        return given

    return _VARIABLE.sub(one, value)


# --- local addresses and paths instead of the containers' ---------------------------------------


@dataclass(frozen=True)
class Local:
    """The only differences from the containers: where PostgreSQL, Redis, gunicorn's socket,
    beat's schedule and the static files are."""

    postgres: str  # host:port
    redis: str  # host:port
    web_host: str  # an address of this machine other than loopback (see web_address)
    web_port: int
    directory: Path

    def replacements(self) -> list[tuple[str, str]]:
        return [
            ("@postgres:5432/", f"@{self.postgres}/"),
            ("redis://redis:6379/", f"redis://{self.redis}/"),
            ("0.0.0.0:8000", f"{self.web_host}:{self.web_port}"),
            ("127.0.0.1:8000", f"{self.web_host}:{self.web_port}"),  # compose's health check
            ("/var/lib/tvaers", str(self.directory / "beat")),
            ("/app/staticfiles", str(self.directory / "staticfiles")),
        ]

    def apply(self, value: str) -> str:
        for container, local in self.replacements():
            value = value.replace(container, local)
        return value


# --- the operator's .env ------------------------------------------------------------------------


def operator_dotenv(directory: Path) -> dict[str, str]:
    """README, "Running in production": `cp .env.example .env`, `python3 -m config.keys >>
    .env`, then the operator's own values in the lines left empty or to adapt."""
    dotenv = directory / ".env"
    shutil.copy(ROOT / ".env.example", dotenv)
    keys = subprocess.run(
        [sys.executable, "-m", "config.keys"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with dotenv.open("a") as out:
        out.write(keys)
    filled = {
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "APP_DATABASE_PASSWORD": secrets.token_hex(16),
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"https://{HOST}",
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "EMAIL_URL": "consolemail://",
    }
    lines = dotenv.read_text().splitlines()
    for name, value in filled.items():
        lines = [f"{name}={value}" if line.startswith(f"{name}=") else line for line in lines]
    dotenv.write_text("\n".join(lines) + "\n")
    return read_dotenv(dotenv)


def read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


# --- processes ------------------------------------------------------------------------------


def image_env(local: Local) -> dict[str, str]:
    """What a process in the image has before compose adds anything: the Dockerfile's ENV."""
    image, _, _ = dockerfile()
    return {
        "HOME": str(local.directory),
        "LANG": "C.UTF-8",
        **{name: local.apply(value) for name, value in image.items()},
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",  # the image's /opt/venv/bin comes first
        "PYTHONPATH": str(ROOT),
    }


def process_env(step: Step, dotenv: Mapping[str, str], local: Local) -> dict[str, str]:
    environment = image_env(local)
    for name, value in step.environment.items():
        environment[name] = local.apply(interpolate(value, dotenv))
    secret_dir = local.directory / "secrets" / step.name
    secret_dir.mkdir(parents=True, exist_ok=True)
    for name in SECRETS:
        if name in environment:
            path = secret_dir / name
            path.write_text(environment.pop(name) + "\n")  # as `echo value > file` writes it
            path.chmod(0o600)
            environment[f"{name}_FILE"] = str(path)
    return environment


def local_argv(argv: list[str], local: Local) -> list[str]:
    return [local.apply(part) for part in argv]


def run(name: str, argv: list[str], env: Mapping[str, str], log: Path) -> None:
    with log.open("a") as out:
        done = subprocess.run(argv, cwd=ROOT, env=dict(env), stdout=out, stderr=out, check=False)
    if done.returncode != 0:
        raise SmokeFailure(f"{name} exited with {done.returncode} (see {log})")


@dataclass
class Running:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


def start(name: str, argv: list[str], env: Mapping[str, str], directory: Path) -> Running:
    log = directory / f"{name}.log"
    out = log.open("ab")
    process = subprocess.Popen(
        argv, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    return Running(name, process, log)


def stop(running: Running, timeout: float = 30.0) -> None:
    """SIGTERM, as `docker compose stop` sends; the process must exit by itself."""
    if running.process.poll() is not None:
        raise SmokeFailure(f"{running.name} had already exited ({running.process.returncode})")
    os.killpg(running.process.pid, signal.SIGTERM)
    try:
        running.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(running.process.pid, signal.SIGKILL)
        raise SmokeFailure(
            f"{running.name} did not stop within {timeout:.0f} s of SIGTERM"
        ) from None


def web_address() -> str:
    """Where gunicorn listens and the checks connect: this machine's own non-loopback address.
    gunicorn believes X-Forwarded-Proto from loopback clients by itself (its
    forwarded_allow_ips), which in the container it never sees; from another address only
    Tværs' BEHIND_TLS_PROXY makes the proxy's header count, as in production. No packet is
    sent: connecting a UDP socket only picks the route."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: any routable address will do
            address: str = probe.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    return address


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- the HTTP side, as the TLS proxy forwards it ------------------------------------------------


class Browser:
    def __init__(self, host: str, port: int) -> None:
        self.base = f"http://{host}:{port}"
        self.http = requests.Session()
        self.http.headers.update(
            {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.10"}
        )

    def cookies(self) -> dict[str, str]:
        """The proxy speaks HTTPS to the browser and HTTP to gunicorn: the cookies marked
        Secure go along, as the browser sends them over HTTPS (requests would hold them back
        on a plain-HTTP URL)."""
        return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)}

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> requests.Response:
        return self.http.get(
            self.base + path,
            headers={**self.cookies(), **(headers or {})},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def post(self, path: str, data: Mapping[str, str]) -> requests.Response:
        page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if token is None:
            raise SmokeFailure(f"{path}: no CSRF token in the form ({page.status_code})")
        return self.http.post(
            self.base + path,
            data={"csrfmiddlewaretoken": token.group(1), **data},
            headers={
                **self.cookies(),
                "Origin": f"https://{HOST}",
                "Referer": f"https://{HOST}{path}",
            },
            allow_redirects=False,
            timeout=TIMEOUT,
        )


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def wait_until(check: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise SmokeFailure(message)


def health(browser: Browser) -> dict[str, Any]:
    answer = browser.get("/healthz/")
    expect(answer.status_code == 200, f"/healthz/ answered {answer.status_code}")
    body: dict[str, Any] = answer.json()
    expect(body.get("database") == "ok", f"/healthz/ says database {body.get('database')!r}")
    return body


SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=",
    "Content-Security-Policy": "default-src",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "",
}
INTERNALS = ("Traceback", "django.", "/work/", "site-packages", "SECRET_KEY", "DEBUG", 'File "')


def check_transport_and_headers(browser: Browser) -> None:
    plain = requests.get(
        f"{browser.base}/konto/log-ind/",
        headers={"Host": HOST},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    expect(
        plain.status_code == 301 and plain.headers.get("Location", "").startswith("https://"),
        f"plain HTTP was not redirected to HTTPS ({plain.status_code})",
    )
    page = browser.get("/konto/log-ind/")
    expect(page.status_code == 200, f"the login page answered {page.status_code}")
    for name, part in SECURITY_HEADERS.items():
        expect(part in page.headers.get(name, "\0"), f"header {name} missing or wrong")
    cookies = page.headers.get("Set-Cookie", "")
    expect("Secure" in cookies, "the CSRF cookie is not marked Secure")


def check_static(browser: Browser) -> None:
    page = browser.get("/konto/log-ind/").text
    paths = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', page)))
    expect(bool(paths), "the login page links no static CSS or JavaScript")
    for path in paths:
        expect(
            re.search(r"\.[0-9a-f]{12}\.(css|js)$", path) is not None,
            f"static file without a hashed name: {path}",
        )
        answer = browser.get(path, headers={"Accept-Encoding": "gzip"})
        expect(answer.status_code == 200, f"{path} answered {answer.status_code}")
        expect(answer.headers.get("Content-Encoding") == "gzip", f"{path} is not served compressed")
        expect("immutable" in answer.headers.get("Cache-Control", ""), f"{path} is not cached")


def totp_now(secret_base32: str) -> str:
    from base64 import b32decode

    from django_otp.oath import TOTP

    padded = secret_base32 + "=" * (-len(secret_base32) % 8)
    code = TOTP(b32decode(padded.upper()), step=30, digits=6)
    code.time = time.time()
    return f"{code.token():06d}"


def first_login(browser: Browser, email: str, password: str) -> None:
    """Password, then the second factor's enrolment (a fresh account has none yet)."""
    answer = browser.post("/konto/log-ind/", {"username": email, "password": password})
    expect(answer.status_code == 302, f"login of {email} answered {answer.status_code}")
    enrol = browser.get("/konto/log-ind/totrin/")
    expect(enrol.status_code == 200, f"enrolment page answered {enrol.status_code}")
    # The key for typing in, in groups of four, as a person reads it off the page.
    found = re.search(r'class="otp-secret">([A-Z2-7 ]+)<', enrol.text)
    expect(found is not None, "the enrolment page shows no key to type in")
    assert found is not None  # noqa: S101 - for mypy, expect() raised otherwise
    code = totp_now(found.group(1).replace(" ", ""))
    done = browser.post("/konto/log-ind/totrin/", {"code": code})
    expect(done.status_code == 200, f"enrolment with a valid code answered {done.status_code}")
    start_page = browser.get("/")
    expect(start_page.status_code == 200, f"the start page answered {start_page.status_code}")


def created_user_login(
    planned: Mapping[str, tuple[list[str], dict[str, str]]], local: Local
) -> None:
    """The README's command for further users, run in the web service's environment, then
    that user's first login."""
    email, password = "drift2@tvaers.example.dk", secrets.token_urlsafe(18)
    run(
        "create_user",
        [
            "python", "manage.py", "create_user", email, "--name", "Anden Drift",
            "--role", "admin", "--password-env", "NEW_USER_PASSWORD",
        ],
        {**planned["web"][1], "NEW_USER_PASSWORD": password},
        local.directory / "setup.log",
    )  # fmt: skip
    first_login(Browser(local.web_host, local.web_port), email, password)


def check_error_pages(browser: Browser) -> None:
    missing = browser.get("/findes-ikke/")
    expect(missing.status_code == 404, f"an unknown page answered {missing.status_code}")
    bad_host = requests.get(
        f"{browser.base}/konto/log-ind/",
        headers={"Host": "angriber.example.com", "X-Forwarded-Proto": "https"},
        timeout=TIMEOUT,
    )
    expect(bad_host.status_code == 400, f"an unknown host answered {bad_host.status_code}")
    for answer in (missing, bad_host):
        leaked = [word for word in INTERNALS if word in answer.text]
        expect(not leaked, f"error page {answer.status_code} shows internals: {leaked}")


def heartbeat_after(
    browser: Browser,
    since: float,
    failure: str = "beat's heartbeat did not reach /healthz/ through the worker",
) -> None:
    def fresh() -> bool:
        seen = health(browser).get("worker_last_seen")
        if not seen:
            return False
        from datetime import datetime

        return datetime.fromisoformat(seen).timestamp() >= since

    wait_until(fresh, HEARTBEAT_WAIT, failure)


# --- the run ------------------------------------------------------------------------------------


def database_setup(server: str, dotenv: Mapping[str, str]) -> None:
    """What the postgres image does with POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB: the
    owner role `tvaers` (a superuser there, as with_services' own) owning the `tvaers`
    database, with the operator's password."""
    psql = Path(os.environ.get("PG_BINDIR", "/usr/bin")) / "psql"
    password = dotenv["POSTGRES_PASSWORD"]
    exists = subprocess.run(
        [str(psql), f"{server}/postgres", "-tAc", "SELECT 1 FROM pg_roles WHERE rolname='tvaers'"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    verb = "ALTER" if exists else "CREATE"
    for statement in (
        f"{verb} ROLE tvaers SUPERUSER LOGIN PASSWORD '{password}'",  # our own hex
        "ALTER DATABASE tvaers OWNER TO tvaers",
    ):
        done = subprocess.run(
            [str(psql), f"{server}/postgres", "-qc", statement], capture_output=True, check=False
        )
        expect(done.returncode == 0, f"database set-up failed: {done.stderr.decode()[-200:]}")


def plan(local: Local, dotenv: Mapping[str, str]) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Every process of the run: compose's services and the image's collectstatic, local."""
    steps = compose_steps()
    planned = {
        name: (local_argv(step.argv, local), process_env(step, dotenv, local))
        for name, step in steps.items()
    }
    _, collect, _ = dockerfile()
    assignments = dict(part.split("=", 1) for part in collect if re.match(r"^[A-Z_]+=", part))
    command = [part for part in collect if not re.match(r"^[A-Z_]+=", part)]
    # The image build has no runtime environment: only the image's ENV and the RUN line's own.
    build_env = {**image_env(local), **{k: local.apply(v) for k, v in assignments.items()}}
    planned["collectstatic"] = (local_argv(command, local), build_env)
    return planned


@contextmanager
def services(
    planned: Mapping[str, tuple[list[str], dict[str, str]]], directory: Path
) -> Iterator[dict[str, Running]]:
    running = {name: start(name, *planned[name], directory) for name in ("web", "worker", "beat")}
    try:
        yield running
    finally:
        for process in running.values():
            if process.process.poll() is None:
                os.killpg(process.process.pid, signal.SIGKILL)
                process.process.wait()


def _pings(
    planned: Mapping[str, tuple[list[str], dict[str, str]]], local: Local, name: str
) -> bool:
    try:
        compose_health_check(name, planned, local)
    except SmokeFailure:
        return False
    return True


def compose_health_check(
    name: str, planned: Mapping[str, tuple[list[str], dict[str, str]]], local: Local
) -> None:
    """The service's own health check from docker-compose.yml, run as compose runs it."""
    test = compose_file()["services"][name]["healthcheck"]["test"]
    _, env = planned[name]
    hostname = socket.gethostname()
    if test[0] == "CMD":
        command = local_argv(test[1:], local)
    else:  # CMD-SHELL, with compose's `$$` for a literal `$`
        command = ["sh", "-c", local.apply(test[1].replace("$$HOSTNAME", hostname))]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env={**env, "HOSTNAME": hostname},
        capture_output=True,
        text=True,
        check=False,
    )
    expect(
        done.returncode == 0,
        f"compose's health check of {name} failed: {done.stdout[-200:]}{done.stderr[-200:]}",
    )


def health_checks(
    browser: Browser,
    planned: Mapping[str, tuple[list[str], dict[str, str]]],
    local: Local,
    names: tuple[str, ...],
) -> None:
    health(browser)
    for name in names:
        compose_health_check(name, planned, local)


def main() -> int:
    database_url = os.environ["DATABASE_URL"]
    redis_url = os.environ["REDIS_URL"]
    server = database_url.rsplit("/", 1)[0]
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir(parents=True)
    (WORKDIR / "beat").mkdir()
    local = Local(
        postgres=urlsplit(database_url).netloc.split("@")[-1],
        redis=urlsplit(redis_url).netloc,
        web_host=web_address(),
        web_port=free_port(),
        directory=WORKDIR,
    )
    if local.web_host.startswith("127."):
        print(
            "prod-smoke: note: no address besides loopback; gunicorn itself trusts the proxy header"
        )
    try:
        dotenv = operator_dotenv(WORKDIR)
        database_setup(server, dotenv)
        planned = plan(local, dotenv)
        log = WORKDIR / "setup.log"
        run("migrate", *planned["migrate"], log)
        print("prod-smoke: ok  migrate as the owner, then grant_app_role", flush=True)
        run("collectstatic", *planned["collectstatic"], log)
        print("prod-smoke: ok  collectstatic as the image build runs it", flush=True)
        password = secrets.token_urlsafe(18)
        web_env = planned["web"][1]
        run(
            "createsuperuser",
            ["python", "manage.py", "createsuperuser", "--noinput"],
            {
                **web_env,
                "DJANGO_SUPERUSER_EMAIL": SUPERUSER_EMAIL,
                "DJANGO_SUPERUSER_FULL_NAME": "Drift Tværs",
                "DJANGO_SUPERUSER_PASSWORD": password,
            },
            log,
        )
        print("prod-smoke: ok  createsuperuser --noinput", flush=True)
        browser = Browser(local.web_host, local.web_port)
        started = time.time()
        with services(planned, WORKDIR) as running:
            wait_until(
                lambda: health(browser) is not None, 60, "web did not answer /healthz/ within 60 s"
            )
            checks: list[tuple[str, Callable[[], None]]] = [
                (
                    "health endpoint and compose's web health check",
                    lambda: health_checks(browser, planned, local, ("web",)),
                ),
                (
                    "HTTPS redirect and security headers",
                    lambda: check_transport_and_headers(browser),
                ),
                ("static files hashed and compressed", lambda: check_static(browser)),
                (
                    "first login with second-factor enrolment",
                    lambda: first_login(browser, SUPERUSER_EMAIL, password),
                ),
                (
                    "a user made by manage.py create_user logs in",
                    lambda: created_user_login(planned, local),
                ),
                ("error pages without internals", lambda: check_error_pages(browser)),
                ("beat's heartbeat through the worker", lambda: heartbeat_after(browser, started)),
                (
                    "compose's worker and beat health checks",
                    lambda: health_checks(browser, planned, local, ("worker", "beat")),
                ),
            ]
            for label, check in checks:
                check()
                print(f"prod-smoke: ok  {label}", flush=True)
            for process in running.values():
                stop(process)
            # Work queued while every process is down is done once they are back: a task sent
            # to the stopped worker, before beat (which would send the same) returns.
            queued = time.time()
            run(
                "celery call",
                ["celery", "-A", "config", "call", "core.tasks.record_worker_heartbeat"],
                planned["web"][1],
                WORKDIR / "setup.log",
            )
            running.update(
                {name: start(name, *planned[name], WORKDIR) for name in ("web", "worker")}
            )
            wait_until(
                lambda: health(browser) is not None, 60, "web did not come back after the restart"
            )
            again = browser.get("/")
            expect(
                again.status_code == 200,
                f"the session did not survive the restart ({again.status_code})",
            )
            heartbeat_after(browser, queued, "a task queued while the worker was down was lost")
            running["beat"] = start("beat", *planned["beat"], WORKDIR)
            wait_until(
                lambda: _pings(planned, local, "beat"),
                60,
                "beat did not come back after the restart",
            )
            run(
                "audit_verify",
                ["python", "manage.py", "audit_verify"],
                planned["web"][1],
                WORKDIR / "setup.log",
            )
            print(
                "prod-smoke: ok  every process stopped and restarted: session, queued work, beat and audit chain intact",
                flush=True,
            )
            for process in running.values():
                stop(process)
    except SmokeFailure as failure:
        print(f"prod-smoke: FAILED: {failure}", flush=True)
        return 1
    print(f"prod-smoke: passed (logs in {WORKDIR.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
