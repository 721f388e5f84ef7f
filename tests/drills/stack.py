"""The running system the fault drills break: the PostgreSQL cluster of scripts/with_services.py
(restarted with pg_ctl), a Redis of the drills' own (killed and started again on its port),
gunicorn on loopback and Celery workers, all real processes with the development settings
(DEBUG off in the web process: tests/drills/wsgi.py), and users logged in over HTTP with
password and TOTP code."""

from __future__ import annotations

import contextlib
import email
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from types import ModuleType
from typing import Any

import requests

from accounts.demo import DEMO_PASSWORD, demo_totp_key
from bench.login import csrf_token as csrf_token  # re-exported for the drills

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HTTP_TIMEOUT = 20


def _with_services() -> ModuleType:
    """scripts/with_services.py (a script, not a package): its port and Redis helpers."""
    spec = importlib.util.spec_from_file_location(
        "with_services", ROOT / "scripts" / "with_services.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


services = _with_services()


def say(message: str) -> None:
    """What a drill does and checks, as it happens (make drills runs pytest with -s)."""
    print(f"[drill {time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def _stop(process: subprocess.Popen[bytes] | None, timeout: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def totp_code() -> str:
    """The demo users' current second-factor code (seed_demo's published secret)."""
    from django_otp.oath import TOTP

    return f"{TOTP(bytes.fromhex(demo_totp_key())).token():06d}"


@dataclass(eq=False)
class Browser:
    """One user's HTTP session against gunicorn (cookies, CSRF), like a browser."""

    base: str
    email: str
    session: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        return self.session.get(self.url(path), **kwargs)

    def post_form(self, path: str, data: dict[str, Any], **kwargs: Any) -> requests.Response:
        """POST a form as the page would: the CSRF token of the page's own GET first."""
        page = self.get(path)
        assert page.status_code == 200, f"GET {path} answered {page.status_code}"
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        return self.session.post(
            self.url(path),
            data={"csrfmiddlewaretoken": csrf_token(page.text), **data},
            headers={"Referer": self.url(path)},
            **kwargs,
        )

    def post_json(self, path: str, payload: dict[str, Any]) -> requests.Response:
        """An API call with the session cookie and its CSRF header, as the front end makes."""
        return self.session.post(
            self.url(path),
            json=payload,
            headers={
                "X-CSRFToken": self.session.cookies.get("csrftoken") or "",
                "Referer": self.url("/"),
            },
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )

    def login(self) -> None:
        """Password, then the TOTP code, through the real login pages."""
        response = self.post_form(
            "/konto/log-ind/", {"username": self.email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, (
            f"password step for {self.email}: {response.status_code}"
        )
        step = response.headers["Location"]
        response = self.post_form(step, {"code": totp_code()})
        assert response.status_code == 302, f"code step for {self.email}: {response.status_code}"
        assert "/log-ind" not in response.headers["Location"], f"{self.email} not logged in"


@dataclass
class Stack:
    workdir: Path
    database_url: str
    pg_bindir: Path
    pg_data: Path
    redis_port: int = 0
    web_port: int = 0
    redis: subprocess.Popen[bytes] | None = None
    web: subprocess.Popen[bytes] | None = None
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    browsers: dict[str, Browser] = field(default_factory=dict)

    # --- environment -------------------------------------------------------------------------

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def mail_dir(self) -> Path:
        return self.workdir / "mail"

    def env(self, **extra: str) -> dict[str, str]:
        """The app processes' environment: production's use of Redis (broker and the API's
        rate-limit cache), e-mail into files the drills read."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_URL": self.redis_url,
            "CACHE_URL": f"redis://127.0.0.1:{self.redis_port}/1",
            "EMAIL_URL": f"filemail:///{self.mail_dir}",
            "LOG_FORMAT": "text",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }

    def log(self, name: str) -> Path:
        path = self.workdir / f"{name}.log"
        self.logs[name] = path
        return path

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    # --- Redis -------------------------------------------------------------------------------

    def start_redis(self) -> None:
        if not self.redis_port:
            self.redis_port = services.free_port()
        (self.workdir / "redis").mkdir(exist_ok=True)
        command = services.redis_command(self.redis_port, self.workdir / "redis")
        with self.log("redis").open("a") as log:
            self.redis = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        services.wait_for_port(self.redis_port)

    def ensure_redis(self) -> None:
        """Redis running again after a drill that failed while it was down."""
        if self.redis is None or self.redis.poll() is not None:
            self.start_redis()

    def kill_redis(self) -> None:
        """SIGKILL: no shutdown, no save, every connection dropped."""
        assert self.redis is not None
        self.redis.send_signal(signal.SIGKILL)
        self.redis.wait(timeout=10)

    # --- PostgreSQL --------------------------------------------------------------------------

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            services.as_postgres([str(self.pg_bindir / "pg_ctl"), "-D", str(self.pg_data), *args]),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def restart_postgres(self) -> None:
        """A fast restart: sessions are terminated, open transactions rolled back."""
        self.pg_ctl("restart", "-m", "fast", "-w")

    def psql(self, sql: str) -> None:
        """As the cluster's superuser (the drills' faults need it, the app never does)."""
        subprocess.run(
            [str(self.pg_bindir / "psql"), self.database_url, "-v", "ON_ERROR_STOP=1", "-qc", sql],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    # --- app processes -----------------------------------------------------------------------

    def start_web(self) -> None:
        self.web_port = self.web_port or services.free_port()
        with self.log("web").open("a") as log:
            self.web = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "tests.drills.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.web_port}",
                    "--workers",
                    "2",
                    "--worker-class",
                    "gthread",
                    "--threads",
                    "4",
                    "--timeout",
                    "60",
                ],
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        ok = wait_for(lambda: self._answers("/konto/log-ind/"), 60)
        if not ok:
            raise RuntimeError(f"gunicorn did not start:\n{self.tail('web')}")

    def _answers(self, path: str) -> bool:
        if self.web is not None and self.web.poll() is not None:
            return False
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"{self.base_url}{path}", timeout=5).status_code == 200
        return False

    def start_worker(self, name: str, *, queues: str = "celery,audit", **env: str) -> None:
        """A solo Celery worker consuming ``queues``, logging at INFO to <name>.log."""
        with self.log(name).open("a") as log:
            self.workers[name] = subprocess.Popen(
                [
                    str(BIN / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    f"--hostname={name}@drills",
                    "-Q",
                    queues,
                    "--without-mingle",
                    "--without-gossip",
                    "--loglevel=INFO",
                ],
                cwd=ROOT,
                env=self.env(**env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        ready = wait_for(lambda: "ready." in self.logs[name].read_text(), 60)
        if not ready:
            raise RuntimeError(f"worker {name} did not start:\n{self.tail(name)}")

    def start_beat(self) -> None:
        """Beat on its own (as in production), sending the schedule of config/celery.py."""
        with self.log("beat").open("a") as log:
            self.workers["beat"] = subprocess.Popen(
                [
                    str(BIN / "celery"),
                    "-A",
                    "config",
                    "beat",
                    f"--schedule={self.workdir / 'celerybeat-schedule'}",
                    "--loglevel=INFO",
                ],
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill_worker(self, name: str) -> None:
        process = self.workers.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_worker(self, name: str) -> None:
        _stop(self.workers.pop(name, None))

    def publish(self, task: str, *, queue: str = "celery") -> None:
        """Send a task by name through the drills' Redis, as beat does."""
        from config.celery import app

        with app.connection_for_write(self.redis_url) as connection:
            app.send_task(task, queue=queue, connection=connection)

    def succeeded(self, worker: str, task: str) -> int:
        """How many runs of ``task`` the worker logged as finished."""
        text = self.logs[worker].read_text()
        return len(re.findall(rf"Task {re.escape(task)}\[[^\]]+\] succeeded", text))

    # --- reading what happened ---------------------------------------------------------------

    def mails(self) -> list[Message]:
        """Every e-mail sent so far (Django's file backend: one file per connection, messages
        separated by a line of dashes)."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for chunk in path.read_text().split("-" * 79):
                if chunk.strip():
                    messages.append(email.message_from_string(chunk.lstrip("\n")))
        return messages

    def tail(self, name: str, lines: int = 60) -> str:
        path = self.logs.get(name)
        if path is None or not path.exists():
            return f"({name}: no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def browser(self, user_email: str) -> Browser:
        """The user's logged-in session, one per user for the whole run: a TOTP code is
        accepted once, so a second login within its 30 seconds would be refused. Sessions
        live in PostgreSQL and survive the drills."""
        if user_email not in self.browsers:
            browser = Browser(self.base_url, user_email)
            browser.login()
            self.browsers[user_email] = browser
        return self.browsers[user_email]

    def stop(self) -> None:
        for name in list(self.workers):
            self.stop_worker(name)
        _stop(self.web)
        _stop(self.redis)


@contextlib.contextmanager
def running_stack(workdir: Path) -> Iterator[Stack]:
    """Migrate and seed the with_services database, then start Redis and gunicorn (each drill
    starts the Celery workers it needs)."""
    stack = Stack(
        workdir=workdir,
        database_url=os.environ["DATABASE_URL"],
        pg_bindir=Path(os.environ["PG_BINDIR"]),
        pg_data=Path(os.environ["PG_DATA"]),
    )
    stack.mail_dir.mkdir(parents=True, exist_ok=True)
    try:
        started = time.monotonic()
        stack.start_redis()
        stack.manage("migrate", "--no-input", "-v", "0")
        stack.manage("seed_demo")
        stack.start_web()
        say(
            f"stack up in {time.monotonic() - started:.0f}s: PostgreSQL (with_services), Redis "
            f":{stack.redis_port}, gunicorn {stack.base_url} (2 workers x 4 threads), "
            "demo data seeded"
        )
        yield stack
    finally:
        stack.stop()
