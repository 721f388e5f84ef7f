"""The request id is Tværs' own, whatever the client sends; the client's X-Request-ID is kept
beside it, sanitised. The client address believes X-Forwarded-For only as far as
TRUSTED_PROXY_COUNT trusted proxies vouch for it."""

from __future__ import annotations

import re

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from rest_framework.request import Request

from audit.models import AccessEvent
from core import request_context
from core.request_context import RequestContextMiddleware, RequestMeta, client_ip

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def through_middleware(request: HttpRequest) -> tuple[RequestMeta, HttpResponse]:
    seen: list[RequestMeta] = []

    def view(_: HttpRequest) -> HttpResponse:
        meta = request_context.current()
        assert meta is not None
        seen.append(meta)
        return HttpResponse("ok")

    response = RequestContextMiddleware(view)(request)
    return seen[0], response


def test_a_client_request_id_never_replaces_the_generated_one():
    spoofed = "abcdef0123456789abcdef0123456789"  # looks exactly like one of ours
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID=spoofed)

    meta, response = through_middleware(request)

    assert HEX32.match(meta.request_id)
    assert meta.request_id != spoofed
    assert meta.client_request_id == spoofed
    assert response["X-Request-ID"] == meta.request_id
    assert request_context.current() is None  # reset after the request


def test_two_requests_with_the_same_client_id_get_different_ids():
    factory = RequestFactory()
    first, _ = through_middleware(factory.get("/", HTTP_X_REQUEST_ID="same-id-123"))
    second, _ = through_middleware(factory.get("/", HTTP_X_REQUEST_ID="same-id-123"))

    assert first.request_id != second.request_id
    assert first.client_request_id == second.client_request_id == "same-id-123"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("", ""),
        ("ok-id_1.2", "ok-id_1.2"),
        ("<script>alert(1)</script>", "scriptalert1script"),
        ("a b\tc;d'e\"f", "abcdef"),
        ("x" * 500, "x" * 64),
        ("é-ø-å-\u202e-1", "----1"),
    ],
)
def test_the_client_request_id_is_sanitised_and_truncated(sent, kept):
    meta, _ = through_middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID=sent))

    assert meta.client_request_id == kept
    assert HEX32.match(meta.request_id)


@pytest.mark.django_db
def test_the_audit_row_stores_the_generated_id(world, client):
    client.force_login(world.school_member)

    response = client.get(
        f"/api/v1/persons/{world.person.pk}/", HTTP_X_REQUEST_ID="forged-request-id-0001"
    )

    assert response.status_code == 200
    event = AccessEvent.objects.get(action="view_person")
    assert event.request_id == response["X-Request-ID"]
    assert HEX32.match(event.request_id)


# --- client address --------------------------------------------------------------------------


def make(remote: str = "10.0.0.5", forwarded: str | None = None) -> HttpRequest:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(make(forwarded="203.0.113.9")) == "10.0.0.5"
    assert client_ip(make(forwarded="203.0.113.9, 198.51.100.1")) == "10.0.0.5"
    assert client_ip(make()) == "10.0.0.5"


def test_with_one_proxy_the_rightmost_address_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    # The client wrote 203.0.113.9 itself; our proxy appended what it saw: 198.51.100.7.
    assert client_ip(make(forwarded="203.0.113.9, 198.51.100.7")) == "198.51.100.7"
    assert client_ip(make(forwarded="198.51.100.7")) == "198.51.100.7"
    assert client_ip(make(forwarded="2001:DB8::0:1")) == "2001:db8::1"


def test_with_two_proxies_the_second_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_ip(make(forwarded="1.1.1.1, 198.51.100.7, 10.1.1.1")) == "198.51.100.7"


@pytest.mark.parametrize("forwarded", [None, "", "not-an-address", "198.51.100.7, junk"])
def test_a_missing_short_or_garbled_header_falls_back_to_remote_addr(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(make(forwarded=forwarded)) == "10.0.0.5"


def test_a_header_shorter_than_the_proxy_count_falls_back_to_remote_addr(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_ip(make(forwarded="203.0.113.9")) == "10.0.0.5"


def test_a_drf_request_is_unwrapped(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(Request(make(forwarded="198.51.100.7"))) == "198.51.100.7"


@pytest.mark.django_db
@pytest.mark.parametrize(("count", "expected"), [(0, "10.0.0.5"), (1, "198.51.100.7")])
def test_the_audit_row_stores_the_trusted_address(world, client, settings, count, expected):
    settings.TRUSTED_PROXY_COUNT = count
    client.force_login(world.school_member)

    response = client.get(
        f"/api/v1/persons/{world.person.pk}/",
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.7",
    )

    assert response.status_code == 200
    assert AccessEvent.objects.get(action="view_person").ip_address == expected
