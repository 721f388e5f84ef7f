"""`make run`'s promise in a browser: every demo user logs in (password and one-time code) to a
populated, working system — a start page with work on it and the main pages without errors,
each checked with axe. The coordinator's start page is the README's first screenshot."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_PASSWORD
from accounts.mfa import current_code
from accounts.models import User
from councils.demo import COUNCIL_MEMBER
from councils.models import Council
from persons.models import FocusPerson
from tests.e2e.conftest import ROLE_NAMES, Browsers, Visitor

pytestmark = pytest.mark.e2e

# The work list's section headings that prove each kind of user has something to do.
COORDINATOR_HAS = [
    "Nye bekymringer, der venter på en beslutning",
    "Personer i SSP, der fylder 18 inden for 3 måneder",
]
NOTHING_TO_DO = "Du har ingen opgaver her."
MENU_PAGES = ["coordination:sessions", "coordination:my-tasks", "coordination:person-list"]


@pytest.fixture
def demo(transactional_db: None) -> list[User]:
    """The demo on committed data (the live server sees it), as `make run` seeds it."""
    for name in ROLE_NAMES:  # an earlier transactional test's flush took the role groups
        Group.objects.get_or_create(name=name)
    with override_settings(DEBUG=True):
        call_command("seed_demo", verbosity=0)
    return list(User.objects.filter(email__contains=".demo.tvaers.dk").order_by("email"))


def demo_login(browsers: Browsers, user: User) -> Visitor:
    visitor = browsers.anonymous()
    visitor.goto("/konto/log-ind/")
    visitor.page.get_by_label("E-mail").fill(user.email)
    visitor.page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    visitor.submit("Log ind")
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    visitor.page.get_by_label("Engangskode").fill(current_code(device))
    visitor.submit("Bekræft")
    assert "/log-ind" not in visitor.path(), f"{user.email} stopped at {visitor.path()}"
    return visitor


def test_every_demo_user_finds_a_populated_working_system(browsers: Browsers, demo) -> None:
    assert len(demo) >= 12
    for user in demo:
        visitor = demo_login(browsers, user)
        response = visitor.goto(reverse("coordination:home"))
        assert response.status == 200, user.email
        text = visitor.page.locator("main").inner_text()
        if user.email.startswith("koordinator@kk"):
            for heading in COORDINATOR_HAS:
                assert heading in text
            assert "Ingen nye bekymringer" not in text
            visitor.screenshot("start-coordinator.png")
        if user.email == COUNCIL_MEMBER:
            council_meeting_papers(visitor)
            secretary_adds_a_focus_area(visitor)
        elif not user.is_staff and not user.email.startswith("dpo@"):
            # Every demo member owns open actions, one of them overdue (seed_demo's promise).
            assert NOTHING_TO_DO not in text, user.email
            assert "Du har ingen åbne handlinger" not in text, user.email
            for name in MENU_PAGES:
                assert visitor.goto(reverse(name)).status == 200, (user.email, name)
        if user.email.startswith("dpo@"):
            assert visitor.goto(reverse("audit:dashboard")).status == 200
        visitor.context.close()


def council_meeting_papers(visitor: Visitor) -> None:
    """Issue 13's "done when": the demo council member opens the kredsråd, its samarbejdsplan
    with the focus areas and their status, the statistics for the district and each
    municipality (charts beside tables), and the printable PDF; nothing on those pages
    names or points at a person."""
    council = Council.objects.get(kind=Council.Kind.KREDSRAAD)
    visitor.page.get_by_role("link", name="Råd", exact=True).first.click()
    visitor.page.get_by_role("link", name=council.name).click()
    visitor.check()
    text = visitor.page.locator("main").inner_text()
    assert "Samarbejdsplan" in text and "Børn og unges trivsel" in text
    assert "Seneste status" in text
    visitor.page.get_by_role("link", name="Se statistik").click()
    visitor.check()
    assert visitor.page.locator("svg[role=img]").count() >= 8
    assert visitor.page.locator("table[id^=tabel-]").count() >= 8
    visitor.screenshot("council-statistics.png")
    areas = visitor.page.locator("#id_omraade option").all_inner_texts()
    assert areas[0].startswith("Hele ") and "København" in areas
    for area in areas:
        visitor.page.select_option("#id_omraade", label=area)
        # Count on the page the form loads, not the one it leaves (count() does not wait).
        with visitor.page.expect_navigation():
            visitor.page.get_by_role("button", name="Vis").click()
        assert visitor.page.locator("table#tabel-concerns_source").count() == 1, area
        visitor.check()
    main = visitor.page.locator("main").inner_text()
    pseudonyms = list(FocusPerson.objects.values_list("pseudonym", flat=True))
    assert pseudonyms and not any(p in main for p in pseudonyms)
    assert "Demosen" not in main  # a demo person's surname
    with visitor.page.expect_download() as download:
        visitor.page.get_by_role("link", name="Hent som PDF til mødet").click()
    assert download.value.suggested_filename.endswith(".pdf")


def secretary_adds_a_focus_area(visitor: Visitor) -> None:
    """The demo council member is the kredsråd's secretary: the plan is kept on its pages."""
    council = Council.objects.get(kind=Council.Kind.KREDSRAAD)
    visitor.goto(reverse("councils:detail", args=[council.pk]))
    visitor.page.get_by_role("link", name="Nyt indsatsområde").click()
    visitor.check()
    visitor.page.get_by_label("Titel").fill("Tryghed i nattelivet")
    visitor.page.get_by_label("Vold og trusler").check()
    visitor.page.get_by_role("button", name="Gem indsatsområdet").click()
    visitor.check()
    main = visitor.page.locator("main").inner_text()
    assert "Indsatsområdet er gemt." in main and "Tryghed i nattelivet" in main
