"""The UI is Danish; English comes through Django's i18n (locale/en) and the switch in the
header; API errors and the audit verification answer in Danish unless the client asks for
English; dates are written the Danish way. The committed catalogues are compiled and complete."""

from __future__ import annotations

import datetime
import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import formats, translation

from audit.models import AccessEvent
from audit.services import access_record, sequence_pending
from audit.verify import verify_all, verify_chain
from tests.audit.test_chain import delete_events

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
CATALOGUES = [LOCALE / "en" / "LC_MESSAGES", LOCALE / "da" / "LC_MESSAGES"]
# The same options as `make messages`.
MAKEMESSAGES_IGNORE = [".venv", "node_modules", "var", "tests", "locale"]


def html_lang(response: HttpResponse) -> str:
    content: str = response.content.decode()
    start = content.index("<html lang=")
    return content[start : content.index(">", start)]


@pytest.fixture
def coordinator(world, client: Client) -> Client:
    client.force_login(world.coordinator)
    return client


def test_a_page_is_danish_by_default(coordinator):
    page = coordinator.get(reverse("forums:list"))

    assert html_lang(page) == '<html lang="da"'
    assert "Fora, du er medlem af" in page.content.decode()
    assert 'lang="en">English' in page.content.decode()  # the switch offers the other language


def test_a_language_tværs_lacks_falls_back_to_danish(coordinator):
    page = coordinator.get(reverse("forums:list"), HTTP_ACCEPT_LANGUAGE="fr, de;q=0.8")

    assert html_lang(page) == '<html lang="da"'


def test_the_switch_outranks_the_browsers_language(coordinator):
    coordinator.post(reverse("set_language"), {"language": "da", "next": "/"})

    page = coordinator.get(reverse("forums:list"), HTTP_ACCEPT_LANGUAGE="en")

    assert html_lang(page) == '<html lang="da"'


def test_the_switch_turns_the_same_page_english_and_back(coordinator):
    url = reverse("forums:list")

    switched = coordinator.post(reverse("set_language"), {"language": "en", "next": url})
    page = coordinator.get(url)

    assert switched.status_code == 302
    assert switched["Location"] == url
    assert html_lang(page) == '<html lang="en"'
    assert "Forums you are a member of" in page.content.decode()
    assert "Fora, du er medlem af" not in page.content.decode()
    assert 'lang="da">Dansk' in page.content.decode()

    coordinator.post(reverse("set_language"), {"language": "da", "next": url})
    assert html_lang(coordinator.get(url)) == '<html lang="da"'


@pytest.mark.parametrize(
    ("persona", "url_name", "english"),
    [
        ("coordinator", "coordination:home", "Welcome"),
        ("coordinator", "forums:list", "Forums you are a member of"),
        ("coordinator", "coordination:person-list", "Search by pseudonym"),
        ("coordinator", "persons:concern-create", "Description of the concern"),
        ("coordinator", "coordination:sessions", "Upcoming sessions"),
        ("coordinator", "coordination:my-tasks", "My actions"),
        ("coordinator", "persons:retention", "Deletion takes place at night"),
        ("coordinator", "core:notifications", "Notifications"),
        ("dpo", "audit:dashboard", "Data protection: overview"),
        ("dpo", "audit:verify", "Verification of the audit trail"),
    ],
)
def test_the_main_pages_render_in_english(world, client, persona, url_name, english):
    client.force_login(getattr(world, persona))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    page = client.get(reverse(url_name))

    assert page.status_code == 200
    assert html_lang(page) == '<html lang="en"'
    assert english in page.content.decode()
    assert "Skip to main content" in page.content.decode()  # base.html, in English too


def test_the_choice_is_kept_in_a_cookie_scripts_cannot_read(coordinator):
    response = coordinator.post(reverse("set_language"), {"language": "en", "next": "/"})

    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_the_switch_needs_a_post_with_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.coordinator)

    forged = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    by_get = client.get(reverse("set_language"), {"language": "en", "next": "/"})

    assert forged.status_code == 403
    assert settings.LANGUAGE_COOKIE_NAME not in by_get.cookies
    assert html_lang(client.get(reverse("forums:list"))) == '<html lang="da"'


def test_the_switch_never_redirects_off_site(coordinator):
    response = coordinator.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_the_login_page_offers_the_switch_to_anonymous_users(client):
    page = client.get(reverse("accounts:login"))

    assert f'action="{reverse("set_language")}"' in page.content.decode()


