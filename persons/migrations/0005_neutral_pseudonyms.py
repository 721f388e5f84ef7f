"""Rename every pseudonym that tells the forum kind (``PSP-…``, ``KSP-…``) to a neutral one.

The old name stays findable for the DPO as an audit alias (audit.PseudonymAlias); audit rows
keep the name they were written with. Runs in batches on real data; safe to re-run (only
pseudonyms not in the neutral form ``XXXX-XXXX`` are renamed).
"""

import re
import secrets

from django.db import migrations

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # persons.models.PSEUDONYM_ALPHABET, frozen here
NEUTRAL = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$")


def _new(taken) -> str:
    while True:
        name = "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(2))
        if name not in taken:
            return name


def rename(apps, schema_editor):
    FocusPerson = apps.get_model("persons", "FocusPerson")
    PseudonymAlias = apps.get_model("audit", "PseudonymAlias")
    taken = set(FocusPerson.objects.values_list("pseudonym", flat=True))
    taken |= set(PseudonymAlias.objects.values_list("pseudonym", flat=True))
    for person in FocusPerson.objects.only("pk", "pseudonym").iterator(chunk_size=2000):
        if NEUTRAL.match(person.pseudonym):
            continue
        old, new = person.pseudonym, _new(taken)
        taken.add(new)
        PseudonymAlias.objects.get_or_create(pseudonym=old, defaults={"person_id": person.pk})
        FocusPerson.objects.filter(pk=person.pk).update(pseudonym=new)


class Migration(migrations.Migration):
    dependencies = [
        ("persons", "0004_concern_source_reason"),
        ("audit", "0003_pseudonym_alias"),
    ]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
