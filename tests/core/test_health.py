from __future__ import annotations

import pytest
from django.urls import reverse

from core.services import worker_heartbeat_record


@pytest.mark.django_db
def test_health_reports_database_and_no_worker_yet(client):
    response = client.get(reverse("core:health"))

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "worker_last_seen": None}


@pytest.mark.django_db
def test_health_reports_latest_worker_heartbeat(client):
    heartbeat = worker_heartbeat_record(hostname="worker@a")

    body = client.get(reverse("core:health")).json()

    assert body["worker_last_seen"] == heartbeat.seen_at.isoformat()
