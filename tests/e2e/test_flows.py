"""The five end-to-end flows of issue 11, in Chromium against a live server, PostgreSQL, Redis
and the suite's real Celery worker. axe checks every page (tests/e2e/conftest.py)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Locator, expect

from accounts.models import Agency
from coordination.meetings import session_create
from coordination.models import ForumSession, ReminderSent
from forums.models import Forum, ForumKind, Membership
from persons.models import Concern
from tests.e2e.conftest import (
    AxeFinding,
    Browsers,
    Visitor,
    axe_failure,
    enrol,
    flush_database,
    seed_world,
)
from tests.e2e.story import (
    ANONYMOUS_MINUTES,
    CONCERN_TEXT,
    NAMED_MINUTES,
    NECESSITY,
    PLAN_GOALS,
    Cast,
    Story,
    no_errors,
    run_story,
    success,
)
from tests.factories import AgencyFactory, UserFactory
from tests.world import World

pytestmark = [pytest.mark.e2e, pytest.mark.celery_worker]


def years_ago(years: int, days: int = 40) -> datetime.date:
    """A birth date making the person ``years`` old today (and not about to turn older)."""
    return timezone.localdate() - relativedelta(years=years, days=days)


def ssp_cast(world: World) -> Cast:
    return Cast(
        forum=world.forum,
        coordinator=world.coordinator,
        chair=world.chair,
        owners=[world.school_member, world.police_member],
        attendees=[world.chair, world.school_member, world.police_member],
        presenting_agency=world.school,
        category="Hærværk",
        birth_date=years_ago(15),
    )


def psp_cast(world: World) -> Cast:
    """A PSP forum of the same municipality: police, the social services and psychiatry."""
    psychiatry = AgencyFactory(
        name="Psykiatrien", kind=Agency.Kind.PSYKIATRI, municipality=world.forum.municipality
    )
    forum = Forum.objects.create(
        name="PSP Test", kind=ForumKind.PSP, municipality=world.forum.municipality, age_min=18
    )
    forum.agencies.set([world.police, world.social, psychiatry])
    psychiatrist = UserFactory.create(
        full_name="Pia Psykiatri", agency=psychiatry, roles=["member"]
    )
    enrol(psychiatrist)
    since = datetime.date(2026, 1, 1)
    for user, role in (
        (world.coordinator, Membership.Role.COORDINATOR),
        (world.chair, Membership.Role.CHAIR),
        (world.police_member, Membership.Role.MEMBER),
        (psychiatrist, Membership.Role.MEMBER),
    ):
        Membership.objects.create(forum=forum, user=user, role=role, valid_from=since)
    return Cast(
        forum=forum,
        coordinator=world.coordinator,
        chair=world.chair,
        owners=[psychiatrist, world.police_member],
        attendees=[world.chair, world.police_member, psychiatrist],
        presenting_agency=psychiatry,
        category="Psykisk sårbarhed",
        birth_date=years_ago(24),
        sharer=psychiatrist,
    )


# --- 1, 3, 4: one SSP story, told once, then trespassed on and audited ------------------------


@dataclass
class Told:
    world: World
    story: Story
    findings: list[AxeFinding]


@pytest.fixture(scope="class")
def told(
    browser: Browser,
    server_url: str,
    django_db_setup: None,
    django_db_blocker: Any,
    celery_worker_process: object,
) -> Iterator[Told]:
    """Flow 1's story on committed data, shared by flows 3 and 4 (telling it takes half a
    minute); the tables are emptied after the class, as a transactional test's teardown does."""
    with django_db_blocker.unblock():
        pool = Browsers(browser, server_url)
        try:
            world = seed_world()
            story = run_story(pool, ssp_cast(world), screenshots=True)
            yield Told(world, story, pool.findings)
        finally:
            pool.close()
            flush_database()


