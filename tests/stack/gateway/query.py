"""Parse the PostgREST query-string language into a small tree, touching no database.

What is understood (the subset supabase-py sends, plus what its users write by hand):

- ``select=*``, ``select=a,b``, ``alias:col``, ``col::type``, ``"quoted col"``;
- column filters ``col=[not.]op.value`` with ``eq neq gt gte lt lte like ilike match imatch in is
  isdistinct cs cd ov`` (``*`` is ``%`` in ``like``/``ilike`` patterns, as in PostgREST);
- logic trees ``or=(..)``, ``and=(..)``, ``not.or=(..)``, ``not.and=(..)`` nested at will, with
  ``"double quoted"`` values holding commas or parentheses;
- ``order=a.desc.nullslast,b``, ``limit``, ``offset``, ``on_conflict``, ``columns``.

Everything that is not understood raises :class:`QueryError` carrying the PostgREST error code
(``PGRST100`` for a malformed parameter, ``PGRST127`` for a PostgREST feature this gateway does
not offer). Names are returned as plain strings; they are checked against the catalog and quoted
with ``psycopg.sql.Identifier`` later, never pasted into SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: Query keys that are not column filters.
RESERVED_KEYS = frozenset(
    {
        "select",
        "order",
        "limit",
        "offset",
        "on_conflict",
        "columns",
        "or",
        "and",
        "not.or",
        "not.and",
    }
)

COMPARISON_OPS = frozenset(
    {"eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch", "isdistinct"}
)
ARRAY_OPS = frozenset({"cs", "cd", "ov"})
LIST_OPS = frozenset({"in"})
IS_OP = "is"
SUPPORTED_OPS = COMPARISON_OPS | ARRAY_OPS | LIST_OPS | {IS_OP}
#: Operators PostgREST has that this gateway answers with PGRST127 (not offered) instead.
KNOWN_UNSUPPORTED_OPS = frozenset(
    {"fts", "plfts", "phfts", "wfts", "sl", "sr", "nxr", "nxl", "adj", "not"}
)
IS_VALUES = frozenset({"null", "not_null", "true", "false", "unknown"})

#: Casts allowed in ``select`` (``col::text``); a fixed list, so no type name comes from the URL.
ALLOWED_CASTS = frozenset(
    {
        "text",
        "varchar",
        "int",
        "int4",
        "integer",
        "int8",
        "bigint",
        "smallint",
        "numeric",
        "float4",
        "float8",
        "real",
        "boolean",
        "bool",
        "uuid",
        "json",
        "jsonb",
        "date",
        "timestamp",
        "timestamptz",
    }
)

_NAME_CHARS = re.compile(r"[\w$ -]+", re.UNICODE)
_INT = re.compile(r"\d+")


class QueryError(Exception):
    """A query string PostgREST would refuse. ``code`` is the PostgREST error code."""

    def __init__(self, message: str, details: str | None = None, *, code: str = "PGRST100") -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.code = code


@dataclass(frozen=True)
class SelectItem:
    """One entry of ``select``: ``column`` is ``"*"`` for all columns."""

    column: str
    alias: str | None = None
    cast: str | None = None

    @property
    def output_name(self) -> str:
        return self.alias or self.column


@dataclass(frozen=True)
class Filter:
    """``column op value``; ``value`` is a string, a tuple of strings (``in``) or ``None``."""

    column: str
    op: str
    value: str | tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True)
class Logic:
    """``and``/``or`` over filters and nested logic; ``negated`` for ``not.and``/``not.or``."""

    op: str
    children: tuple[Filter | Logic, ...]
    negated: bool = False


@dataclass(frozen=True)
class OrderTerm:
    column: str
    desc: bool = False
    nulls: str | None = None  # "first" | "last" | None (Postgres default)


@dataclass(frozen=True)
class ParsedQuery:
    select: tuple[SelectItem, ...] = (SelectItem("*"),)
    where: Logic = field(default_factory=lambda: Logic("and", ()))
    order: tuple[OrderTerm, ...] = ()
    limit: int | None = None
    offset: int | None = None
    on_conflict: tuple[str, ...] = ()
    columns: tuple[str, ...] | None = None


# ---------------------------------------------------------------- low-level tokenising


def _split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside double quotes and parentheses; keeps quotes in the pieces."""
    parts: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    current: list[str] = []
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth < 0:
                raise QueryError("unbalanced parentheses", f'unexpected ")" in {text!r}')
        elif not quoted and depth == 0 and char == sep:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quoted:
        raise QueryError("unterminated double quote", f"in {text!r}")
    if depth != 0:
        raise QueryError("unbalanced parentheses", f'expecting ")" in {text!r}')
    parts.append("".join(current))
    return parts


