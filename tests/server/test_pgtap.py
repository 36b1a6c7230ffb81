"""Runs the pgTAP tests in ``supabase/tests`` with ``pg_prove``, as ``supabase test db`` would."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from tests.stack.pg import REPO_ROOT, PgCluster

pytestmark = pytest.mark.pg

PGTAP_DIR = REPO_ROOT / "supabase" / "tests"


def test_pgtap_policy_tests_pass(
    pg_cluster: PgCluster,
    supabase_template: str,
    record_property: Callable[[str, object], None],
) -> None:
    pg_prove = shutil.which("pg_prove")
    assert pg_prove, "pg_prove not found: apt-get install libtap-parser-sourcehandler-pgtap-perl"
    files = sorted(PGTAP_DIR.glob("*.sql"))
    assert len(files) >= 4, files
    name = f"t_pgtap_{uuid.uuid4().hex[:8]}"
    pg_cluster.create_database(name, template=supabase_template)
    try:
        with psycopg.connect(pg_cluster.dsn(name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pgtap")
        result = subprocess.run(
            [
                pg_prove,
                "--ext",
                ".sql",
                "-r",
                "-h",
                pg_cluster.host,
                "-p",
                str(pg_cluster.port),
                "-d",
                name,
                "-U",
                pg_cluster.superuser,
                str(PGTAP_DIR),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            cwd=Path(REPO_ROOT),
        )
    finally:
        pg_cluster.drop_database(name)
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 0, output
    assert "All tests successful." in output, output
    summary = re.search(r"Files=(\d+), Tests=(\d+)", output)
    assert summary, output
    n_files, n_tests = int(summary.group(1)), int(summary.group(2))
    assert n_files == len(files)
    assert n_tests >= 130, f"only {n_tests} pgTAP tests ran"
    record_property("pgtap_tests", n_tests)
