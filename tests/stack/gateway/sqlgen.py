"""Compose SQL for a parsed PostgREST request with ``psycopg.sql`` only.

Rules that make injection impossible by construction:

- every name is first looked up in the :class:`~.catalog.Catalog` and then rendered with
  ``sql.Identifier`` (the catalog's spelling, not the request's);
- every value is a bind parameter (``%s``; Python ``str`` goes over the wire as type *unknown*,
  so Postgres coerces it to the column's type exactly as it does PostgREST's literals);
- operators, ``IS`` values, sort directions and casts come from fixed tables in this module.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from .catalog import Column, Relation
from .errors import PgrstError
from .query import Filter, Logic, OrderTerm, SelectItem, like_pattern

_BINARY = {
    "eq": "=",
    "neq": "<>",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "like": "LIKE",
    "ilike": "ILIKE",
    "match": "~",
    "imatch": "~*",
    "isdistinct": "IS DISTINCT FROM",
    "cs": "@>",
    "cd": "<@",
    "ov": "&&",
}
_IS = {
    "null": "IS NULL",
    "not_null": "IS NOT NULL",
    "true": "IS TRUE",
    "false": "IS FALSE",
    "unknown": "IS UNKNOWN",
}
_CASTS = {
    "text": "text",
    "varchar": "varchar",
    "int": "integer",
    "int4": "integer",
    "integer": "integer",
    "int8": "bigint",
    "bigint": "bigint",
    "smallint": "smallint",
    "numeric": "numeric",
    "float4": "real",
    "real": "real",
    "float8": "double precision",
    "boolean": "boolean",
    "bool": "boolean",
    "uuid": "uuid",
    "json": "json",
    "jsonb": "jsonb",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
}


def column_missing(rel_name: str, column: str) -> PgrstError:
    """What Postgres (through PostgREST) says about a column that is not there."""
    return PgrstError(400, "42703", f"column {rel_name}.{column} does not exist")


def payload_column_missing(rel_name: str, column: str) -> PgrstError:
    return PgrstError(
        400,
        "PGRST204",
        f"Could not find the '{column}' column of '{rel_name}' in the schema cache",
    )


@dataclass
class Source:
    """What a query reads from: a relation's columns under an alias (``t``)."""

    name: str  # for messages
    columns: dict[str, Column]
    alias: str = "_t"

    def col(self, name: str) -> sql.Composable:
        if name not in self.columns:
            raise column_missing(self.name, name)
        return sql.Identifier(self.alias, self.columns[name].name)

    @classmethod
    def of(cls, rel: Relation, alias: str | None = None) -> Source:
        return cls(rel.name, rel.columns, alias or rel.name)


@dataclass
class Params:
    """Bind parameters collected while composing, in placeholder order."""

    values: list[Any] = field(default_factory=list)

    def add(self, value: Any) -> sql.Composable:
        self.values.append(value)
        return sql.Placeholder()


# ---------------------------------------------------------------- where


def compose_where(where: Logic, source: Source, params: Params) -> sql.Composable:
    """``WHERE ...`` (or nothing for an empty tree)."""
    if not where.children and not where.negated:
        return sql.SQL("")
    return sql.SQL(" WHERE ") + _compose_logic(where, source, params)


def _compose_logic(node: Logic, source: Source, params: Params) -> sql.Composable:
    if not node.children:
        inner: sql.Composable = sql.SQL("TRUE" if node.op == "and" else "FALSE")
    else:
        joiner = sql.SQL(" AND " if node.op == "and" else " OR ")
        parts = [
            _compose_logic(child, source, params)
            if isinstance(child, Logic)
            else _compose_filter(child, source, params)
            for child in node.children
        ]
        inner = sql.SQL("(") + joiner.join(parts) + sql.SQL(")")
    return sql.SQL("NOT ") + inner if node.negated else inner


def _compose_filter(flt: Filter, source: Source, params: Params) -> sql.Composable:
    column = source.col(flt.column)
    if flt.op == "in":
        assert isinstance(flt.value, tuple)
        if not flt.value:
            expr: sql.Composable = sql.SQL("FALSE")
        else:
            placeholders = sql.SQL(", ").join(params.add(v) for v in flt.value)
            expr = sql.SQL("{} IN ({})").format(column, placeholders)
    elif flt.op == "is":
        assert isinstance(flt.value, str)
        expr = sql.SQL("{} {}").format(column, sql.SQL(_IS[flt.value]))
    else:
        assert isinstance(flt.value, str)
        value = like_pattern(flt.value) if flt.op in ("like", "ilike") else flt.value
        expr = sql.SQL("{} {} {}").format(column, sql.SQL(_BINARY[flt.op]), params.add(value))
    return sql.SQL("NOT ({})").format(expr) if flt.negated else expr


