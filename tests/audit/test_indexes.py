"""The DPO's person and user queries use indexes, not scans, on a table with many events.

10 million rows do not fit a unit test; 60,000 events over 2,000 persons and 3 users make
the planner choose by cost, and the plans must name the indexes (a timing would prove nothing
on a shared machine). `ANALYZE` gives it real statistics.
"""

from __future__ import annotations

import pytest
from django.db import connection

from audit import selectors
from audit.models import AccessEventSubject, PseudonymAlias
from tests.factories import UserFactory

EVENTS = 60_000


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def many_events(db):
    users = [UserFactory.create() for _ in range(3)]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO audit_accessevent (seq, prev_hash, row_hash, occurred_at, actor_id,
                action, object_ids, person_ids, person_pseudonyms, search_criterion, reason,
                request_id)
            SELECT n, repeat('0', 64), repeat('0', 64),
                   now() - (n || ' seconds')::interval,
                   %s + (n %% 3), 'view_person', '[]'::jsonb,
                   jsonb_build_array(n %% 2000), jsonb_build_array('P-' || (n %% 2000)), '', '', ''
            FROM generate_series(1, %s) AS n
            """,
            [users[0].pk, EVENTS],
        )
        cursor.execute(
            """
            INSERT INTO audit_accesseventsubject (event_id, person_id, pseudonym)
            SELECT id, (person_ids->>0)::bigint, person_pseudonyms->>0 FROM audit_accessevent
            """
        )
        cursor.execute("ANALYZE audit_accessevent")
        cursor.execute("ANALYZE audit_accesseventsubject")
    return users


@pytest.mark.django_db
def test_person_history_query_uses_the_subject_index(many_events):
    text = plan(selectors.access_events(scope=selectors.Scope.ALL, person="1234")[:50])

    assert "subject_person_idx" in text, text
    assert "Seq Scan on audit_accesseventsubject" not in text, text


@pytest.mark.django_db
def test_pseudonym_query_uses_the_pseudonym_index(many_events):
    """A pseudonym is first resolved to its person (old names too, through the alias table),
    then the events are found by person: both steps use an index."""
    resolve = plan(AccessEventSubject.objects.filter(pseudonym="P-77").values("person_id")[:1])
    alias = plan(PseudonymAlias.objects.filter(pseudonym="P-77").values("person_id"))
    text = plan(selectors.access_events(scope=selectors.Scope.ALL, person="P-77")[:50])

    assert "subject_pseudonym_idx" in resolve, resolve
    assert "Seq Scan" not in alias, alias
    assert "Seq Scan on audit_accesseventsubject" not in text, text


@pytest.mark.django_db
def test_user_history_query_uses_an_index_not_a_scan(many_events):
    text = plan(selectors.access_events(scope=selectors.Scope.ALL, user=many_events[1].pk)[:50])

    assert "Seq Scan on audit_accessevent " not in text + " ", text
    assert "Index" in text, text


@pytest.mark.django_db
def test_newest_first_listing_reads_an_index_without_counting(many_events):
    text = plan(selectors.access_events(scope=selectors.Scope.ALL)[:50])

    assert "Index Scan Backward" in text or "Index Scan" in text, text
    assert "count(" not in text.lower()
