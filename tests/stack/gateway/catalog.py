"""The schema cache: tables, columns and functions of the exposed schema, read from pg_catalog.

Like PostgREST's schema cache, it is what names in a request are checked against before any SQL
is composed; a name that is not here is answered with PGRST205/PGRST202/42703/PGRST204 and never
reaches Postgres. :meth:`Catalog.load` reads it in one round trip per kind; the gateway reloads it
when a name is missing (the schema may have changed since) and on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection, sql


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # format_type() output, e.g. "timestamp with time zone"
    not_null: bool = False
    has_default: bool = False
    generated: bool = False


@dataclass(frozen=True)
class Relation:
    """A table or view of the exposed schema (or the row type a function returns)."""

    schema: str
    name: str
    columns: dict[str, Column]
    primary_key: tuple[str, ...] = ()
    kind: str = "r"

    @property
    def ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)


@dataclass(frozen=True)
class FunctionArg:
    name: str
    type: str
    has_default: bool


@dataclass(frozen=True)
class Function:
    schema: str
    name: str
    args: tuple[FunctionArg, ...]
    returns_set: bool
    return_type: str
    returns_void: bool
    #: Columns of the rows it returns (TABLE(...), OUT args or a composite type); None = scalar.
    out_columns: dict[str, Column] | None
    volatility: str  # "i" immutable, "s" stable, "v" volatile

    @property
    def ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)

    def accepts(self, names: set[str]) -> bool:
        """Whether a call with exactly these named arguments fits this overload."""
        arg_names = {a.name for a in self.args}
        required = {a.name for a in self.args if not a.has_default}
        return names <= arg_names and required <= names


_RELATIONS_SQL = """
SELECT c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod),
       a.attnotnull, (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> ''),
       a.attgenerated <> ''
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
ORDER BY c.relname, a.attnum
"""

_PRIMARY_KEYS_SQL = """
SELECT c.relname,
       array_agg(a.attname ORDER BY array_position(i.indkey::int2[], a.attnum))
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey::int2[])
WHERE i.indisprimary AND n.nspname = %s
GROUP BY c.relname
"""

_FUNCTIONS_SQL = """
SELECT p.proname,
       coalesce(p.proargnames, '{}'::text[]),
       coalesce(p.proargmodes::text[], '{}'::text[]),
       ARRAY(SELECT format_type(u.t, NULL)
             FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY u(t, i)
             ORDER BY u.i),
       p.pronargs, p.pronargdefaults, p.proretset, format_type(p.prorettype, NULL),
       p.prorettype = 'void'::regtype, p.provolatile,
       CASE WHEN t.typtype = 'c' THEN
         ARRAY(SELECT ARRAY[a.attname::text, format_type(a.atttypid, a.atttypmod)]
               FROM pg_attribute a
               WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
               ORDER BY a.attnum)
       END
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_type t ON t.oid = p.prorettype
WHERE n.nspname = %s AND p.prokind = 'f'
  AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
"""


@dataclass
class Catalog:
    schema: str = "public"
    relations: dict[str, Relation] = field(default_factory=dict)
    functions: dict[str, list[Function]] = field(default_factory=dict)

    async def load(self, conn: AsyncConnection[Any]) -> None:
        """(Re)read the exposed schema. ``conn`` may be any role that can read pg_catalog."""
        columns: dict[str, dict[str, Column]] = {}
        kinds: dict[str, str] = {}
        cur = await conn.execute(_RELATIONS_SQL, (self.schema,))
        for relname, relkind, attname, typ, not_null, has_def, generated in await cur.fetchall():
            columns.setdefault(relname, {})[attname] = Column(
                attname, typ, bool(not_null), bool(has_def), bool(generated)
            )
            kinds[relname] = relkind
        cur = await conn.execute(_PRIMARY_KEYS_SQL, (self.schema,))
        pks = {relname: tuple(cols) for relname, cols in await cur.fetchall()}
        self.relations = {
            name: Relation(self.schema, name, cols, pks.get(name, ()), kinds[name])
            for name, cols in columns.items()
        }
        cur = await conn.execute(_FUNCTIONS_SQL, (self.schema,))
        functions: dict[str, list[Function]] = {}
        for row in await cur.fetchall():
            fn = _function_from_row(self.schema, row)
            functions.setdefault(fn.name, []).append(fn)
        self.functions = functions

    def suggest_relation(self, name: str) -> str | None:
        """The closest table name, for PostgREST's "Perhaps you meant..." hint."""
        import difflib

        match = difflib.get_close_matches(name, list(self.relations), n=1)
        return match[0] if match else None


def _function_from_row(schema: str, row: tuple[Any, ...]) -> Function:
    (
        name,
        arg_names,
        arg_modes,
        arg_types,
        n_in,
        n_defaults,
        returns_set,
        return_type,
        returns_void,
        volatility,
        composite_cols,
    ) = row
    modes = list(arg_modes) or ["i"] * len(arg_types)
    names = list(arg_names) + [""] * (len(arg_types) - len(arg_names))
    in_args: list[tuple[str, str]] = []
    out_cols: dict[str, Column] = {}
    for arg_name, mode, typ in zip(names, modes, arg_types, strict=True):
        if mode in ("i", "b", "v"):
            in_args.append((arg_name, typ))
        if mode in ("o", "b", "t"):
            out_cols[arg_name] = Column(arg_name, typ)
    first_default = n_in - n_defaults
    args = tuple(
        FunctionArg(arg_name, typ, index >= first_default)
        for index, (arg_name, typ) in enumerate(in_args)
    )
    out_columns: dict[str, Column] | None = None
    if out_cols:
        out_columns = out_cols
    elif composite_cols is not None:
        out_columns = {col: Column(col, typ) for col, typ in composite_cols}
    return Function(
        schema=schema,
        name=name,
        args=args,
        returns_set=bool(returns_set),
        return_type=return_type,
        returns_void=bool(returns_void),
        out_columns=out_columns,
        volatility=volatility,
    )
