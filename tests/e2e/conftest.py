"""Chromium through Playwright against a live server: fixtures for the end-to-end flows.

One browser per session, a new context (cookies, storage) per user and test. Every page a flow
visits is checked with axe-core (vendored in ``vendor/``, injected with ``add_init_script``
because the CSP blocks an inserted script tag); serious and critical findings fail the test
at its end, all of them listed with their selectors.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from accounts.mfa import current_code
from accounts.models import User
from tests.factories import TEST_PASSWORD
from tests.world import World, build_world

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOT_MAX_HEIGHT = 1800
ROLE_NAMES = ["coordinator", "member", "dpo", "admin", "council"]
BLOCKING_IMPACTS = {"serious", "critical"}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="package", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """The sync API runs an asyncio loop in this thread; Django's ORM refuses to run beside one
    unless told it is safe. It is here: the loop only waits on the browser, never on the ORM.
    Set for this package only: a subprocess of another test (``check --deploy``) must not
    inherit it."""
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    yield
    if previous is None:
        os.environ.pop(ASYNC_UNSAFE, None)
    else:
        os.environ[ASYNC_UNSAFE] = previous


# Package scope, like _orm_beside_playwright: Playwright's event loop must stop with this
# package, or every later test's ORM call would run "from an async context" and be refused.
@pytest.fixture(scope="package")
def browser(_orm_beside_playwright: None) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium", pytrace=False)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class AxeFinding:
    url: str
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        return f"{self.url}: [{self.impact}] {self.rule} — {self.help}: {', '.join(self.targets)}"


@dataclass
class Visitor:
    """One user's browser context: logs in through the real forms, checks every page."""

    base_url: str
    context: BrowserContext
    page: Page
    findings: list[AxeFinding]
    checked: set[str]  # digests of the markup axe has seen, shared by the test's visitors
    visited: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def path(self) -> str:
        return str(re.sub(r"^https?://[^/]+", "", self.page.url))

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.url(path))
        self.check()
        return response

    def check(self) -> None:
        """axe on the page as it is now (after a navigation, a submit or an htmx swap)."""
        self.page.wait_for_load_state("load")
        self.visited.append(self.path())
        # Markup already checked (the login pages of each user, a page shown again unchanged)
        # gives the same findings: skip it. Tokens and ids differ between such pages.
        markup = re.sub(
            r'value="[^"]*"|\d+', "", str(self.page.evaluate("document.body.outerHTML"))
        )
        digest = hashlib.sha256(markup.encode()).hexdigest()
        if digest in self.checked:
            return
        self.checked.add(digest)
        self.template_leak()
        result = self.page.evaluate(
            "async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))"
        )
        for violation in json.loads(result)["violations"]:
            if violation["impact"] in BLOCKING_IMPACTS:
                self.findings.append(
                    AxeFinding(
                        url=self.path(),
                        rule=violation["id"],
                        impact=violation["impact"],
                        help=violation["help"],
                        targets=[" ".join(map(str, n["target"])) for n in violation["nodes"]],
                    )
                )

    def template_leak(self) -> None:
        """Template syntax shown as text (e.g. a ``{# #}`` comment over several lines, which
        Django prints): reported beside axe's findings."""
        text = self.page.locator("body").inner_text()
        leaks = sorted({match.group() for match in re.finditer(r"\{[#%{][^\n]{0,40}", text)})
        if leaks:
            self.findings.append(
                AxeFinding(
                    url=self.path(),
                    rule="template-syntax-shown",
                    impact="serious",
                    help="Django template syntax printed on the page",
                    targets=leaks,
                )
            )

    def submit(self, button: str) -> None:
        """Click a submit button by its accessible name and wait for the next page."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button, exact=True).click()
        self.check()

    def login(self, user: User) -> None:
        self.goto("/konto/log-ind/")
        self.page.get_by_label("E-mail").fill(user.email)
        self.page.get_by_label("Adgangskode").fill(TEST_PASSWORD)
        self.submit("Log ind")
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        self.page.get_by_label("Engangskode").fill(current_code(device))
        self.submit("Bekræft")
        assert "/log-ind" not in self.path(), f"login of {user.email} stopped at {self.path()}"

    def screenshot(self, name: str) -> None:
        """The whole page, cut at SCREENSHOT_MAX_HEIGHT so long lists keep the PNG small."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        height = min(
            int(self.page.evaluate("document.documentElement.scrollHeight")),
            SCREENSHOT_MAX_HEIGHT,
        )
        self.page.screenshot(
            path=str(SCREENSHOTS / name),
            full_page=True,
            clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height},
            animations="disabled",
            caret="hide",
        )


class Browsers:
    """Hands out one logged-in Visitor per user; collects axe findings for the whole test."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.findings: list[AxeFinding] = []
        self.checked: set[str] = set()
        self.visitors: dict[int, Visitor] = {}

    def anonymous(self) -> Visitor:
        context = self.browser.new_context(viewport=VIEWPORT, locale="da-DK")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(path=str(AXE))
        return Visitor(self.base_url, context, context.new_page(), self.findings, self.checked)

    def as_user(self, user: User) -> Visitor:
        if user.pk not in self.visitors:
            visitor = self.anonymous()
            visitor.login(user)
            self.visitors[user.pk] = visitor
        return self.visitors[user.pk]

    def close(self) -> None:
        for visitor in self.visitors.values():
            visitor.context.close()


def axe_failure(findings: list[AxeFinding]) -> str:
    unique = dict.fromkeys(str(finding) for finding in findings)
    return "serious or critical accessibility findings:\n" + "\n".join(unique)


@pytest.fixture(scope="session")
def server_url(request: pytest.FixtureRequest) -> str:
    """pytest-django's live server. Not requested by name: a test whose fixtures name
    ``live_server`` is given a transactional database, and the flush at its end would empty
    the story that the tests of a class share (test_flows.TestSspStory). Tests that seed
    their own world ask for ``transactional_db`` themselves (e2e_world)."""
    return str(request.getfixturevalue("live_server").url)


@pytest.fixture
def browsers(browser: Browser, server_url: str) -> Iterator[Browsers]:
    pool = Browsers(browser, server_url)
    yield pool
    pool.close()
    if pool.findings:
        pytest.fail(axe_failure(pool.findings), pytrace=False)


def enrol(*users: User) -> None:
    """A confirmed TOTP device per user, as enrolment leaves it; the code is computed at login."""
    for user in users:
        TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "E2E"})


def seed_world() -> World:
    """The suite's personas, each with a second factor. An earlier transactional test's flush
    takes the role groups the migrations made: they are put back first."""
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)
    world = build_world()
    enrol(
        world.coordinator,
        world.chair,
        world.school_member,
        world.police_member,
        world.outsider,
        world.dpo,
    )
    return world


@pytest.fixture
def e2e_world(transactional_db: None) -> World:
    """The world on committed data (the live server and the worker see it), flushed after."""
    return seed_world()


@pytest.fixture
def committed_db(django_db_blocker: Any) -> Iterator[None]:
    """Database access without a test transaction or a flush: for tests that share a story a
    module-scoped fixture told (and flushes at the module's end; see flush_database)."""
    with django_db_blocker.unblock():
        yield


def flush_database() -> None:
    """Empty every table as a transactional test's teardown does (the audit tables' TRUNCATE
    guard is lifted for it by tests/conftest.py)."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
