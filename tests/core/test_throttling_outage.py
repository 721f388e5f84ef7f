"""The API's rate-limit counters live in Redis in production: with the cache unreachable the
API keeps answering (the request is let through and logged) instead of a 500 on every call
(found by `make drills`)."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_down(monkeypatch):
    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(cache, "get", unreachable)
    monkeypatch.setattr(cache, "set", unreachable)


def test_the_api_answers_with_its_counters_unreachable(world, client, cache_down, caplog):
    client.force_login(world.school_member)
    with caplog.at_level(logging.WARNING, logger="tvaers.throttling"):
        response = client.get("/api/v1/persons/")
    assert response.status_code == 200
    assert "rate limit user not checked" in caplog.text


def test_a_refused_connection_is_let_through_too(world, client, monkeypatch):
    def refused(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(cache, "get", refused)
    client.force_login(world.school_member)
    assert client.get("/api/v1/persons/").status_code == 200


def test_with_the_cache_up_the_limit_still_holds(world, client, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    rates["user"] = "2/min"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    cache.clear()
    client.force_login(world.school_member)
    statuses = [client.get("/api/v1/persons/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
