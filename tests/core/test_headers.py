"""Every route, for every persona of the access matrix, answers with the security headers:
a CSP that forbids framing, Cache-Control: no-store, a same-origin Referrer-Policy and nosniff.
HSTS is checked with production's values; the API schema is for logged-in users only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests.test_access_matrix import ACTORS, MATRIX, PERSONA, Case
from tests.test_access_matrix import matrix_world as matrix_world  # the fixture, re-exported
from tests.world import World

pytestmark = pytest.mark.django_db


def routes_without_arguments() -> list[str]:
    """The URL of every named route outside the matrix that takes no argument (pages of core
    and accounts, the schema, the admin's index...)."""
    urls: list[str] = []

    def walk(resolver: URLResolver, namespace: str | None) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                walk(pattern, f"{namespace}:{inner}" if namespace and pattern.namespace else inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                if name in MATRIX:
                    continue
                try:
                    urls.append(reverse(name))
                except NoReverseMatch:
                    continue  # takes an argument: the matrix covers the routes that do

    walk(get_resolver(), None)
    return sorted(set(urls))


def requests_for(world: World) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Each matrix case, then each route without arguments. Each inside a savepoint rolled back
    afterwards, so every case meets the matrix world as it was built (as in the matrix)."""
    calls: list[Callable[[], tuple[str, str, dict[str, Any]]]] = []
    for cases in MATRIX.values():
        for case in cases:
            calls.append(partial(_call, case, world))
    for url in [*routes_without_arguments(), "/findes-ikke/"]:  # and the 404 page
        calls.append(partial(_get, url))
    for call in calls:
        with transaction.atomic():
            yield call()
            transaction.set_rollback(True)


def _get(url: str) -> tuple[str, str, dict[str, Any]]:
    return "get", url, {}


def _call(case: Case, world: World) -> tuple[str, str, dict[str, Any]]:
    data = case.data(world)
    kwargs: dict[str, Any] = {}
    if case.api and case.method != "get":
        kwargs = {"data": data, "content_type": "application/json"}
    elif case.method == "post":
        kwargs = {"data": data}
    return case.method, case.url(world), kwargs


def assert_security_headers(response: Any, where: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, where
    assert "form-action 'self'" in csp, where
    assert "base-uri 'none'" in csp, where
    assert "no-store" in response.get("Cache-Control", ""), where
    assert response.get("Referrer-Policy") == "same-origin", where
    assert response.get("X-Content-Type-Options") == "nosniff", where
    assert response.get("X-Frame-Options") == "DENY", where


def test_the_walk_covers_more_than_the_matrix():
    urls = routes_without_arguments()
    for name in ["core:health", "core:notifications", "accounts:login", "api-schema"]:
        assert reverse(name) in urls


@pytest.mark.parametrize("actor", ACTORS)
def test_every_route_sends_the_security_headers(matrix_world, actor):
    client = Client()
    client.raise_request_exception = False  # a crash page must carry the headers as well
    if actor != "anonymous":
        client.force_login(getattr(matrix_world, PERSONA[actor]))
    statuses = set()
    for method, url, kwargs in requests_for(matrix_world):
        response = getattr(client, method)(url, **kwargs)
        statuses.add(response.status_code)
        assert response.status_code != 500, f"{method} {url}"
        assert_security_headers(response, f"{actor}: {method} {url} -> {response.status_code}")
    assert {200, 404} <= statuses or actor == "anonymous"


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_static_files_keep_their_caching():
    """no-store is for Django's answers; static files (whitenoise) stay cacheable."""
    response = Client().get("/static/favicon.svg")  # a new client: whitenoise reads the above

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@override_settings(
    SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True
)
def test_hsts_is_sent_over_https_with_productions_values(client):
    response = client.get(reverse("accounts:login"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_api_schema_is_only_for_logged_in_users(world, client):
    assert client.get(reverse("api-schema")).status_code == 401

    client.force_login(world.school_member)
    response = client.get(reverse("api-schema"))

    assert response.status_code == 200
    assert b"/api/v1/persons/" in response.content
