"""The PostgreSQL test stack itself: the cluster, the template, fresh databases, as_user."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.stack.fixtures import as_user
from tests.stack.pg import PgCluster, PgStackError, apply_sql_files

pytestmark = pytest.mark.pg


def test_cluster_runs_postgres_15_and_authenticator_logs_in_over_tcp(pg_cluster: PgCluster) -> None:
    assert pg_cluster.superuser == "postgres"
    with psycopg.connect(pg_cluster.dsn("postgres")) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        assert version is not None and int(version[0]) // 10000 == 15
        fsync = conn.execute("SHOW fsync").fetchone()
        assert fsync == ("off",)
    with psycopg.connect(pg_cluster.dsn("postgres", user="authenticator")) as conn:
        row = conn.execute("SELECT current_user, inet_server_addr()::text").fetchone()
        assert row == ("authenticator", "127.0.0.1/32")


def test_fresh_databases_are_isolated_copies_of_the_template(
    pg_cluster: PgCluster, supabase_template: str, supabase_db: str
) -> None:
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        conn.execute("INSERT INTO auth.users (id, email) VALUES (gen_random_uuid(), 'a@x.test')")
        assert conn.execute("SELECT count(*) FROM auth.users").fetchone() == (1,)
    other = f"t_{uuid.uuid4().hex[:8]}"
    pg_cluster.create_database(other, template=supabase_template)
    try:
        with psycopg.connect(pg_cluster.dsn(other)) as conn:
            assert conn.execute("SELECT count(*) FROM auth.users").fetchone() == (0,)
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname IN ('auth', 'storage')"
            ).fetchone()
            assert tables == (5,)
    finally:
        pg_cluster.drop_database(other)
    with psycopg.connect(pg_cluster.dsn("postgres")) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s", (other,)
        ).fetchone()
        assert row == (0,)


def test_as_user_sets_role_and_claims_like_postgrest(supabase_db: str) -> None:
    user = str(uuid.uuid4())
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        with as_user(conn, user):
            row = conn.execute(
                "SELECT current_user, auth.uid()::text, auth.role(), auth.jwt() ->> 'aud'"
            ).fetchone()
            assert row == ("authenticated", user, "authenticated", "authenticated")
        with as_user(conn, None):
            row = conn.execute("SELECT current_user, auth.uid(), auth.role()").fetchone()
            assert row == ("anon", None, "anon")
        # Outside the block the role and the claims are gone again.
        row = conn.execute("SELECT current_user, auth.uid()").fetchone()
        assert row == ("postgres", None)


def test_as_user_refuses_a_connection_inside_a_transaction(supabase_db: str) -> None:
    with psycopg.connect(supabase_db) as conn:
        conn.execute("SELECT 1")
        with pytest.raises(RuntimeError, match="idle connection"), as_user(conn, None):
            pass


def test_apply_sql_files_names_the_file_and_line_and_keeps_nothing(
    supabase_db: str, tmp_path
) -> None:
    bad = tmp_path / "20990101000000_bad.sql"
    bad.write_text("CREATE TABLE public.half (id int);\n\nSELECT * FROM no_such_table;\n")
    with pytest.raises(PgStackError, match=r"20990101000000_bad\.sql \(line 3\): .*no_such_table"):
        apply_sql_files(supabase_db, [bad])
    with psycopg.connect(supabase_db) as conn:
        assert conn.execute("SELECT to_regclass('public.half')").fetchone() == (None,)


def test_storage_helpers_split_paths_like_supabase(supabase_db: str) -> None:
    with psycopg.connect(supabase_db) as conn:
        row = conn.execute(
            "SELECT storage.foldername('u1/jobs/j1/a.b.png'), storage.filename('u1/jobs/a.png'),"
            " storage.extension('u1/jobs/a.b.png'), storage.foldername('top.png')"
        ).fetchone()
        assert row == (["u1", "jobs", "j1"], "a.png", "png", [])
