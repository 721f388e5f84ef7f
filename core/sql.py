"""SQL pieces Django lacks, each written for PostgreSQL and for SQLite (``make run``):

- ``JsonList``: a JSON list aggregate (JSON_AGG / JSON_GROUP_ARRAY). The request's user is
  loaded with their role names and forums gathered this way, in one query (forums.backends).
- ``InIds``: ``column IN (subquery)`` that PostgreSQL answers from the subquery's side
  (``column = ANY(ARRAY(subquery))``): the permission filter's few hundred ids, then one index
  probe each, whatever the planner guesses about the join (decision 0018)."""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, BooleanField, F, Func, QuerySet, Subquery, TextField


class JsonList(Aggregate):
    """The values of ``expression`` as a JSON list (JSON_AGG / JSON_GROUP_ARRAY): exact for any
    value, where a joined string would split on a separator a name may contain."""

    function = "JSON_AGG"
    output_field = TextField()  # the JSON text: decoded by the caller, alike on both databases

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler, connection, template="%(function)s(%(expressions)s)::text", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra)


class InIds(Func):
    """A filter: ``field`` is one of the ids ``ids`` (a one-column queryset) selects.

    PostgreSQL plans ``IN (subquery)`` as a join and, for a few hundred ids among 100,000
    rows, may prefer a sequential scan and a hash; ``= ANY(ARRAY(subquery))`` runs the subquery
    once and probes the index for each id, which is what the permission filter wants."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, field: str, ids: QuerySet[Any, Any]) -> None:
        super().__init__(F(field), Subquery(ids))

    def _parts(self, compiler: Any) -> tuple[str, str, list[Any]]:
        column, column_params = compiler.compile(self.source_expressions[0])
        subquery, subquery_params = compiler.compile(self.source_expressions[1])
        return column, subquery, [*column_params, *subquery_params]

    def as_sql(  # type: ignore[override]  # a fixed shape: no function, template or joiner
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        column, subquery, params = self._parts(compiler)
        return f"{column} IN {subquery}", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        column, subquery, params = self._parts(compiler)
        return f"{column} = ANY(ARRAY{subquery})", params
