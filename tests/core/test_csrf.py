"""A forged cross-site POST (the victim's session cookie, no CSRF token) is refused with 403
and writes nothing, on a page form and on the session-authenticated API. The same request
with the token goes through, so the refusals are CSRF's and not something else's."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from persons.models import Concern, FocusPerson
from tests.world import NECESSITY, World

EVIL_ORIGIN = "https://angriber.example.org"
FORGED_NAME = "Forfalsket Person"


def _client(world: World) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.coordinator)
    return client


def _csrf_token(client: Client, page: str) -> str:
    response = client.get(page)
    assert response.status_code == 200
    token = response.context["csrf_token"]
    assert token
    return str(token)


def _page_data(world: World) -> dict[str, Any]:
    return {
        "forum": world.forum.pk,
        "name": FORGED_NAME,
        "birth_date": "2012-05-05",
        "categories": [world.concern.categories[0]],
        "description": "Forfalsket bekymring",
        "source_agency": world.coordinator.agency_id,
        "necessity": NECESSITY,
    }


def _api_data(world: World) -> dict[str, Any]:
    return {
        "forum": world.forum.pk,
        "identity": {"name": FORGED_NAME, "birth_date": "2012-05-05"},
        "categories": [world.concern.categories[0]],
        "description": "Forfalsket bekymring",
        "necessity": NECESSITY,
    }


def _written() -> tuple[int, int]:
    return Concern.objects.count(), FocusPerson.objects.count()


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_ORIGIN": EVIL_ORIGIN, "HTTP_REFERER": f"{EVIL_ORIGIN}/side"}],
    ids=["no-token", "cross-site-origin"],
)
def test_forged_post_on_a_page_form_is_refused(world, headers):
    client = _client(world)
    before = _written()

    response = client.post("/bekymringer/ny/", _page_data(world), **headers)

    assert response.status_code == 403
    assert _written() == before


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_ORIGIN": EVIL_ORIGIN},
        {"HTTP_X_CSRFTOKEN": "forfalsket-token-uden-gyldig-vaerdi-1234567890abcdef"},
    ],
    ids=["no-token", "cross-site-origin", "wrong-token"],
)
def test_forged_post_on_the_session_api_is_refused(world, headers):
    client = _client(world)
    _csrf_token(
        client, "/bekymringer/ny/"
    )  # the victim has a CSRF cookie; the forger can't read it
    before = _written()

    response = client.post(
        "/api/v1/concerns/", _api_data(world), content_type="application/json", **headers
    )

    assert response.status_code == 403, response.content
    assert "CSRF" in response.json()["detail"]
    assert _written() == before


def test_the_same_posts_with_the_token_are_accepted(world):
    """Control: what the refusals above refuse is the missing token, nothing else."""
    client = _client(world)
    token = _csrf_token(client, "/bekymringer/ny/")
    before = _written()

    page = client.post("/bekymringer/ny/", {**_page_data(world), "csrfmiddlewaretoken": token})
    api = client.post(
        "/api/v1/concerns/",
        _api_data(world),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert page.status_code == 302, page.content
    assert api.status_code == 201, api.content
    assert _written()[0] == before[0] + 2