# ---------------------------------------------------------------- select list and order


def compose_select_list(items: Sequence[SelectItem], source: Source) -> sql.Composable:
    parts: list[sql.Composable] = []
    for item in items:
        if item.column == "*":
            parts.extend(
                sql.SQL("{} AS {}").format(source.col(name), sql.Identifier(name))
                for name in source.columns
            )
            continue
        expr = source.col(item.column)
        if item.cast:
            expr = sql.SQL("{}::{}").format(expr, sql.SQL(_CASTS[item.cast]))
        parts.append(sql.SQL("{} AS {}").format(expr, sql.Identifier(item.output_name)))
    if not parts:
        return sql.SQL("NULL::int AS {}").format(sql.Identifier("?column?"))
    return sql.SQL(", ").join(parts)


def compose_order(terms: Sequence[OrderTerm], source: Source) -> sql.Composable:
    if not terms:
        return sql.SQL("")
    parts = []
    for term in terms:
        piece = source.col(term.column) + sql.SQL(" DESC" if term.desc else " ASC")
        if term.nulls == "first":
            piece = piece + sql.SQL(" NULLS FIRST")
        elif term.nulls == "last":
            piece = piece + sql.SQL(" NULLS LAST")
        parts.append(piece)
    return sql.SQL(" ORDER BY ") + sql.SQL(", ").join(parts)


def compose_page(limit: int | None, offset: int | None, params: Params) -> sql.Composable:
    out = sql.SQL("")
    if limit is not None:
        out = out + sql.SQL(" LIMIT ") + params.add(limit)
    if offset:
        out = out + sql.SQL(" OFFSET ") + params.add(offset)
    return out


# ---------------------------------------------------------------- whole statements


def json_rows(inner: sql.Composable) -> sql.Composable:
    """Wrap a row-returning query: one row with (json array of the rows, row count)."""
    return sql.SQL(
        "SELECT coalesce(json_agg(_r), '[]'::json)::text, count(*) FROM ({}) AS _r"
    ).format(inner)


def select_statement(
    rel: Relation,
    items: Sequence[SelectItem],
    where: Logic,
    order: Sequence[OrderTerm],
    *,
    limit: int | None,
    offset: int | None,
) -> tuple[sql.Composable, list[Any]]:
    source = Source.of(rel)
    params = Params()
    select_list = compose_select_list(items, source)
    where_sql = compose_where(where, source, params)
    order_sql = compose_order(order, source)
    page_sql = compose_page(limit, offset, params)
    inner = sql.SQL("SELECT {} FROM {} AS {}{}{}{}").format(
        select_list, rel.ident, sql.Identifier(source.alias), where_sql, order_sql, page_sql
    )
    return json_rows(inner), params.values


def count_statement(rel: Relation, where: Logic) -> tuple[sql.Composable, list[Any]]:
    source = Source.of(rel)
    params = Params()
    where_sql = compose_where(where, source, params)
    query = sql.SQL("SELECT count(*) FROM {} AS {}{}").format(
        rel.ident, sql.Identifier(source.alias), where_sql
    )
    return query, params.values


def _returning(
    rel: Relation, items: Sequence[SelectItem], mutation: sql.Composable
) -> sql.Composable:
    """``WITH _m AS (<mutation> RETURNING *) SELECT json of the selected columns, count``."""
    source = Source(rel.name, rel.columns, "_m")
    select_list = compose_select_list(items, source)
    return sql.SQL("WITH _m AS ({} RETURNING {}.*) {}").format(
        mutation,
        sql.Identifier(rel.name),
        json_rows(sql.SQL("SELECT {} FROM _m").format(select_list)),
    )


