"""Error pages in Danish on the design system, JSON errors below /api/, never a traceback; and
one structured log line per request without the query string."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from pythonjsonlogger.json import JsonFormatter

from coordination import home_views
from core import api_views, views
from core.logs import RequestIdFilter

SECRET = "intern-detalje-7f3a"
DESIGN_SYSTEM = "vendor/dkfds/css/dkfds.min.css"


def assert_no_internals(content: str) -> None:
    for leak in ["Traceback", SECRET, "RuntimeError", 'File "', "settings.py"]:
        assert leak not in content


@pytest.fixture
def crashing_page(monkeypatch):
    def crash(self, **kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(home_views.HomeView, "get_context_data", crash)


@pytest.mark.django_db
def test_a_crash_gives_the_danish_500_page_without_internals(world, crashing_page):
    client = Client(raise_request_exception=False)
    client.force_login(world.school_member)

    response = client.get(reverse("coordination:home"))

    assert response.status_code == 500
    content = response.content.decode()
    assert "Der opstod en fejl" in content
    assert DESIGN_SYSTEM in content
    assert_no_internals(content)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_crash_in_the_api_is_json(world, monkeypatch):
    def crash(self, request):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(api_views.NotificationListView, "get", crash)
    client = Client(raise_request_exception=False)
    client.force_login(world.school_member)

    response = client.get("/api/v1/notifications/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Der opstod en fejl. Prøv igen, eller kontakt support."}
    assert_no_internals(response.content.decode())


def test_the_500_page_needs_no_database_and_no_context_processors():
    # No django_db mark: any query here would fail the test.
    response = views.server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "Der opstod en fejl" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("logged_in", [False, True])
def test_404_page_is_danish(world, client, logged_in):
    if logged_in:
        client.force_login(world.school_member)

    response = client.get("/findes-ikke/")

    assert response.status_code == 404
    content = response.content.decode()
    assert "Siden findes ikke" in content
    assert DESIGN_SYSTEM in content
    assert ("Log ud på alle enheder" in content) is logged_in


@pytest.mark.django_db
def test_unknown_api_path_is_a_json_404(world, client):
    client.force_login(world.school_member)

    response = client.get("/api/v1/findes-ikke/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Findes ikke."}


@pytest.mark.django_db
def test_403_page_is_danish(world, client):
    client.force_login(world.dpo)  # the DPO never sees content pages

    response = client.get(reverse("coordination:person-list"))

    assert response.status_code == 403
    content = response.content.decode()
    assert "Ingen adgang" in content
    assert DESIGN_SYSTEM in content


@pytest.mark.django_db
def test_csrf_failure_page_is_danish(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.school_member)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 403
    content = response.content.decode()
    assert "Formularen er udløbet" in content
    assert "CSRF verification failed" not in content


def test_400_page_is_danish(client):
    response = client.get("/", HTTP_HOST="angriber.example")  # not in ALLOWED_HOSTS

    assert response.status_code == 400
    content = response.content.decode()
    assert "Ugyldig forespørgsel" in content
    assert DESIGN_SYSTEM in content
    assert "angriber.example" not in content


# --- logs ------------------------------------------------------------------------------------


@pytest.fixture
def json_log():
    """The request logger through the JSON formatter as LOGGING configures it (LOG_FORMAT=json)."""
    config: dict[str, Any] = settings.LOGGING
    options = dict(config["formatters"]["json"])
    assert options.pop("()") == "pythonjsonlogger.json.JsonFormatter"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**options))
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("tvaers.request")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


@pytest.mark.django_db
def test_one_json_line_per_request_without_query_string_or_path(world, client, json_log):
    client.force_login(world.school_member)
    url = reverse("coordination:person-detail", args=[world.person.pk])

    response = client.get(url + "?q=Jens+Hansen+0101101234", HTTP_X_REQUEST_ID="req-abcdef12")

    lines = json_log.getvalue().strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["request_id"] == response["X-Request-ID"]
    assert record["client_request_id"] == "req-abcdef12"
    assert record["user_id"] == world.school_member.pk
    assert record["method"] == "GET"
    assert record["route"] == "/personer/<int:pk>/"
    assert record["view"] == "coordination:person-detail"
    assert record["status"] == 200
    assert isinstance(record["duration_ms"], float)
    assert {"time", "level", "logger", "message"} <= record.keys()
    for leak in ["Jens", "0101101234", "q=", url]:
        assert leak not in lines[0]


@pytest.mark.django_db
def test_the_request_line_of_a_crash_says_500(world, crashing_page, json_log):
    client = Client(raise_request_exception=False)
    client.force_login(world.school_member)

    client.get(reverse("coordination:home"))

    record = json.loads(json_log.getvalue().strip().splitlines()[-1])
    assert record["status"] == 500
    assert record["view"] == "coordination:home"


def test_logging_is_configured_with_the_request_id_filter():
    config: dict[str, Any] = settings.LOGGING
    handler = config["handlers"]["console"]
    assert handler["formatter"] == settings.LOG_FORMAT
    assert handler["filters"] == ["request_id"]
