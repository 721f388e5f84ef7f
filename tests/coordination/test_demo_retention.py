"""The demo shows retention at work: one case file falls due within the notice period, one is
overdue and goes at the next run; seeding again adds nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import User
from accounts.roles import Role
from persons import retention
from persons.models import DeletedCaseFile

pytestmark = pytest.mark.django_db


def test_demo_has_a_due_list_and_a_case_for_tonights_run():
    # Earlier transactional tests flush the role groups the migrations created.
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    call_command("seed_demo", allow_production=True, verbosity=0)
    coordinator = User.objects.get(email="koordinator@kk.demo.tvaers.dk")

    rows = retention.due_list(user=coordinator)

    assert len(rows) == 2
    assert sum(1 for row in rows if row.case_file.closed_at is not None) == 1
    run = retention.apply_retention()
    assert (run.deleted_case_files, run.deleted_persons) == (1, 1)
    assert DeletedCaseFile.objects.get().cause == DeletedCaseFile.Cause.CLOSED
    assert len(retention.due_list(user=coordinator)) == 1
