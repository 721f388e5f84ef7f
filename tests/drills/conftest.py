"""Fault drills (`make drills`): real processes broken on purpose. Collected only when
TVAERS_DRILLS=1 (make drills sets it), so `make test` passes over them: they kill and restart
the services they run on and take minutes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings

if TYPE_CHECKING:
    from tests.drills.stack import Stack

if os.environ.get("TVAERS_DRILLS") != "1":
    collect_ignore_glob = ["test_*.py"]

_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any) -> Iterator[Stack]:
    """The running system, shared by the drills; each drill leaves it running and whole. The
    drill process reads the same database through the ORM (the blocker is for unit tests)."""
    from tests.drills.stack import running_stack  # only when drilling: `make test` skips it

    if "PG_DATA" not in os.environ:
        pytest.fail("the drills run under scripts/with_services.py: use `make drills`")
    # What the drill process itself sends (notices of the persons a drill registers) stays in
    # memory; the app processes' e-mails go to files the drills read.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_db_blocker.unblock(), running_stack(tmp_path_factory.mktemp("drills")) as running:
        yield running


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


@pytest.fixture(autouse=True)
def _after_each_drill(request: pytest.FixtureRequest, stack: Stack) -> Iterator[None]:
    """A failed drill shows the end of every process's log, and leaves the stack as the next
    drill expects it: Redis up, none of its Celery processes running."""
    yield
    from tests.drills.stack import say

    if request.node.stash.get(_FAILED, False):
        for name in stack.logs:
            say(f"--- end of {name}.log ---\n{stack.tail(name)}")
    for name in list(stack.workers):
        stack.stop_worker(name)
    stack.ensure_redis()
