"""Necessity and correction reasons encrypted under the case file's data key (issue 10).

The associated data of a value names its field, so each reason moves aside (``<name>_plain``),
the encrypted field takes its name, the rows are encrypted with core.crypto directly (historical
models have no custom methods), and the plaintext column goes. Rows whose data key was
destroyed stay NULL: their text is unreadable by design. Reversible: backwards decrypts.
"""

from __future__ import annotations

from django.db import migrations

from core.migration_crypto import Reasons, encrypt_text_columns

# model -> (lookup of the data key id, fields)
REASONS: Reasons = {
    "note": ("case_file__data_key_id", ["necessity"]),
    "agendaitem": ("case_file__data_key_id", ["necessity"]),
    "minutesrevision": ("item__case_file__data_key_id", ["reason"]),
}
LENGTH: dict[tuple[str, str], int] = {}  # the old columns' max_length when not 1000
VERBOSE = {
    ("note", "necessity"): "nødvendighed",
    ("agendaitem", "necessity"): "nødvendighed",
    ("minutesrevision", "reason"): "begrundelse",
}


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_datakey_notification"),
        ("coordination", "0010_note_revision"),
    ]

    operations = encrypt_text_columns("coordination", REASONS, VERBOSE, LENGTH)
