"""Handover lists (overlevering): the police member uploads the list drawn from the daily
reports for an SSP forum. Every row becomes a concern on the person found by CPR blind index
(or a new person); a single bad row fails the whole upload, reported line by line, and nothing
is kept. Each row is a disclosure from the police to the forum, recorded by concern_register,
and matched silently: the result says nothing about which persons were already known."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Agency, User
from forums.models import Forum, ForumKind
from persons.categories import category_choices
from persons.services import ConcernResult, IdentityInput, concern_register, require_reason

COLUMNS = ["navn", "cpr", "dato", "kategori"]
MAX_BYTES = 1_000_000
MAX_ROWS = 2_000


@dataclass(frozen=True)
class LineError:
    line: int
    message: str


class HandoverRejected(ValidationError):
    """The upload had bad rows; nothing was saved."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__([f"Linje {e.line}: {e.message}" for e in errors])
        self.line_errors = errors


def _category_code(value: str) -> str | None:
    value = value.strip().lower()
    for code, label in category_choices():
        if value in (code, str(label).lower()):
            return code
    return None


def _rows(content: bytes) -> list[tuple[int, dict[str, str]]]:
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": [_("Filen er for stor (højst 1 MB).")]})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": [_("Filen skal være UTF-8-kodet CSV.")]}) from None
    # Danish spreadsheets export with semicolons; accept both.
    delimiter = ";" if text.count(";") > text.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if header != COLUMNS:
        raise ValidationError(
            {"file": [_("Kolonnerne skal være: %(c)s.") % {"c": ", ".join(COLUMNS)}]}
        )
    rows = [
        (number, {k.strip().lower(): (v or "").strip() for k, v in row.items() if k})
        for number, row in enumerate(reader, start=2)
    ]
    if not rows:
        raise ValidationError({"file": [_("Filen indeholder ingen rækker.")]})
    if len(rows) > MAX_ROWS:
        raise ValidationError({"file": [_("Højst %(n)s rækker pr. liste.") % {"n": MAX_ROWS}]})
    return rows


@transaction.atomic
def handover_upload(
    *, actor: User, forum: Forum, content: bytes, necessity: str
) -> list[ConcernResult]:
    """Register every row of a handover list as a concern, or nothing at all."""
    agency: Agency | None = actor.agency
    if agency is None or agency.kind != Agency.Kind.POLITI:
        raise PermissionDenied(_("Kun politiet kan uploade overleveringslister."))
    if forum.kind not in (ForumKind.SSP, ForumKind.S115):
        raise ValidationError({"forum": [_("Overleveringslister hører til SSP-fora.")]})
    necessity = require_reason(
        necessity,
        "necessity",
        _("Begrund nødvendigheden af at videregive listen (mindst 20 tegn)."),
    )
    errors: list[LineError] = []
    results: list[ConcernResult] = []
    for line, row in _rows(content):
        code = _category_code(row.get("kategori", ""))
        try:
            day = datetime.date.fromisoformat(row.get("dato", ""))
        except ValueError:
            errors.append(LineError(line, _("Datoen skal skrives ÅÅÅÅ-MM-DD.")))
            continue
        if code is None:
            errors.append(LineError(line, _("Ukendt kategori.")))
            continue
        try:
            with transaction.atomic():  # a savepoint: one bad row does not poison the rest
                result = concern_register(
                    actor=actor,
                    forum=forum,
                    identity=IdentityInput(name=row.get("navn", ""), cpr=row.get("cpr", "")),
                    categories=[code],
                    description=_("Fra politiets døgnrapport %(d)s (overleveringsliste).")
                    % {"d": day.isoformat()},
                    source_agency=agency,
                    necessity=necessity,
                    channel="overleveringsliste",
                )
        except ValidationError as exc:
            messages = (
                [m for ms in exc.message_dict.values() for m in ms]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            errors.append(LineError(line, " ".join(messages)))
            continue
        results.append(result)
    if errors:
        raise HandoverRejected(errors)
    return results
