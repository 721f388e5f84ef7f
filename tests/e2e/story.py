"""The forum year's story as people walk it in the browser: a concern logged, decided, put on
a session's agenda, discussed anonymously then by name, minuted, planned, reminded, approved.

Flows 1 and 2 run it for an SSP and a PSP forum; flows 3 and 4 run it to have a story to
trespass on and to audit. Every step the story names is done through the pages; the database
is read only to learn ids the pages do not show and to wait for the worker.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, expect

from accounts.models import Agency, User
from core.models import Notification
from forums.models import Forum
from persons.models import CaseFile, Concern
from tests.e2e.conftest import Browsers, Visitor

CONCERN_TEXT = "Har gentagne gange været set ved hærværk på skolens legeplads om aftenen."
NECESSITY = "Forummet skal kende risikoen for at kunne forebygge ny kriminalitet i tide."
NAMED_REASON = "Familien har givet samtykke, og skolen og politiet skal koordinere indsatsen."
ANONYMOUS_MINUTES = "Drøftet anonymt: mønstret passer med hærværket ved skolen."
NAMED_MINUTES = "Drøftet med navn: skolen og politiet følger op, plan aftalt."
PLAN_GOALS = "Stabilt fremmøde i skolen og ingen nye anmeldelser inden for tre måneder."


@dataclass
class Cast:
    """Who plays the story's parts, and in which forum."""

    forum: Forum
    coordinator: User
    chair: User
    owners: list[User]  # one action each, for their agencies (the school, the police, ...)
    attendees: list[User]
    presenting_agency: Agency
    category: str  # the label of the concern's category checkbox
    birth_date: datetime.date
    sharer: User | None = None  # writes a note shared with the forum before the session


@dataclass
class Story:
    """What the story left behind: its person and every page and form it used."""

    pseudonym: str = ""
    person_id: int = 0
    case_file_id: int = 0
    session_id: int = 0
    get_urls: list[str] = field(default_factory=list)
    post_urls: list[str] = field(default_factory=list)

    def collect(self, visitor: Visitor) -> None:
        """The page now shown and the targets of its POST forms (for the trespass flow)."""
        here = visitor.path().split("#")[0]
        if here not in self.get_urls:
            self.get_urls.append(here)
        actions = visitor.page.eval_on_selector_all(
            "form[method=post i]", "forms => forms.map(f => f.getAttribute('action') || '')"
        )
        for action in actions:
            target = action or here.split("?")[0]
            if target.startswith("/") and target not in self.post_urls:
                self.post_urls.append(target)


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.2)


def success(visitor: Visitor, text: str) -> None:
    expect(visitor.page.locator(".alert-success").filter(has_text=text)).to_be_visible()


def no_errors(visitor: Visitor) -> None:
    """A submitted form came back without field errors (shown in Danish, beside the field)."""
    errors = visitor.page.locator(".form-error-message").all_inner_texts()
    assert not errors, f"{visitor.path()}: {errors}"


def log_concern(story: Story, cast: Cast, visitor: Visitor, *, screenshot: str = "") -> None:
    visitor.goto(reverse("persons:concern-create"))
    page = visitor.page
    page.get_by_label("Forum", exact=True).select_option(label=cast.forum.name)
    page.get_by_label("Navn", exact=True).fill("Testperson i e2e")
    page.get_by_label("Fødselsdato").fill(cast.birth_date.isoformat())
    page.get_by_label(cast.category, exact=True).check()
    page.get_by_label("Beskrivelse af bekymringen").fill(CONCERN_TEXT)
    page.get_by_label("Hvorfor skal forummet kende oplysningerne?").fill(NECESSITY)
    if screenshot:
        visitor.screenshot(screenshot)
    story.collect(visitor)
    visitor.submit("Registrér bekymring")
    no_errors(visitor)
    success(visitor, "Bekymringen er registreret som")
    story.pseudonym = page.locator("h1").inner_text().strip()
    story.person_id = int(re.search(r"/personer/(\d+)/", visitor.path()).group(1))  # type: ignore[union-attr]
    story.case_file_id = CaseFile.objects.get(
        person_id=story.person_id, forum=cast.forum, closed_at__isnull=True
    ).pk
    story.collect(visitor)


def decide_to_bring(story: Story, visitor: Visitor) -> None:
    """From the person's page (where registering the concern led): decide to bring it."""
    visitor.goto(reverse("coordination:person-detail", args=[story.person_id]))
    with visitor.page.expect_navigation():
        visitor.page.get_by_role("link", name="Beslut bekymringen").click()
    visitor.check()
    story.collect(visitor)
    visitor.page.get_by_label("Drøftes i forummet", exact=False).check()
    visitor.submit("Registrér beslutning")
    no_errors(visitor)
    concern = Concern.objects.filter(case_file_id=story.case_file_id).get()
    assert concern.decision == Concern.Decision.BRING_TO_FORUM