def test_an_api_validation_error_is_danish_by_default(coordinator):
    response = coordinator.post("/api/v1/forums/", {}, content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Ugyldige data."
    assert body["errors"]["name"] == ["Dette felt er påkrævet."]  # DRF's own, in Danish


def test_an_api_client_may_ask_for_english(coordinator):
    response = coordinator.post(
        "/api/v1/forums/", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )

    body = response.json()
    assert body["detail"] == "Invalid data."
    assert body["errors"]["name"] == ["This field is required."]


def test_drf_messages_missing_from_its_danish_catalogue_come_from_ours(coordinator):
    # DRF has no Danish for its surrogate check; locale/da supplies it.
    response = coordinator.post(
        "/api/v1/forums/",
        '{"name": "SSP \\ud800"}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["name"] == ["Surrogattegn er ikke tilladt: U+D800."]


@pytest.fixture
def broken_trail(world):
    for _ in range(2):
        access_record(actor=world.coordinator, action="view_person", objects=[world.person])
    sequence_pending()
    delete_events(AccessEvent.objects.order_by("seq")[0])


@pytest.mark.django_db
def test_the_verification_problems_are_danish(broken_trail):
    result = verify_chain(AccessEvent)

    assert not result.ok
    assert result.problem.startswith("Adgangshændelser, række id ")
    assert "der mangler rækker" in result.problem


@pytest.mark.django_db
def test_the_verification_problems_follow_the_active_language(broken_trail):
    with translation.override("en"):
        result = verify_all()

    assert "row id" in result.problem
    assert "rows are missing" in result.problem


def test_dates_on_a_page_are_danish(coordinator, world):
    page = coordinator.get(reverse("persons:forum-detail", args=[world.forum.pk]))

    assert "1. januar 2026" in page.content.decode()  # the members' valid_from


@pytest.mark.parametrize(
    ("language", "date_text", "datetime_text"),
    [
        ("da", "3. marts 2026", "3. marts 2026 14:05"),
        ("en", "3 March 2026", "3 March 2026 14:05"),
    ],
)
def test_the_date_formats_follow_the_language(language, date_text, datetime_text):
    moment = datetime.datetime(2026, 3, 3, 14, 5)  # noqa: DTZ001  # a wall-clock time to format
    with translation.override(language):
        assert formats.date_format(moment.date()) == date_text
        assert formats.date_format(moment, "DATETIME_FORMAT") == datetime_text


@pytest.mark.parametrize("typed", ["03-03-2026", "03.03.2026", "2026-03-03"])
@pytest.mark.parametrize("language", ["da", "en"])
def test_forms_take_danish_and_iso_dates(language, typed):
    with translation.override(language):
        field = forms.DateField()
        assert field.clean(typed) == datetime.date(2026, 3, 3)


def _catalogue(mo: Path) -> dict[object, str]:
    with mo.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


@pytest.mark.parametrize("folder", CATALOGUES, ids=lambda folder: folder.parent.name)
def test_the_committed_mo_matches_its_po(folder, tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(
        ["msgfmt", "--check", "-o", str(fresh), str(folder / "django.po")],
        check=True,
        capture_output=True,
    )

    assert _catalogue(folder / "django.mo") == _catalogue(fresh), "run `make messages`"


def _msgids(po: Path, *flags: str) -> list[str]:
    selected = subprocess.run(
        ["msgattrib", *flags, "--no-obsolete", "--no-wrap", str(po)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in selected.splitlines() if line.startswith("msgid ")][1:]


def _source_tree(folder: Path) -> Path:
    """The repository's sources as links in ``folder``, without locale/: makemessages writes
    into any locale/ beside the files it reads, and the committed catalogue must stay as it is."""
    folder.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in MAKEMESSAGES_IGNORE and not entry.name.startswith("."):
            (folder / entry.name).symlink_to(entry)
    return folder


def test_every_danish_string_in_the_code_has_its_english(tmp_path, monkeypatch):
    """A fresh makemessages over the code (into a copy of the catalogue) finds nothing
    untranslated or fuzzy: a new string needs its English before it is committed."""
    committed = LOCALE / "en" / "LC_MESSAGES" / "django.po"
    copy = tmp_path / "locale" / "en" / "LC_MESSAGES"
    copy.mkdir(parents=True)
    shutil.copy(committed, copy / "django.po")
    before = committed.read_bytes()
    copied_at = (copy / "django.po").stat().st_mtime_ns
    monkeypatch.chdir(_source_tree(tmp_path / "src"))

    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command(
            "makemessages",
            locale=["en"],
            ignore_patterns=MAKEMESSAGES_IGNORE,
            add_location="file",
            no_obsolete=True,
            symlinks=True,
            verbosity=0,
        )

    po = copy / "django.po"
    assert committed.read_bytes() == before
    assert po.stat().st_mtime_ns > copied_at  # makemessages wrote here, not in the repository
    missing = _msgids(po, "--untranslated") + _msgids(po, "--only-fuzzy")
    assert missing == [], "add the English in locale/en (run `make messages`)"