@pytest.mark.usefixtures("committed_db")
class TestSspStory:
    def test_1_ssp_story_from_concern_to_approved_minutes(self, told: Told) -> None:
        story, world = told.story, told.world
        concern = Concern.objects.filter(case_file_id=story.case_file_id).get()
        assert concern.decided_by == world.coordinator
        session = ForumSession.objects.get(pk=story.session_id)
        assert session.approved_by == world.chair
        item = session.items.get()
        assert item.discussion_mode == "named" and item.minutes == NAMED_MINUTES
        assert ReminderSent.objects.filter(action__plan__case_file_id=story.case_file_id).exists()
        if told.findings:
            pytest.fail(axe_failure(told.findings), pytrace=False)

    def test_3_a_member_of_another_forum_gets_404_on_every_url_of_the_story(
        self, told: Told, browsers: Browsers
    ) -> None:
        story = told.story
        # The story's own objects: every URL naming one of them by id.
        pages = [url for url in story.get_urls if re.search(r"/\d+/", url)]
        forms = [url for url in story.post_urls if re.search(r"/\d+/", url)]
        for expected in (
            reverse("coordination:person-detail", args=[story.person_id]),
            reverse("coordination:session-detail", args=[story.session_id]),
            reverse("coordination:plan", args=[story.case_file_id]),
        ):
            assert expected in pages
        assert any("/beslut/" in url for url in pages), pages
        assert len(forms) >= 5, forms

        outsider = browsers.as_user(told.world.outsider)
        session = outsider.page.request  # the outsider's cookies; redirects are not followed
        answered = {url: session.get(outsider.url(url), max_redirects=0).status for url in pages}
        token = next(c["value"] for c in outsider.context.cookies() if c["name"] == "csrftoken")
        for url in forms:
            response = session.post(
                outsider.url(url),
                form={"necessity": NECESSITY, "minutes": "x", "operation": "add"},
                headers={"X-CSRFToken": token, "Referer": outsider.url("/")},
                max_redirects=0,
            )
            answered[f"POST {url}"] = response.status
        assert {url: status for url, status in answered.items() if status != 404} == {}
        outsider.goto(pages[0])  # the not-found page itself passes axe
        expect(outsider.page.locator("h1")).to_be_visible()
        outsider.goto("/")  # the outsider's own start page shows nothing of the story
        expect(outsider.page.get_by_text(story.pseudonym)).to_have_count(0)

    def test_4_the_dpo_follows_the_story_in_the_audit_view_and_verifies_the_chain(
        self, told: Told, browsers: Browsers
    ) -> None:
        story, world = told.story, told.world
        dpo = browsers.as_user(world.dpo)
        dpo.goto(reverse("audit:dashboard"))
        dpo.page.get_by_label("Pseudonym").fill(story.pseudonym)
        dpo.submit("Søg")
        page = dpo.page
        for actor in (world.coordinator, world.chair, world.school_member):
            expect(page.get_by_role("cell", name=actor.full_name).first).to_be_visible()

        dpo.goto(reverse("audit:person-history", args=[story.pseudonym]))
        expect(page.locator("h1")).to_contain_text(story.pseudonym)
        for actor in (world.coordinator, world.chair):
            expect(page.get_by_text(actor.full_name).first).to_be_visible()
        dpo.screenshot("audit.png")
        # Content-blind: the DPO's pages carry no concern, minutes or plan text.
        body = page.locator("main").inner_text()
        for secret in (CONCERN_TEXT, ANONYMOUS_MINUTES, NAMED_MINUTES, PLAN_GOALS):
            assert secret not in body

        dpo.goto(reverse("audit:verify"))
        dpo.submit("Verificér nu")
        expect(page.locator(".alert-success")).to_contain_text("Sporet er intakt")


# --- 2. PSP -----------------------------------------------------------------------------------


def test_2_psp_story_with_psychiatry_and_a_shared_note(
    e2e_world: World, browsers: Browsers, celery_worker_process: object
) -> None:
    cast = psp_cast(e2e_world)
    story = run_story(browsers, cast)
    # The note psychiatry shared reaches the forum's other members.
    police = browsers.as_user(e2e_world.police_member)
    police.goto(reverse("coordination:person-detail", args=[story.person_id]))
    expect(police.page.get_by_text("Psykiatrien kender personen fra et forløb.")).to_be_visible()


# --- 5. Keyboard only -------------------------------------------------------------------------