def share_note(story: Story, cast: Cast, browsers: Browsers) -> None:
    """A member writes a note and shares it with the forum (PSP: psychiatry)."""
    assert cast.sharer is not None
    visitor = browsers.as_user(cast.sharer)
    visitor.goto(reverse("coordination:note-create", args=[story.case_file_id]))
    story.collect(visitor)
    page = visitor.page
    page.get_by_label("Notat", exact=True).fill("Psykiatrien kender personen fra et forløb.")
    page.get_by_label("Synlighed").select_option(value="forum")
    page.get_by_label("Nødvendighed (ved deling)").fill(NECESSITY)
    visitor.submit("Gem notat")
    no_errors(visitor)
    story.collect(visitor)


def plan_session(story: Story, cast: Cast, visitor: Visitor) -> None:
    visitor.goto(reverse("coordination:sessions"))
    story.collect(visitor)
    starts = timezone.localtime() + datetime.timedelta(days=1)
    page = visitor.page
    page.get_by_label("Forum", exact=True).select_option(label=cast.forum.name)
    page.get_by_label("Tidspunkt").fill(starts.strftime("%Y-%m-%dT14:00"))
    page.get_by_label("Sted").fill("Rådhuset, mødelokale 2")
    visitor.submit("Planlæg møde")
    no_errors(visitor)
    success(visitor, "Mødet er planlagt, og dagsordenen er foreslået.")
    story.session_id = int(re.search(r"/moeder/(\d+)/", visitor.path()).group(1))  # type: ignore[union-attr]
    # The agenda filled itself with the concern just brought to the forum.
    expect(page.locator(".agenda-item h3").filter(has_text=story.pseudonym)).to_be_visible()
    story.collect(visitor)


def item_section(visitor: Visitor, pseudonym: str) -> Locator:
    return visitor.page.locator("section.agenda-item").filter(
        has=visitor.page.locator("h3", has_text=pseudonym)
    )


def clear_other_items(story: Story, visitor: Visitor) -> None:
    """The coordinator takes off the agenda what this story is not about (the world's other
    pending concern), so the chair can approve once the story's item is recorded."""
    visitor.goto(reverse("coordination:session-detail", args=[story.session_id]))
    others = visitor.page.locator("section.agenda-item").filter(
        has_not=visitor.page.locator("h3", has_text=story.pseudonym)
    )
    while (count := others.count()) > 0:
        # htmx swaps the agenda in place (no navigation): wait for the item to go.
        others.first.get_by_role("button", name="Fjern fra dagsordenen").click()
        expect(others).to_have_count(count - 1)
        visitor.check()
    expect(item_section(visitor, story.pseudonym)).to_have_count(1)


def record_item(story: Story, cast: Cast, visitor: Visitor, *, mode: str, minutes: str) -> None:
    visitor.goto(reverse("coordination:session-detail", args=[story.session_id]))
    section = item_section(visitor, story.pseudonym)
    section.locator("summary").click()
    section.get_by_label("Drøftelse", exact=True).select_option(label=mode)
    section.get_by_label("Fremlæggende myndighed").select_option(label=cast.presenting_agency.name)
    for attendee in cast.attendees:
        section.get_by_label(attendee.full_name, exact=False).first.check()
    section.get_by_label("Nødvendighed", exact=True).fill(NECESSITY)
    section.get_by_label("Referat", exact=True).fill(minutes)
    with visitor.page.expect_navigation():
        section.get_by_role("button", name="Gem registrering").click()
    visitor.check()
    no_errors(visitor)
    success(visitor, "Punktet er registreret")
    story.collect(visitor)


def take_to_named(story: Story, visitor: Visitor) -> None:
    visitor.goto(reverse("coordination:person-detail", args=[story.person_id]))
    story.collect(visitor)
    form = visitor.page.locator("form.mode-form")
    form.get_by_label("Drøftelse", exact=True).select_option(value="named")
    form.get_by_label("Begrundelse for drøftelse med navn").fill(NAMED_REASON)
    with visitor.page.expect_navigation():
        form.get_by_role("button", name="Skift drøftelsesform").click()
    visitor.check()
    no_errors(visitor)
    assert CaseFile.objects.get(pk=story.case_file_id).discussion_mode == "named"


