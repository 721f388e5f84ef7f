#!/usr/bin/env python3
"""Print AUDIT_PUBLIC_KEY for the AUDIT_SIGNING_KEY in the environment (or on stdin).

    AUDIT_SIGNING_KEY=... python scripts/audit_public_key.py
    python scripts/audit_public_key.py < signing-key-file

Needs no Django configuration, so it works before any .env exists. The key is read from the
environment or stdin, never from the command line (which other users can see).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.crypto import public_key_of  # noqa: E402


def _keys_module() -> ModuleType:
    # config/keys.py by path: importing the `config` package would load the Celery app and
    # with it the settings, which refuse to start before the configuration is complete.
    spec = importlib.util.spec_from_file_location("tvaers_keys", ROOT / "config" / "keys.py")
    if spec is None or spec.loader is None:
        raise ImportError("config/keys.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    keys = _keys_module()
    seed = os.environ.get("AUDIT_SIGNING_KEY") or sys.stdin.readline()
    try:
        raw = keys.decode_key(seed, name="AUDIT_SIGNING_KEY")
    except keys.KeyFormatError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"AUDIT_PUBLIC_KEY={public_key_of(raw)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
