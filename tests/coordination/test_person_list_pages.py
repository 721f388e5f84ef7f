"""The person list is paged by pseudonym (keyset, ``?efter=``): no page needs a count of the
whole list, a page deep in the list costs what the first does, and the key reveals nothing."""

from __future__ import annotations

import re

import pytest

import coordination.views
from audit.models import AccessEvent
from tests.test_query_counts import add_persons, measure

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(coordination.views, "PERSON_PAGE", 4)


def shown(response) -> list[str]:
    return re.findall(
        r'<a href="/personer/\d+/">([A-Z0-9]{4}-[A-Z0-9]{4})</a>', response.content.decode()
    )


def next_link(response) -> str | None:
    found = re.search(r'href="\?([^"]*efter=[^"]*)" rel="next"', response.content.decode())
    return found.group(1).replace("&amp;", "&") if found else None


def test_pages_follow_each_other_without_gaps_or_repeats(world, client, small_pages):
    add_persons(world)  # 10 more on the school member's forum
    client.force_login(world.school_member)
    seen: list[str] = []
    url = "/personer/"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = shown(response)
        assert 0 < len(page) <= 4
        seen.extend(page)
        link = next_link(response)
        url = f"/personer/?{link}" if link else ""
        pages += 1
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) >= 11
    assert pages == -(-len(seen) // 4)


def test_a_deeper_page_costs_the_same_queries(world, client, small_pages):
    add_persons(world)
    client.force_login(world.school_member)
    client.get("/personer/")
    first, response = measure(client, "/personer/")
    deeper, _ = measure(client, f"/personer/?{next_link(response)}")
    assert deeper == first


def test_each_page_records_only_what_it_shows(world, client, small_pages):
    add_persons(world)
    client.force_login(world.school_member)
    response = client.get("/personer/")
    event = AccessEvent.objects.filter(request_id=response["X-Request-ID"]).get()
    assert event.person_pseudonyms == shown(response)


@pytest.mark.parametrize("bad", ["1", "x' OR 1=1", "ABCD-EFG", "K7QM-XR42-", "ØØØØ-ØØØØ"])
def test_a_key_that_is_no_pseudonym_is_a_clear_400(world, client, bad):
    client.force_login(world.school_member)
    response = client.get("/personer/", {"efter": bad})
    assert response.status_code == 400
    assert "Næste side" in response.content.decode()
    assert not AccessEvent.objects.filter(request_id=response["X-Request-ID"]).exists()


def test_the_key_of_another_forums_person_reveals_nothing(world, client, small_pages):
    """The key is only a place in the alphabet: another forum's pseudonym as the key pages the
    user's own list from there, whether or not that person exists."""
    client.force_login(world.school_member)
    known = client.get("/personer/", {"efter": world.other_person.pseudonym})
    invented = client.get("/personer/", {"efter": "ZZZZ-ZZZZ"})
    assert known.status_code == invented.status_code == 200
    assert world.other_person.pseudonym not in shown(known)
    assert all(p > world.other_person.pseudonym for p in shown(known))
    assert shown(invented) == []