def _unquote(text: str) -> str:
    """``"a\\"b"`` -> ``a"b``; text without surrounding quotes is returned as is."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _take_name(text: str, what: str, context: str) -> tuple[str, str]:
    """Read a column name (quoted or bare) from the start of ``text``; return (name, rest)."""
    if text.startswith('"'):
        i = 1
        escaped = False
        while i < len(text):
            char = text[i]
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                return _unquote(text[: i + 1]), text[i + 1 :]
            i += 1
        raise QueryError(f"failed to parse {what} ({context})", "unterminated double quote")
    match = _NAME_CHARS.match(text)
    if not match:
        found = text[:1] or "end of input"
        raise QueryError(
            f"failed to parse {what} ({context})",
            f'unexpected "{found}" expecting field name (* or [a..z0..9_$])',
        )
    name = match.group(0)
    # A dash only joins words ("a-b"); "->" starts a JSON path, which is not offered here.
    if "->" in text[: match.end() + 1]:
        raise QueryError(
            f"JSON paths are not supported by the test gateway ({context})",
            code="PGRST127",
        )
    return name.strip(), text[match.end() :]


# ---------------------------------------------------------------- select


def parse_select(text: str) -> tuple[SelectItem, ...]:
    if text.strip() == "":
        return (SelectItem("*"),)
    items: list[SelectItem] = []
    for raw in _split_top(text):
        piece = raw.strip()
        if piece == "*":
            items.append(SelectItem("*"))
            continue
        if piece.startswith("..."):
            raise QueryError(
                f"spread embedding is not supported by the test gateway ({piece})",
                code="PGRST127",
            )
        alias: str | None = None
        name, rest = _take_name(piece, "select parameter", text)
        if rest.startswith(":") and not rest.startswith("::"):
            alias = name
            name, rest = _take_name(rest[1:], "select parameter", text)
        cast: str | None = None
        if rest.startswith("::"):
            cast = rest[2:].strip().lower()
            rest = ""
            if cast not in ALLOWED_CASTS:
                raise QueryError(
                    f"failed to parse select parameter ({text})",
                    f"cast to {cast!r} is not offered; use one of {sorted(ALLOWED_CASTS)}",
                )
        if rest.startswith("(") or rest.startswith("!"):
            raise QueryError(
                f"resource embedding is not supported by the test gateway ({piece})",
                code="PGRST127",
            )
        if rest.startswith("."):
            raise QueryError(
                f"aggregate functions are not supported by the test gateway ({piece})",
                code="PGRST127",
            )
        if rest:
            raise QueryError(
                f"failed to parse select parameter ({text})",
                f'unexpected "{rest[0]}" expecting "," or end of input',
            )
        if not name:
            raise QueryError(f"failed to parse select parameter ({text})", "empty field name")
        items.append(SelectItem(name, alias, cast))
    return tuple(items)


# ---------------------------------------------------------------- filters


def _parse_list(text: str, context: str) -> tuple[str, ...]:
    if not (text.startswith("(") and text.endswith(")")):
        raise QueryError(
            f"failed to parse filter ({context})", 'expecting "(" value list ")" after in.'
        )
    inner = text[1:-1]
    if inner.strip() == "":
        return ()
    return tuple(_unquote(part.strip()) for part in _split_top(inner))


def parse_operation(column: str, text: str, *, in_logic: bool = False) -> Filter:
    """``[not.]op.value`` for ``column``; ``in_logic`` unquotes ``"values"`` like PostgREST."""
    context = text
    negated = False
    if text.startswith("not."):
        negated = True
        text = text[4:]
    op, dot, value = text.partition(".")
    if "(" in op:
        raise QueryError(
            f"operator modifiers are not supported by the test gateway ({context})",
            code="PGRST127",
        )
    if not dot:
        raise QueryError(
            f"failed to parse filter ({context})",
            'unexpected end of input expecting operator (eq, gt, ...) followed by "."',
        )
    if op in KNOWN_UNSUPPORTED_OPS:
        raise QueryError(
            f"operator {op!r} is not supported by the test gateway ({context})", code="PGRST127"
        )
    if op not in SUPPORTED_OPS:
        raise QueryError(
            f"failed to parse filter ({context})",
            f'unknown operator "{op}"; expecting one of {", ".join(sorted(SUPPORTED_OPS))}',
        )
    if op in LIST_OPS:
        return Filter(column, op, _parse_list(value, context), negated)
    if op == IS_OP:
        if value.lower() not in IS_VALUES:
            raise QueryError(
                f"failed to parse filter ({context})",
                f'unexpected "{value}" expecting null, not_null, true, false or unknown',
            )
        return Filter(column, op, value.lower(), negated)
    if in_logic:
        value = _unquote(value)
    return Filter(column, op, value, negated)


def parse_logic(key: str, text: str) -> Logic:
    """``or=(a.eq.1,and(b.gt.2,c.is.null))`` -> :class:`Logic`."""
    negated = key.startswith("not.")
    op = key[4:] if negated else key
    if op not in ("and", "or"):
        raise QueryError(f"failed to parse logic tree ({key}={text})", f"unknown operator {op!r}")
    if not (text.startswith("(") and text.endswith(")")):
        raise QueryError(
            f"failed to parse logic tree ({text})", 'expecting "(" filters ")" for and/or'
        )
    inner = text[1:-1]
    if inner.strip() == "":
        raise QueryError(f"failed to parse logic tree ({text})", "empty logic tree")
    children: list[Filter | Logic] = []
    for raw in _split_top(inner):
        part = raw.strip()
        nested = re.match(r"^(not\.)?(and|or)\(", part)
        if nested:
            key_part = part[: nested.end() - 1]
            children.append(parse_logic(key_part, part[nested.end() - 1 :]))
            continue
        column, rest = _take_name(part, "logic tree", text)
        if not rest.startswith("."):
            raise QueryError(
                f"failed to parse logic tree ({text})",
                f'expecting "." after the column name in {part!r}',
            )
        children.append(parse_operation(column, rest[1:], in_logic=True))
    return Logic(op, tuple(children), negated)


# ---------------------------------------------------------------- order, ints, lists


def parse_order(text: str) -> tuple[OrderTerm, ...]:
    terms: list[OrderTerm] = []
    for raw in _split_top(text):
        piece = raw.strip()
        name, rest = _take_name(piece, "order", text)
        desc = False
        nulls: str | None = None
        modifiers = [m for m in rest.split(".") if m] if rest else []
        if rest and not rest.startswith("."):
            raise QueryError(f"failed to parse order ({text})", f'unexpected "{rest[0]}"')
        for modifier in modifiers:
            if modifier in ("asc", "desc") and not nulls:
                desc = modifier == "desc"
            elif modifier in ("nullsfirst", "nullslast") and nulls is None:
                nulls = "first" if modifier == "nullsfirst" else "last"
            else:
                raise QueryError(
                    f"failed to parse order ({text})",
                    f'unexpected "{modifier}" expecting "asc", "desc", "nullsfirst" or "nullslast"',
                )
        terms.append(OrderTerm(name, desc, nulls))
    return tuple(terms)


def parse_non_negative(name: str, text: str) -> int:
    if not _INT.fullmatch(text.strip()):
        raise QueryError(
            f"failed to parse {name} parameter ({text})", "expecting a non-negative integer"
        )
    return int(text)


def parse_name_list(name: str, text: str) -> tuple[str, ...]:
    names: list[str] = []
    for raw in _split_top(text):
        column, rest = _take_name(raw.strip(), f"{name} parameter", text)
        if rest.strip():
            raise QueryError(
                f"failed to parse {name} parameter ({text})", f'unexpected "{rest[0]}"'
            )
        names.append(column)
    return tuple(names)


# ---------------------------------------------------------------- the whole query string


def parse_query(pairs: Iterable[tuple[str, str]], *, skip: Sequence[str] = ()) -> ParsedQuery:
    """Parse decoded query parameters (repeated keys allowed) into a :class:`ParsedQuery`.

    ``skip`` names parameters to ignore (the arguments of a ``GET /rpc/fn`` call).
    """
    select: tuple[SelectItem, ...] = (SelectItem("*"),)
    conditions: list[Filter | Logic] = []
    order: tuple[OrderTerm, ...] = ()
    limit: int | None = None
    offset: int | None = None
    on_conflict: tuple[str, ...] = ()
    columns: tuple[str, ...] | None = None
    for key, value in pairs:
        if key in skip:
            continue
        if key == "select":
            select = parse_select(value)
        elif key == "order":
            order = parse_order(value)
        elif key == "limit":
            limit = parse_non_negative("limit", value)
        elif key == "offset":
            offset = parse_non_negative("offset", value)
        elif key == "on_conflict":
            on_conflict = parse_name_list("on_conflict", value)
        elif key == "columns":
            columns = parse_name_list("columns", value)
        elif key in ("or", "and", "not.or", "not.and"):
            conditions.append(parse_logic(key, value))
        elif re.fullmatch(
            r"[^.]+\.(not\.)?(or|and|order|limit|offset)", key
        ) and not key.startswith('"'):
            raise QueryError(
                f"filters on embedded resources are not supported by the test gateway ({key})",
                code="PGRST127",
            )
        else:
            column, rest = _take_name(key, "filter", f"{key}={value}")
            if rest:
                raise QueryError(
                    f"failed to parse filter ({key}={value})",
                    f'unexpected "{rest[0]}" in the column name',
                )
            conditions.append(parse_operation(column, value))
    return ParsedQuery(
        select=select,
        where=Logic("and", tuple(conditions)),
        order=order,
        limit=limit,
        offset=offset,
        on_conflict=on_conflict,
        columns=columns,
    )


def like_pattern(value: str) -> str:
    """PostgREST lets ``*`` stand for ``%`` in ``like``/``ilike`` patterns (URL-friendly)."""
    return value.replace("*", "%")
