"""The Makefile's `make run` environment puts emails where the README says: var/mail/."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_email_files_land_in_var_mail():
    run_env = re.search(r"^RUN_ENV := (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert run_env is not None
    email_url = next(part for part in run_env.group(1).split() if part.startswith("EMAIL_URL="))
    email_url = email_url.split("=", 1)[1].replace("$(CURDIR)", str(ROOT))

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.EMAIL_FILE_PATH)",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DEBUG": "1",
            "EMAIL_URL": email_url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
        },
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip() == str(ROOT / "var" / "mail")
