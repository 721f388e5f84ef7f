"""Migration audit 0011 removes the reasons that change-log rows recorded in plaintext before
they were encrypted, and keeps everything else in those rows."""

from __future__ import annotations

import importlib

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from persons.models import CaseFile

pytestmark = pytest.mark.django_db

scrub = importlib.import_module("audit.migrations.0011_scrub_reasons_from_changelog").scrub


class _Editor:
    connection = connection


def test_old_reason_text_leaves_the_change_log(world):
    old = LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(CaseFile),
        object_pk=str(world.case_file.pk),
        object_repr="sag",
        action=LogEntry.Action.UPDATE,
        changes={
            "named_reason": ["", "Familien skal have hjælp fra flere myndigheder nu."],
            "discussion_mode": ["anonymous", "named"],
        },
    )

    scrub(apps, _Editor())

    old.refresh_from_db()
    assert old.changes == {"discussion_mode": ["anonymous", "named"]}
    assert "Familien" not in repr(list(LogEntry.objects.values_list("changes", flat=True)))
