"""RLS through HTTP: another signed-in user and the anon key, against user A's rows in every
table and A's objects in every bucket. Postgres decides (the gateway only sets role and claims);
these tests check that what reaches the client is nothing, and that nothing changed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from tests.gateway.conftest import TEXT_COLUMN, seed_graph
from tests.stack.gateway import ANON_KEY, Gateway

pytestmark = [pytest.mark.pg, pytest.mark.gateway]

TABLES = list(TEXT_COLUMN)
BUCKET_FILES = {
    "outputs": ("jobs/j/o.png", "image/png"),
    "profiles": ("profiles/p.png", "image/png"),
    "extractions": ("cutouts/h-front.png", "image/png"),
    "videos": ("v/clip.mp4", "video/mp4"),
    "zips": ("z/pack.zip", "application/zip"),
}


def _headers(token: str | None) -> dict[str, str]:
    headers = {"apikey": ANON_KEY}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _row_state(pg: psycopg.Connection[Any], table: str, row_id: str) -> dict[str, Any] | None:
    return pg.execute(
        sql.SQL("SELECT * FROM public.{} WHERE id = %s").format(sql.Identifier(table)), (row_id,)
    ).fetchone()


def _foreign_row(table: str, a_ids: dict[str, str], a_id: str, b_id: str) -> dict[str, Any]:
    """A row the intruder tries to insert: owned by A, or B's own row hanging off A's parent."""
    rows: dict[str, dict[str, Any]] = {
        "profiles": {"user_id": a_id, "name": "x"},
        "jobs": {"user_id": a_id, "type": "product_pack"},
        "job_outputs": {"job_id": a_ids["jobs"], "kind": "image"},
        "canvas_threads": {"user_id": a_id, "title": "x"},
        "canvas_assets": {"user_id": b_id, "thread_id": a_ids["canvas_threads"]},
        "canvas_conversations": {"user_id": b_id, "thread_id": a_ids["canvas_threads"]},
        "canvas_messages": {"user_id": b_id, "thread_id": a_ids["canvas_threads"], "text": "x"},
        "garment_cutouts": {
            "user_id": a_id,
            "source_hash": "h",
            "source_kind": "front",
            "storage_path": "p",
        },
    }
    return rows[table]


def test_rest_rls_matrix(
    gateway: Gateway, make_user: Any, make_client: Any, pg: psycopg.Connection[Any]
) -> None:
    owner = make_user()
    owner_client = make_client(owner)
    a_ids = seed_graph(owner_client, owner.id)
    intruder = make_user()
    intruder_token = make_client(intruder).auth.get_session().access_token
    base = f"{gateway.url}/rest/v1"
    attempts = 0
    with httpx.Client(timeout=10) as http:
        for caller, token in (("other user", intruder_token), ("anon", None)):
            headers = _headers(token)
            denied = 403 if token else 401
            for table in TABLES:
                row_id = a_ids[table]
                before = _row_state(pg, table, row_id)
                by_id = {"id": f"eq.{row_id}"}

                got = http.get(f"{base}/{table}", params={"select": "*", **by_id}, headers=headers)
                if token:
                    assert (got.status_code, got.json()) == (200, []), (caller, table)
                    everything = http.get(f"{base}/{table}", headers=headers).json()
                    assert everything == [], (caller, table)
                else:
                    assert got.status_code == denied, (caller, table, got.text)
                    assert got.json()["code"] == "42501"

                changed = http.patch(
                    f"{base}/{table}",
                    params=by_id,
                    headers={**headers, "Prefer": "return=representation"},
                    json={TEXT_COLUMN[table]: "hacked"},
                )
                deleted = http.delete(
                    f"{base}/{table}",
                    params=by_id,
                    headers={**headers, "Prefer": "return=representation"},
                )
                if token:
                    assert (changed.status_code, changed.json()) == (200, []), (caller, table)
                    assert (deleted.status_code, deleted.json()) == (200, []), (caller, table)
                else:
                    assert changed.status_code == denied and deleted.status_code == denied

                inserted = http.post(
                    f"{base}/{table}",
                    headers={**headers, "Prefer": "return=representation"},
                    json=_foreign_row(table, a_ids, owner.id, intruder.id),
                )
                assert inserted.status_code == denied, (caller, table, inserted.text)
                assert inserted.json()["code"] == "42501"
                assert _row_state(pg, table, row_id) == before, (caller, table)
                attempts += 4
    owner_rows = {t: len(owner_client.table(t).select("id").execute().data) for t in TABLES}
    assert owner_rows == dict.fromkeys(TABLES, 1)
    print(
        f"REST RLS: {attempts} attempts (8 tables x select/update/delete/insert x "
        "other user/anon), none read or changed a row"
    )
    assert attempts == 64


def test_storage_rls_matrix(
    gateway: Gateway, make_user: Any, make_client: Any, pg: psycopg.Connection[Any]
) -> None:
    owner = make_user()
    owner_storage = make_client(owner).storage
    names: dict[str, str] = {}
    for bucket, (suffix, mime) in BUCKET_FILES.items():
        names[bucket] = f"{owner.id}/{suffix}"
        owner_storage.from_(bucket).upload(names[bucket], b"owner's bytes", {"content-type": mime})
    intruder = make_user()
    intruder_token = make_client(intruder).auth.get_session().access_token
    base = f"{gateway.url}/storage/v1"
    attempts = 0
    with httpx.Client(timeout=10) as http:
        for caller, token in (("other user", intruder_token), ("anon", ANON_KEY)):
            headers = _headers(token)
            for bucket, name in names.items():
                mime = BUCKET_FILES[bucket][1]
                read = http.get(f"{base}/object/{bucket}/{name}", headers=headers)
                assert read.status_code == 400 and read.json()["statusCode"] == "404", caller
                info = http.get(f"{base}/object/info/{bucket}/{name}", headers=headers)
                assert info.json()["statusCode"] == "404"
                sign = http.post(
                    f"{base}/object/sign/{bucket}/{name}", headers=headers, json={"expiresIn": 60}
                )
                assert sign.json()["statusCode"] == "404"
                many = http.post(
                    f"{base}/object/sign/{bucket}",
                    headers=headers,
                    json={"expiresIn": 60, "paths": [name]},
                ).json()
                assert many[0]["signedURL"] is None
                listed = http.post(
                    f"{base}/object/list/{bucket}",
                    headers=headers,
                    json={"prefix": owner.id, "limit": 100, "offset": 0},
                )
                assert listed.json() == []
                for upsert in ("false", "true"):
                    written = http.post(
                        f"{base}/object/{bucket}/{name}",
                        headers={**headers, "Content-Type": mime, "x-upsert": upsert},
                        content=b"intruder's bytes",
                    )
                    assert written.json()["statusCode"] == "403", (caller, bucket, upsert)
                removed = http.request(
                    "DELETE",
                    f"{base}/object/{bucket}",
                    headers=headers,
                    content=json.dumps({"prefixes": [name]}),
                )
                assert removed.json() == []
                attempts += 8
    for bucket, name in names.items():
        assert owner_storage.from_(bucket).download(name) == b"owner's bytes"
    assert pg.execute(
        "SELECT count(*) AS n FROM storage.objects WHERE owner_id = %s", (owner.id,)
    ).fetchone() == {"n": 5}
    print(
        f"Storage RLS: {attempts} attempts (5 buckets x read/info/sign/sign-many/list/"
        "insert/upsert/remove x other user/anon), none read or changed an object"
    )
    assert attempts == 80


def test_service_role_bypasses_rls(
    gateway: Gateway, make_user: Any, make_client: Any, service_role_key: str
) -> None:
    owner = make_user()
    a_ids = seed_graph(make_client(owner), owner.id)
    with httpx.Client(timeout=10) as http:
        got = http.get(
            f"{gateway.url}/rest/v1/jobs",
            params={"id": f"eq.{a_ids['jobs']}", "select": "id"},
            headers={"apikey": service_role_key, "Authorization": f"Bearer {service_role_key}"},
        )
    assert got.json() == [{"id": a_ids["jobs"]}]
