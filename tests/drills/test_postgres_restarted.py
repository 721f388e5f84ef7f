"""Drill 3: PostgreSQL is restarted (pg_ctl restart -m fast) while users read person pages and
lists and register concerns. Requests caught by the restart fail cleanly (500/503, an error
page without traceback or SQL), no concern is half written (person, identity, case file,
concern and disclosure all there or none), and the app reconnects by itself
(CONN_HEALTH_CHECKS): later requests succeed without restarting anything."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import requests
from django.db import connection
from django.utils import timezone

from accounts.models import User
from audit.models import Disclosure
from forums.models import Forum
from persons.models import CaseFile, Concern, FocusPerson, Identity
from tests.drills.stack import HTTP_TIMEOUT, Browser, Stack, csrf_token, say, wait_for

USERS = [
    "koordinator@kk.demo.tvaers.dk",
    "formand@kk.demo.tvaers.dk",
    "social@kk.demo.tvaers.dk",
    "skole@kk.demo.tvaers.dk",
]
WRITERS = set(USERS[2:])  # register concerns; the others read
FORUM = "SSP Nørrebro"
MARKER = "Øvelse Genstart"
LOAD_BEFORE, LOAD_AFTER = 3.0, 5.0  # seconds of load around the restart
INTERNALS = ("Traceback", 'File "', "psycopg", "OperationalError", "SELECT ", "INSERT ", "/work/")
FAILED_CLEANLY = {500, 503}


@dataclass
class Outcome:
    what: str
    status: int  # 0: no HTTP answer at all
    clean: bool = True
    name: str = ""  # the person a concern registration was for


# Concerns are written slowly during the drill, so that the restart finds registrations
# half-way through their transaction (person, identity and case file inserted, the concern
# waiting).
SLOW_CONCERNS = """
CREATE FUNCTION drill_slow_concern() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.3); RETURN NEW; END $$;
CREATE TRIGGER drill_slow_concern BEFORE INSERT ON persons_concern
    FOR EACH ROW EXECUTE FUNCTION drill_slow_concern();
"""
NORMAL_CONCERNS = """
DROP TRIGGER IF EXISTS drill_slow_concern ON persons_concern;
DROP FUNCTION IF EXISTS drill_slow_concern();
"""


class Load:
    """Users in threads, looping: readers a person page and the person list, writers a new
    concern (a multi-step write: person, identity, case file, concern, disclosure)."""

    def __init__(self, browsers: dict[Browser, int], person_id: int, forum_id: int) -> None:
        self.person_id = person_id
        self.forum_id = forum_id
        self.outcomes: list[Outcome] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=item) for item in browsers.items()]
        self.serial = 0

    def record(self, what: str, response: requests.Response | None, name: str = "") -> None:
        if response is None:
            outcome = Outcome(what, 0, False, name)
        else:
            clean = response.status_code < 500 or (
                response.status_code in FAILED_CLEANLY
                and not any(internal in response.text for internal in INTERNALS)
            )
            outcome = Outcome(what, response.status_code, clean, name)
        with self.lock:
            self.outcomes.append(outcome)

    def call(
        self, what: str, send: Callable[[], requests.Response], name: str = ""
    ) -> requests.Response | None:
        response: requests.Response | None
        try:
            response = send()
        except requests.RequestException:
            response = None
        self.record(what, response, name)
        return response

    def concern(self, browser: Browser, agency_id: int) -> None:
        with self.lock:
            self.serial += 1
            name = f"{MARKER} {self.serial}"
        form = self.call("concern form", lambda: browser.get("/bekymringer/ny/"))
        if form is None or form.status_code != 200:
            return
        birth = timezone.localdate().replace(year=timezone.localdate().year - 15)
        data = {
            "csrfmiddlewaretoken": csrf_token(form.text),
            "forum": self.forum_id,
            "name": name,
            "birth_date": birth.isoformat(),
            "categories": ["vold"],
            "description": "Øvelse: bekymring registreret mens databasen genstartes.",
            "necessity": "Øvelse: forummet skal kende bekymringen for at forebygge i tide.",
            "source_agency": agency_id,
        }
        self.call(
            "concern",
            lambda: browser.session.post(
                browser.url("/bekymringer/ny/"),
                data=data,
                headers={"Referer": browser.url("/bekymringer/ny/")},
                timeout=HTTP_TIMEOUT,
                allow_redirects=False,
            ),
            name,
        )

    def run(self, browser: Browser, agency_id: int) -> None:
        writer = browser.email in WRITERS
        while not self.stopping.is_set():
            if writer:
                self.concern(browser, agency_id)
                continue
            self.call("person page", lambda: browser.get(f"/personer/{self.person_id}/"))
            self.call("person list", lambda: browser.get("/personer/"))

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)


def concern_in_flight() -> bool:
    """A registration is inside its transaction, its concern INSERT waiting on the trigger."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND query LIKE 'INSERT INTO \"persons_concern\"%%'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def summary(outcomes: list[Outcome]) -> str:
    counts = Counter((o.what, o.status) for o in outcomes)
    return ", ".join(f"{what} {status}: {n}" for (what, status), n in sorted(counts.items()))