def fifteen_with_day_equal_to_month() -> datetime.date:
    """A 15-year-old's birth date typed the same in either order of a date input's fields
    (Debian's Chromium has only en-US: month first; a Danish browser puts the day first)."""
    today = timezone.localdate()
    month = max(m for m in range(1, 13) if (m, m) <= (today.month, today.day))
    return datetime.date(today.year - 15, month, month)


def tab_to(visitor: Visitor, target: Locator, limit: int = 80) -> None:
    """Press Tab until the element has the focus: it must be reachable in the tab order."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        visitor.page.keyboard.press("Tab")
    pytest.fail(f"{target} is not reachable with Tab on {visitor.path()}")


def choose_by_arrows(visitor: Visitor, select: Locator, text: str) -> None:
    """On a focused closed <select>, Home and ArrowDown move the choice without opening it."""
    visitor.page.keyboard.press("Home")
    for _ in range(50):
        if select.evaluate("el => el.options[el.selectedIndex].text") == text:
            return
        visitor.page.keyboard.press("ArrowDown")
    pytest.fail(f"no option {text!r} in {select}")


def test_5_keyboard_only_concern_form_and_recording_form(
    e2e_world: World, browsers: Browsers, celery_worker_process: object
) -> None:
    world = e2e_world
    coordinator = browsers.as_user(world.coordinator)
    page, keys = coordinator.page, coordinator.page.keyboard
    coordinator.goto(reverse("persons:concern-create"))
    form = page.locator("main form[method=post i]")

    tab_to(coordinator, page.locator("#id_forum"))
    choose_by_arrows(coordinator, page.locator("#id_forum"), world.forum.name)
    tab_to(coordinator, page.locator("#id_name"))
    keys.type("Tastatur Testperson")
    tab_to(coordinator, page.locator("#id_birth_date"))
    born = fifteen_with_day_equal_to_month()
    keys.type(born.strftime("%d%m%Y"))
    tab_to(coordinator, form.get_by_label("Hærværk", exact=True))
    keys.press("Space")
    tab_to(coordinator, page.locator("#id_description"))
    keys.type(CONCERN_TEXT)
    tab_to(coordinator, page.locator("#id_necessity"))
    keys.type(NECESSITY)
    tab_to(coordinator, form.get_by_role("button", name="Registrér bekymring"))
    with page.expect_navigation():
        keys.press("Enter")
    coordinator.check()
    no_errors(coordinator)
    success(coordinator, "Bekymringen er registreret som")
    pseudonym = page.locator("h1").inner_text().strip()
    concern = Concern.objects.filter(case_file__person__pseudonym=pseudonym).get()
    person = concern.case_file.person
    assert (person.birth_year, person.birth_month) == (born.year, born.month)
    assert concern.categories == ["haervaerk"]

    # A session with the world's pending concern on its agenda, recorded by keyboard only.
    session = session_create(
        actor=world.coordinator,
        forum=world.forum,
        starts_at=timezone.now() + datetime.timedelta(days=1),
    )
    item = session.items.get(case_file=world.case_file)
    coordinator.goto(reverse("coordination:session-detail", args=[session.pk]))
    prefix = f"#id_item{item.pk}"
    section = page.locator(f"section[aria-labelledby='item-{item.pk}-heading']")
    tab_to(coordinator, section.locator("summary"))
    keys.press("Enter")  # opens the details
    tab_to(coordinator, page.locator(f"{prefix}-presenting_agency"))
    choose_by_arrows(coordinator, page.locator(f"{prefix}-presenting_agency"), world.school.name)
    for user in (world.coordinator, world.school_member):
        tab_to(coordinator, section.get_by_label(user.full_name, exact=False).first)
        keys.press("Space")
    tab_to(coordinator, page.locator(f"{prefix}-necessity"))
    keys.type(NECESSITY)
    tab_to(coordinator, page.locator(f"{prefix}-minutes"))
    keys.type(ANONYMOUS_MINUTES)
    tab_to(coordinator, section.get_by_role("button", name="Gem registrering"))
    with page.expect_navigation():
        keys.press("Enter")
    coordinator.check()
    no_errors(coordinator)
    success(coordinator, "Punktet er registreret")
    item.refresh_from_db()
    assert item.recorded_at is not None and item.minutes == ANONYMOUS_MINUTES
    assert set(item.attendees.all()) == {world.coordinator, world.school_member}
