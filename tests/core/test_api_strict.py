"""The API is as strict as its schema says (what schemathesis checks in `make security`):
``page`` and ``page_size`` are whole numbers in range or a 400 with a Danish message, never
silently the default; a page past the last one is a 404; a body value of the wrong JSON type is
a 400, not coerced; an unknown path is a JSON 404 even with DEBUG on."""

from __future__ import annotations

import json

import pytest

from forums.models import Forum

URL = "/api/v1/forums/"


@pytest.fixture
def api(world, client):
    client.force_login(world.coordinator)
    return client


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=null", "page_size"),
        ("page_size=", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=-5", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=1.5", "page_size"),
        ("page_size=%C2%B2", "page_size"),
        ("page=null", "page"),
        ("page=0", "page"),
        ("page=last", "page"),
        ("page=99999999999999999999999", "page"),
        ("page=1&page=2", "page"),
        ("page_size=10&page_size=10", "page_size"),
    ],
)
def test_invalid_page_parameters_are_400(api, query, field):
    response = api.get(f"{URL}?{query}")

    assert response.status_code == 400, (query, response.status_code, response.content)
    body = response.json()
    assert body["detail"] == "Ugyldige data."
    assert list(body["errors"]) == [field]
    assert body["errors"][field][0].startswith(("Skal være et helt tal", "Må kun angives én"))


def test_valid_page_parameters_page(api, world):
    default = api.get(URL)
    largest = api.get(f"{URL}?page_size=200&page=1")
    smallest = api.get(f"{URL}?page_size=1")

    assert default.status_code == largest.status_code == smallest.status_code == 200
    assert default.json()["results"] == largest.json()["results"]
    assert len(smallest.json()["results"]) == 1
    assert default.json()["count"] >= 1


def test_page_past_the_last_is_404_in_danish(api):
    response = api.get(f"{URL}?page=999")

    assert response.status_code == 404
    assert response.json()["detail"] == "Siden findes ikke."


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": 0}, "name", "Skal være tekst."),
        ({"name": ["PSP Nord"]}, "name", "Skal være tekst."),
        ({"municipality": "MUNICIPALITY"}, "municipality", "Skal være et helt tal."),
        ({"municipality": True}, "municipality", "Skal være et helt tal."),
        ({"agencies": ["AGENCY"]}, "agencies", "Skal være et helt tal."),
    ],
)
def test_body_values_of_the_wrong_json_type_are_400(api, world, change, field, message):
    body = {"name": "PSP Nord", "kind": "psp", "municipality": world.forum.municipality_id}
    body["agencies"] = [world.police.pk]
    body = {**body, **change}
    for key, value in body.items():  # the ids, sent as text
        if value == "MUNICIPALITY":
            body[key] = str(world.forum.municipality_id)
        elif value == ["AGENCY"]:
            body[key] = [str(world.police.pk)]
    forums = Forum.objects.count()

    response = api.post(URL, json.dumps(body), content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {field: [message]}
    assert Forum.objects.count() == forums


def test_body_values_of_the_right_json_type_are_accepted(api, world):
    body = {"name": "PSP Nord", "kind": "psp", "municipality": world.forum.municipality_id}

    response = api.post(URL, json.dumps(body), content_type="application/json")

    assert response.status_code == 201, response.content


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unknown_api_path_is_json_404_even_with_debug(api, settings, method):
    settings.DEBUG = True

    response = getattr(api, method)("/api/v1/forums/null,null/")
    newline = getattr(api, method)("/api/v1/person-grants/D%0AE/")

    assert newline.status_code == 404
    assert newline.json() == {"detail": "Findes ikke."}

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Findes ikke."}


def test_a_nul_in_an_api_query_is_a_json_400(api):
    response = api.get(f"{URL}?q=%00")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] == "Ugyldigt tegn i forespørgslen."
    assert response.json()["errors"] == {"non_field_errors": ["Ugyldigt tegn i forespørgslen."]}