def registered(names: set[str]) -> dict[str, list[FocusPerson]]:
    """The persons of the drill's concerns, by name (names are encrypted: read them all)."""
    found: dict[str, list[FocusPerson]] = {name: [] for name in names}
    for identity in Identity.objects.select_related("person__data_key"):
        if identity.name in found:
            found[identity.name].append(identity.person)
    return found


def whole(person: FocusPerson, forum: Forum) -> bool:
    """A concern registration is all there: the case file, the concern and its disclosure."""
    case_files = CaseFile.objects.filter(person=person, forum=forum)
    concerns = Concern.objects.filter(case_file__in=case_files)
    disclosed = Disclosure.objects.filter(source_id__in=concerns.values("pk"), person_id=person.pk)
    return case_files.count() == 1 and concerns.count() == 1 and disclosed.count() == 1


def test_postgres_restarted_under_load(stack: Stack) -> None:
    forum = Forum.objects.get(name=FORUM)
    person = CaseFile.objects.filter(forum=forum, closed_at__isnull=True).order_by("pk")[0].person
    browsers = [stack.browser(email) for email in USERS]
    agencies = dict(User.objects.filter(email__in=USERS).values_list("email", "agency_id"))
    persons_before = set(FocusPerson.objects.values_list("pk", flat=True))
    say(f"{len(browsers)} users logged in; load: person page, person list, concern registration")

    stack.psql(SLOW_CONCERNS)
    say("trigger installed: each concern INSERT waits 0.3 s inside its transaction")
    try:
        with Load({b: agencies[b.email] for b in browsers}, person.pk, forum.pk) as load:
            time.sleep(LOAD_BEFORE)
            assert wait_for(concern_in_flight, 10, interval=0.01), "no concern being written"
            started = time.monotonic()
            stack.restart_postgres()
            took = time.monotonic() - started
            say(f"PostgreSQL restarted (pg_ctl restart -m fast) in {took:.1f}s")
            time.sleep(LOAD_AFTER)
    finally:
        stack.psql(NORMAL_CONCERNS)
    outcomes = load.outcomes
    say(f"{len(outcomes)} requests under load: {summary(outcomes)}")

    failed = [o for o in outcomes if o.status >= 500 or o.status == 0]
    assert failed, "no request was caught by the restart; nothing was tested"
    unclean = [o for o in outcomes if not o.clean]
    assert not unclean, f"failed without a clean error page: {summary(unclean)}"
    assert all(o.status < 400 or o.status in FAILED_CLEANLY for o in outcomes), summary(outcomes)
    say(
        f"checked: {len(failed)} requests caught by the restart answered "
        f"{sorted({o.status for o in failed})} with the error page, no traceback, no SQL"
    )

    assert wait_for(lambda: browsers[0].get(f"/personer/{person.pk}/").status_code == 200, 20)
    later = [b.get(path).status_code for b in browsers for path in ("/personer/", "/")]
    assert set(later) == {200}, later
    say(f"checked: reconnected by itself; {len(later)} later requests all answered 200")

    connection.close()  # the drill process's own connection died with the restart
    concerns = [o for o in outcomes if o.what == "concern"]
    assert any(o.status >= 500 for o in concerns), "no registration was caught by the restart"
    persons = registered({o.name for o in concerns})
    for outcome in concerns:
        made = persons[outcome.name]
        if outcome.status == 302:
            assert len(made) == 1, f"{outcome.name}: answered 302, {len(made)} persons"
        assert len(made) <= 1 and all(whole(p, forum) for p in made), f"{outcome.name} is partial"
    new = FocusPerson.objects.exclude(pk__in=persons_before)
    ours = {p.pk for made in persons.values() for p in made}
    assert set(new.values_list("pk", flat=True)) == ours, "a person without its identity"
    kept = sum(1 for made in persons.values() if made)
    say(
        f"checked: of {len(concerns)} concern registrations {kept} are whole (person, identity, "
        f"case file, concern, disclosure) and {len(concerns) - kept} left nothing; no partial write"
    )