def insert_statement(
    rel: Relation,
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    *,
    items: Sequence[SelectItem],
    on_conflict: Sequence[str] | None,
    resolution: str | None,
    missing_default: bool,
) -> tuple[sql.Composable, list[Any]]:
    """INSERT (or upsert) of JSON rows, converted by Postgres itself (json_populate_record[set]),
    as PostgREST does, so jsonb, arrays and timestamps get Postgres' own parsing."""

    for name in columns:
        if name not in rel.columns:
            raise payload_column_missing(rel.name, name)
    params = Params()
    target = sql.Identifier(rel.name)
    col_idents = [sql.Identifier(rel.columns[c].name) for c in columns]
    if not columns:
        body = sql.SQL("INSERT INTO {} AS {} DEFAULT VALUES").format(rel.ident, target)
        if len(rows) > 1:
            body = sql.SQL("INSERT INTO {} AS {} SELECT FROM generate_series(1, {})").format(
                rel.ident, target, params.add(len(rows))
            )
    elif missing_default and any(set(columns) - set(row) for row in rows):
        # Missing keys take the column DEFAULT: VALUES rows with the DEFAULT keyword per cell.
        value_rows = []
        for row in rows:
            row_json = json.dumps(row)
            cells = [
                sql.SQL("(json_populate_record(NULL::{}, {}::json)).{}").format(
                    rel.ident, params.add(row_json), ident
                )
                if name in row
                else sql.SQL("DEFAULT")
                for name, ident in zip(columns, col_idents, strict=True)
            ]
            value_rows.append(sql.SQL("(") + sql.SQL(", ").join(cells) + sql.SQL(")"))
        body = sql.SQL("INSERT INTO {} AS {} ({}) VALUES {}").format(
            rel.ident, target, sql.SQL(", ").join(col_idents), sql.SQL(", ").join(value_rows)
        )
    else:
        body = sql.SQL(
            "INSERT INTO {} AS {} ({}) SELECT {}"
            " FROM json_populate_recordset(NULL::{}, {}::json) AS _j"
        ).format(
            rel.ident,
            target,
            sql.SQL(", ").join(col_idents),
            sql.SQL(", ").join(sql.Identifier("_j", rel.columns[c].name) for c in columns),
            rel.ident,
            params.add(json.dumps(rows)),
        )
    if resolution is not None:
        conflict_cols = list(on_conflict or rel.primary_key)
        if not conflict_cols:
            raise PgrstError(
                400,
                "PGRST100",
                f"upsert needs on_conflict: table {rel.name} has no primary key",
            )
        for name in conflict_cols:
            if name not in rel.columns:
                raise column_missing(rel.name, name)
        conflict = sql.SQL(", ").join(sql.Identifier(rel.columns[c].name) for c in conflict_cols)
        updatable = [c for c in columns if not rel.columns[c].generated]
        if resolution == "ignore" or not updatable:
            body = body + sql.SQL(" ON CONFLICT ({}) DO NOTHING").format(conflict)
        else:
            sets = sql.SQL(", ").join(
                sql.SQL("{} = EXCLUDED.{}").format(
                    sql.Identifier(rel.columns[c].name), sql.Identifier(rel.columns[c].name)
                )
                for c in updatable
            )
            body = body + sql.SQL(" ON CONFLICT ({}) DO UPDATE SET {}").format(conflict, sets)
    return _returning(rel, items, body), params.values


def update_statement(
    rel: Relation,
    patch: dict[str, Any],
    where: Logic,
    *,
    items: Sequence[SelectItem],
) -> tuple[sql.Composable, list[Any]]:

    for name in patch:
        if name not in rel.columns:
            raise payload_column_missing(rel.name, name)
    params = Params()
    target = Source.of(rel)
    sets = sql.SQL(", ").join(
        sql.SQL("{} = (_p).{}").format(
            sql.Identifier(rel.columns[name].name), sql.Identifier(rel.columns[name].name)
        )
        for name in patch
    )
    record = sql.SQL("json_populate_record(NULL::{}, {}::json)").format(
        rel.ident, params.add(json.dumps(patch))
    )
    where_sql = compose_where(where, target, params)
    body = sql.SQL("UPDATE {} AS {} SET {} FROM (SELECT {} AS _p) AS _patch{}").format(
        rel.ident, sql.Identifier(target.alias), sets, record, where_sql
    )
    return _returning(rel, items, body), params.values


def delete_statement(
    rel: Relation, where: Logic, *, items: Sequence[SelectItem]
) -> tuple[sql.Composable, list[Any]]:
    params = Params()
    target = Source.of(rel)
    where_sql = compose_where(where, target, params)
    body = sql.SQL("DELETE FROM {} AS {}{}").format(
        rel.ident, sql.Identifier(target.alias), where_sql
    )
    return _returning(rel, items, body), params.values
