"""Free-text reasons encrypted under the case file's data key (issue 10).

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
    "casefile": ("data_key_id", ["closed_reason", "named_reason", "consent_refused_reason"]),
    "concern": ("case_file__data_key_id", ["source_reason"]),
    "identityreveal": ("case_file__data_key_id", ["reason"]),
    "persongrant": ("case_file__data_key_id", ["reason"]),
}
LENGTH = {("casefile", "closed_reason"): 500}  # the old columns' max_length when not 1000
VERBOSE = {
    ("casefile", "closed_reason"): "begrundelse for lukning",
    ("casefile", "named_reason"): "begrundelse for drøftelse med navn",
    ("casefile", "consent_refused_reason"): "begrundelse trods afvist samtykke",
    ("concern", "source_reason"): "begrundelse for anden kilde",
    ("identityreveal", "reason"): "begrundelse",
    ("persongrant", "reason"): "begrundelse",
}


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_datakey_notification"),
        ("persons", "0008_identity_correction"),
    ]

    operations = encrypt_text_columns("persons", REASONS, VERBOSE, LENGTH)
