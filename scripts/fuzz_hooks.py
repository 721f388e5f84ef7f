"""Loaded into the schemathesis process by ``security_api_fuzz.py`` (``SCHEMATHESIS_HOOKS``).

CPython 3.11 keeps the C AST converter's recursion depth in interpreter-wide state, so two
threads in ``ast.parse`` at once can end one of them with ``SystemError: AST constructor
recursion depth mismatch``: a garbage collection inside the converter runs Python code, the
GIL passes to the other thread, and that thread's parse moves the shared counter. Hypothesis
parses source files to describe lambdas, and schemathesis runs its workers as threads, so a
fuzz run failed now and then on an arbitrary operation with that error and no fault of the API.

One lock around ``ast.parse`` in the fuzzer's own process removes the race; the API under test
is another process and is not touched. The lock is re-entrant so that a parse started by a
finaliser during a parse in the same thread cannot deadlock.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

_lock = threading.RLock()
_parse = ast.parse


def _serialised_parse(*args: Any, **kwargs: Any) -> Any:
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = _serialised_parse
