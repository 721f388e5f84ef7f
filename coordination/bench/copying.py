"""PostgreSQL COPY for the big tables, with columns taken from the models' ``_meta``: a column
the generator does not name gets its model default (or its database default, or NULL), so a
column added later with a default keeps the generator working."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.db.models.fields import NOT_PROVIDED

Converter = Callable[[Any], Any] | None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Timings:
    """Rows and seconds per table, for the command's report."""

    out: TextIO | None = None
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, table: str, rows: int, seconds: float) -> None:
        self.rows[table] = self.rows.get(table, 0) + rows
        self.seconds[table] = self.seconds.get(table, 0.0) + seconds

    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def lines(self) -> list[str]:
        return self.notes + [
            f"{table:<40} {self.rows[table]:>11,} rows {self.seconds[table]:>8.1f} s"
            for table in self.rows
        ]


def next_id(model: type[models.Model]) -> int:
    """The first free id of a table (migrations put a few rows in some, e.g. the groups)."""
    highest = model._default_manager.aggregate(highest=Max("pk"))["highest"]
    return int(highest or 0) + 1


def _fills_itself(model_field: models.Field[Any, Any]) -> bool:
    """A generated key (an id given no value) or a column with a database default."""
    has_db_default = getattr(model_field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED
    return has_db_default or bool(getattr(model_field, "db_returning", False))


class _Columns:
    """The columns COPY writes for ``model`` given the attributes the generator supplies."""

    def __init__(self, model: type[models.Model], given: Sequence[str]) -> None:
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(given) - set(fields)
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
        self.names = [fields[name].column for name in given]
        self.converters: list[Converter] = [
            _json if isinstance(fields[name], models.JSONField) else None for name in given
        ]
        self.defaults: list[Any] = []
        for name, model_field in fields.items():
            # A generated key (an id without a value) and a database default fill themselves.
            if name in given or _fills_itself(model_field):
                continue
            if model_field.has_default() or getattr(model_field, "auto_now_add", False):
                self.names.append(model_field.column)
                is_json = isinstance(model_field, models.JSONField)
                self.converters.append(_json if is_json else None)
                self.defaults.append(model_field)
            elif not model_field.null:
                raise ValueError(f"{model.__name__}.{name} needs a value from the generator")

    def default_values(self) -> list[Any]:
        values = []
        for model_field in self.defaults:
            if getattr(model_field, "auto_now_add", False) and not model_field.has_default():
                from django.utils import timezone

                values.append(timezone.now())
            else:
                values.append(model_field.get_default())
        return values


def copy_rows(
    model: type[models.Model],
    given: Sequence[str],
    rows: Iterable[Sequence[Any]],
    timings: Timings,
) -> int:
    """COPY ``rows`` (values in the order of ``given``, attribute names) into the model's
    table; returns how many were written. Time spent producing the rows counts as the table's."""
    started = time.perf_counter()
    columns = _Columns(model, given)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(name) for name in columns.names)
    converters = list(enumerate(columns.converters))
    converted = [(i, c) for i, c in converters if c is not None]
    count = 0
    connection.ensure_connection()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {table} ({names}) FROM STDIN"  # names from _meta, never from input
        ) as copy,
    ):
        for row in rows:
            values = [*row, *columns.default_values()] if columns.defaults else list(row)
            for i, convert in converted:
                if values[i] is not None:
                    values[i] = convert(values[i])
            copy.write_row(values)
            count += 1
    timings.add(model._meta.db_table, count, time.perf_counter() - started)
    return count


def reset_sequences(models_: Iterable[type[models.Model]]) -> None:
    """Move each table's id sequence past the ids the generator chose."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@contextmanager
def indexes_built_after(timings: Timings, *models_: type[models.Model]) -> Iterator[None]:
    """Drop the tables' plain indexes (not those of constraints) while they are filled and
    build them again from their stored definitions afterwards: one sorted build is much
    cheaper than millions of single inserts into each index."""
    definitions: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = %s AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                [model._meta.db_table, model._meta.db_table],
            )
            definitions += cursor.fetchall()
        for name, _definition in definitions:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for _name, definition in definitions:
            cursor.execute(definition)
    tables = ", ".join(model._meta.db_table for model in models_)
    timings.add(f"(indexes of {tables})", len(definitions), time.perf_counter() - started)


@contextmanager
def foreign_keys_trusted() -> Iterator[bool]:
    """As a superuser (the throwaway cluster of `make bench`), skip the per-row foreign-key
    triggers while loading (``session_replication_role = replica``): the generator only
    writes ids it created. The audit tables' guards are ENABLE ALWAYS and stay on. Yields
    whether the checks were skipped."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = bool(cursor.fetchone()[0])
        if superuser:
            cursor.execute("SET session_replication_role = replica")
    try:
        yield superuser
    finally:
        if superuser:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