def agree_plan(story: Story, cast: Cast, visitor: Visitor, *, screenshot: str = "") -> None:
    visitor.goto(reverse("coordination:plan", args=[story.case_file_id]))
    page = visitor.page
    page.get_by_label("Mål", exact=True).fill(PLAN_GOALS)
    page.get_by_label("Revurderes").fill(
        (timezone.localdate() + datetime.timedelta(days=90)).isoformat()
    )
    visitor.submit("Gem plan")
    no_errors(visitor)
    success(visitor, "Helhedsplanen er gemt.")
    for days, owner in enumerate(cast.owners):
        page.get_by_label("Handling", exact=True).fill(action_text(owner))
        page.get_by_label("Ansvarlig").select_option(value=str(owner.pk))
        due = timezone.localdate() + datetime.timedelta(days=days)
        page.get_by_label("Frist").fill(due.isoformat())
        visitor.submit("Tilføj handling")
        no_errors(visitor)
        success(visitor, "Handlingen er tilføjet.")
    for owner in cast.owners:
        expect(page.get_by_text(action_text(owner), exact=True)).to_be_visible()
    if screenshot:
        visitor.screenshot(screenshot)
    story.collect(visitor)


def action_text(owner: User) -> str:
    assert owner.agency is not None
    return f"{owner.agency.name} følger op med den unge og familien"


def owners_see_their_actions(
    story: Story, cast: Cast, browsers: Browsers, *, screenshot: str = ""
) -> None:
    for owner in cast.owners:
        visitor = browsers.as_user(owner)
        visitor.goto(reverse("coordination:home"))
        story.collect(visitor)
        if owner.agency is not None and owner.agency.kind == Agency.Kind.POLITI:
            # Police see a count on the start page (no list of pseudonyms across forums).
            expect(
                visitor.page.get_by_text(re.compile("åben handling|åbne handlinger")).first
            ).to_be_visible()
        else:
            expect(visitor.page.get_by_text(action_text(owner)).first).to_be_visible()
        visitor.goto(reverse("coordination:my-tasks"))
        expect(visitor.page.get_by_text(action_text(owner)).first).to_be_visible()
        if screenshot and owner == cast.owners[0]:
            visitor.screenshot(screenshot)
        story.collect(visitor)


def reminder_arrives(story: Story, cast: Cast, browsers: Browsers) -> None:
    """The worker sends the reminders, as beat would each morning; the owner reads it."""
    from coordination.tasks import send_due_reminders

    send_due_reminders.delay()
    owner = cast.owners[0]  # the action due today
    wait_until(
        lambda: Notification.objects.filter(recipient=owner, kind__startswith="reminder_").exists(),
        "the worker's reminder",
    )
    visitor = browsers.as_user(owner)
    visitor.goto(reverse("core:notifications"))
    expect(
        visitor.page.get_by_text(f"påmindelse om handling for {story.pseudonym}").first
    ).to_be_visible()
    story.collect(visitor)


def approve_minutes(story: Story, visitor: Visitor, *, screenshot: str = "") -> None:
    visitor.goto(reverse("coordination:session-detail", args=[story.session_id]))
    visitor.submit("Godkend referat")
    success(visitor, "Referatet er godkendt, og mødet er låst.")
    if screenshot:
        visitor.screenshot(screenshot)
    story.collect(visitor)


def run_story(browsers: Browsers, cast: Cast, *, screenshots: bool = False) -> Story:
    story = Story()
    coordinator = browsers.as_user(cast.coordinator)
    # The start page's screenshot comes from the demo (test_demo.py), where it has work on it.
    log_concern(story, cast, coordinator, screenshot="concern-form.png" if screenshots else "")
    decide_to_bring(story, coordinator)
    if cast.sharer is not None:
        share_note(story, cast, browsers)
    plan_session(story, cast, coordinator)
    clear_other_items(story, coordinator)
    chair = browsers.as_user(cast.chair)
    record_item(story, cast, chair, mode="Anonym", minutes=ANONYMOUS_MINUTES)
    take_to_named(story, chair)
    if screenshots:
        chair.goto(reverse("coordination:person-detail", args=[story.person_id]))
        chair.screenshot("person.png")
    record_item(story, cast, chair, mode="Med navn", minutes=NAMED_MINUTES)
    agree_plan(story, cast, chair, screenshot="plan.png" if screenshots else "")
    owners_see_their_actions(
        story, cast, browsers, screenshot="my-tasks.png" if screenshots else ""
    )
    reminder_arrives(story, cast, browsers)
    approve_minutes(story, chair, screenshot="session.png" if screenshots else "")
    return story
