"""The PostgREST query-string parser and the SQL it leads to, without a database."""

from __future__ import annotations

import pytest
from psycopg import sql

from tests.stack.gateway import sqlgen
from tests.stack.gateway.catalog import Column, Relation
from tests.stack.gateway.errors import PgrstError
from tests.stack.gateway.query import (
    Filter,
    Logic,
    OrderTerm,
    QueryError,
    SelectItem,
    parse_logic,
    parse_order,
    parse_query,
    parse_select,
)


def test_select_lists() -> None:
    assert parse_select("*") == (SelectItem("*"),)
    assert parse_select("") == (SelectItem("*"),)
    assert parse_select("id,name") == (SelectItem("id"), SelectItem("name"))
    assert parse_select("ident:id,size::text") == (
        SelectItem("id", alias="ident"),
        SelectItem("size", cast="text"),
    )
    assert parse_select('"odd, name",id') == (SelectItem("odd, name"), SelectItem("id"))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("id;drop table jobs", "PGRST100"),
        ("id)", "PGRST100"),
        ('"unterminated', "PGRST100"),
        ("id::regclass", "PGRST100"),
        ("jobs(*)", "PGRST127"),
        ("...jobs(id)", "PGRST127"),
        ("data->x", "PGRST127"),
        ("id.sum()", "PGRST127"),
    ],
)
def test_select_refusals(text: str, code: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_select(text)
    assert info.value.code == code


def test_filters_and_their_operators() -> None:
    parsed = parse_query(
        [
            ("id", "eq.5"),
            ("name", "not.ilike.*Ann*"),
            ("kind", 'in.(a,"b,c",d)'),
            ("error", "is.null"),
            ("note", "eq.1' or '1'='1"),
        ]
    )
    assert parsed.where == Logic(
        "and",
        (
            Filter("id", "eq", "5"),
            Filter("name", "ilike", "*Ann*", negated=True),
            Filter("kind", "in", ("a", "b,c", "d")),
            Filter("error", "is", "null"),
            Filter("note", "eq", "1' or '1'='1"),
        ),
    )


def test_a_plain_filter_keeps_quotes_and_dots_in_its_value() -> None:
    parsed = parse_query([("title", 'eq."x.y"')])
    assert parsed.where.children == (Filter("title", "eq", '"x.y"'),)


@pytest.mark.parametrize(
    "pair",
    [
        ("id", "equals.5"),
        ("id", "eq5"),
        ("id", "in.1,2"),
        ("id", "is.maybe"),
        ("id;drop", "eq.1"),
        ("limit", "ten"),
        ("offset", "-1"),
        ("or", "a.eq.1"),
        ("or", "(a.eq.1"),
        ("or", "()"),
    ],
)
def test_malformed_filters_are_pgrst100(pair: tuple[str, str]) -> None:
    with pytest.raises(QueryError) as info:
        parse_query([pair])
    assert info.value.code == "PGRST100"


def test_unsupported_postgrest_features_are_pgrst127() -> None:
    for pair in [("body", "fts.cat"), ("jobs.order", "id"), ("id", "eq(any).{1,2}")]:
        with pytest.raises(QueryError) as info:
            parse_query([pair])
        assert info.value.code == "PGRST127", pair


def test_logic_trees_nest_and_negate() -> None:
    tree = parse_logic("or", '(a.eq.1,and(b.gt.2,c.not.is.null),name.eq."x,(y)",d.in.(1,2))')
    assert tree == Logic(
        "or",
        (
            Filter("a", "eq", "1"),
            Logic("and", (Filter("b", "gt", "2"), Filter("c", "is", "null", negated=True))),
            Filter("name", "eq", "x,(y)"),
            Filter("d", "in", ("1", "2")),
        ),
    )
    assert parse_logic("not.and", "(a.eq.1,b.eq.2)").negated
    nested_not = parse_logic("or", "(not.and(a.eq.1,b.eq.2),c.eq.3)")
    assert nested_not.children[0] == Logic(
        "and", (Filter("a", "eq", "1"), Filter("b", "eq", "2")), negated=True
    )


def test_order_terms() -> None:
    assert parse_order("created_at.desc,id") == (
        OrderTerm("created_at", desc=True),
        OrderTerm("id"),
    )
    assert parse_order("a.asc.nullsfirst,b.nullslast") == (
        OrderTerm("a", nulls="first"),
        OrderTerm("b", nulls="last"),
    )
    with pytest.raises(QueryError):
        parse_order("a.sideways")


def test_reserved_parameters() -> None:
    parsed = parse_query(
        [
            ("select", "id,name"),
            ("order", "id.desc"),
            ("limit", "10"),
            ("offset", "20"),
            ("on_conflict", "user_id,source_hash"),
            ("columns", '"id","name"'),
        ]
    )
    assert parsed.limit == 10
    assert parsed.offset == 20
    assert parsed.on_conflict == ("user_id", "source_hash")
    assert parsed.columns == ("id", "name")
    assert parsed.where.children == ()


# ---------------------------------------------------------------- composing SQL

JOBS = Relation(
    "public",
    "jobs",
    {
        "id": Column("id", "uuid", not_null=True, has_default=True),
        "user_id": Column("user_id", "uuid", not_null=True),
        "type": Column("type", "text", not_null=True),
        "error": Column("error", "text"),
    },
    primary_key=("id",),
)


def _render(statement: sql.Composable) -> str:
    # as_string(None) renders identifiers without a connection in psycopg >= 3.2.
    return statement.as_string(None)


def test_values_are_parameters_and_names_are_quoted_identifiers() -> None:
    parsed = parse_query(
        [("select", "id,type"), ("type", "eq.1' or '1'='1"), ("order", "type.desc.nullslast")]
    )
    statement, params = sqlgen.select_statement(
        JOBS, parsed.select, parsed.where, parsed.order, limit=5, offset=None
    )
    text = _render(statement)
    assert "1' or '1'='1" not in text
    assert params == ["1' or '1'='1", 5]
    assert '"jobs"."type" = %s' in text
    assert 'ORDER BY "jobs"."type" DESC NULLS LAST' in text
    assert 'FROM "public"."jobs" AS "jobs"' in text


def test_unknown_columns_never_reach_sql() -> None:
    for pairs in (
        [("select", "id,secret")],
        [("secret", "eq.1")],
        [("or", "(id.eq.1,secret.eq.2)")],
        [("order", "secret")],
    ):
        parsed = parse_query(pairs)
        with pytest.raises(PgrstError) as info:
            sqlgen.select_statement(
                JOBS, parsed.select, parsed.where, parsed.order, limit=None, offset=None
            )
        assert info.value.code == "42703"
        assert info.value.status == 400


def test_in_lists_is_and_logic_compose() -> None:
    parsed = parse_query(
        [("id", "in.(a,b)"), ("error", "is.null"), ("or", "(type.eq.x,not.and(type.like.a*))")]
    )
    params = sqlgen.Params()
    text = _render(sqlgen.compose_where(parsed.where, sqlgen.Source.of(JOBS), params))
    assert text == (
        ' WHERE ("jobs"."id" IN (%s, %s) AND "jobs"."error" IS NULL AND '
        '("jobs"."type" = %s OR NOT ("jobs"."type" LIKE %s)))'
    )
    assert params.values == ["a", "b", "x", "a%"]
    empty = parse_query([("id", "in.()")])
    assert "FALSE" in _render(sqlgen.compose_where(empty.where, sqlgen.Source.of(JOBS), params))


def test_insert_checks_payload_columns() -> None:
    with pytest.raises(PgrstError) as info:
        sqlgen.insert_statement(
            JOBS,
            [{"id": "x", "nope; drop table jobs": 1}],
            ["id", "nope; drop table jobs"],
            items=(SelectItem("*"),),
            on_conflict=None,
            resolution=None,
            missing_default=False,
        )
    assert info.value.code == "PGRST204"
    statement, params = sqlgen.insert_statement(
        JOBS,
        [{"user_id": "u", "type": "t"}],
        ["user_id", "type"],
        items=(SelectItem("*"),),
        on_conflict=("id",),
        resolution="merge",
        missing_default=False,
    )
    text = _render(statement)
    assert 'ON CONFLICT ("id") DO UPDATE SET "user_id" = EXCLUDED."user_id"' in text
    assert params == ['[{"user_id": "u", "type": "t"}]']
