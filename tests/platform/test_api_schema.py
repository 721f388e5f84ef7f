"""The OpenAPI schema (api.md's full reference) generates and validates without warnings."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    schema = out.read_text()
    for path in [
        "/api/v1/persons/{id}/reveal/",
        "/api/v1/case-files/{case_file_pk}/notes/",
        "/api/v1/me/",
    ]:
        assert path in schema
