"""scripts/fuzz_hooks.py: the lock that keeps CPython 3.11's ast.parse race out of the fuzzer.

`make security` failed now and then with "SystemError: AST constructor recursion depth
mismatch" from hypothesis describing a lambda in one of schemathesis's worker threads. The race
is reproduced here in a child process (so this process's ast.parse stays as it is): two
threads parse a large module while a garbage collection runs finalisers, as a fuzz run does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RACE = """
import ast, importlib.util, sys, threading

if sys.argv[1] == "hooked":
    spec = importlib.util.spec_from_file_location("fuzz_hooks", sys.argv[2])
    spec.loader.exec_module(importlib.util.module_from_spec(spec))

source = open(threading.__file__).read()
errors = []

class Cycle:
    def __del__(self):
        [i for i in range(10)]  # Python code in a finaliser: a chance to switch threads

def parse_repeatedly():
    for _ in range(int(sys.argv[3])):
        garbage = [Cycle() for _ in range(50)]
        for item in garbage:
            item.me = item
        del garbage
        try:
            ast.parse(source)
        except SystemError as error:
            errors.append(str(error))
            return

threads = [threading.Thread(target=parse_repeatedly) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(errors[0] if errors else "no error")
"""


def _race(mode: str, rounds: int) -> str:
    hooks = ROOT / "scripts" / "fuzz_hooks.py"
    result = subprocess.run(
        [sys.executable, "-c", RACE, mode, str(hooks), str(rounds)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_without_the_hook_two_threads_break_ast_parse() -> None:
    # The control: if this stops failing, the interpreter no longer has the race and the hook
    # (and this file) can go.
    assert "recursion depth mismatch" in _race("plain", rounds=2000)


def test_with_the_hook_two_threads_parse_without_error() -> None:
    assert _race("hooked", rounds=400) == "no error"


def test_the_fuzzer_loads_the_hook_into_schemathesis() -> None:
    script = (ROOT / "scripts" / "security_api_fuzz.py").read_text()
    assert '"SCHEMATHESIS_HOOKS": str(ROOT / "scripts" / "fuzz_hooks.py")' in script
