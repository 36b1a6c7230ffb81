"""Checking a project before it is saved, against real answers: the gateway (answering
``/auth/v1/settings`` as GoTrue does, behind the API gateway's key check), another web server's
HTML 404, a port where nothing listens, a name that does not resolve (``.invalid``), an address
the network cannot reach; and the keys that are refused without asking anyone."""

from __future__ import annotations

import asyncio
import errno
import socket
import time
from typing import Any

import httpx
import pytest

from studio_desktop.sync.project_check import (
    ProjectCheckError,
    _transport_outcome,
    check_project,
    project_ref,
)
from tests.stack.gateway import JWT_SECRET
from tests.sync.project_servers import html_404_server, project_key, refused_url, silent_server

OTHER_SECRET = "another-projects-jwt-secret-of-at-least-32-chars"


def check(url: str, key: str, timeout: float = 5.0) -> Any:
    return asyncio.run(check_project(url, key, timeout=timeout))


def refused(url: str, key: str) -> ProjectCheckError:
    with pytest.raises(ProjectCheckError) as info:
        check(url, key)
    return info.value


@pytest.mark.gateway
@pytest.mark.pg
def test_the_gateway_with_its_anon_key_is_a_checked_project(gateway: Any, anon_key: str) -> None:
    result = check(gateway.url, anon_key)
    assert result.checked and result.url == gateway.url
    assert result.message == f"Connected to {gateway.url.split('://')[1]}."
    assert gateway.log.count("/auth/v1/settings") == 1


@pytest.mark.gateway
@pytest.mark.pg
def test_a_key_of_another_project_is_refused_by_the_server(gateway: Any) -> None:
    key = project_key("anon", ref="otherprojectref0000ab", secret=OTHER_SECRET)
    error = refused(gateway.url, key)
    assert error.field == "anon_key"
    assert "Invalid API key" in error.message
    assert "otherprojectref0000ab" in error.message
    # The same key's claims name another hosted project than the URL: refused before asking.
    hosted = refused("https://abcdefghijklmnopqrst.supabase.co", key)
    assert hosted.field == "anon_key" and "another project" in hosted.message


@pytest.mark.gateway
@pytest.mark.pg
def test_service_role_secret_expired_and_damaged_keys_are_refused_without_asking(
    gateway: Any, service_role_key: str
) -> None:
    gateway.log.clear()
    cases = {
        service_role_key: "service-role key",
        "sb_secret_" + "x" * 32: "secret key",
        project_key("anon", ref="abc", secret=JWT_SECRET, exp=int(time.time()) - 60): "expired",
        "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln": "cannot be decoded",
        project_key("authenticated", ref="abc", secret=JWT_SECRET): "role “authenticated”",
    }
    for key, words in cases.items():
        error = refused(gateway.url, key)
        assert (error.field, words in error.message) == ("anon_key", True), error.message
    assert gateway.log.count("/auth/v1/settings") == 0


def test_a_web_server_that_is_not_supabase_is_not_a_project() -> None:
    with html_404_server() as url:
        error = refused(url, project_key("anon", ref="abc", secret=JWT_SECRET))
    assert error.field == "url"
    assert "is not a Supabase project (HTTP 404, text/html)" in error.message


def test_an_unknown_host_and_a_refused_port_are_url_errors_not_offline() -> None:
    key = project_key("anon", ref="abc", secret=JWT_SECRET)
    unknown = refused("https://abcdefghijklmnopqrst.invalid", key)
    assert unknown.field == "url" and "No server is called" in unknown.message
    assert "offline" not in unknown.message
    with refused_url() as url:
        nothing = refused(url, key)
    assert nothing.field == "url" and "connection refused" in nothing.message


def test_offline_only_when_the_network_cannot_reach_the_project() -> None:
    key = project_key("anon", ref="abc", secret=JWT_SECRET)
    # An address this computer has no route to (IPv6 documentation prefix): "No route to host"
    # here; where IPv6 routes exist the connection times out instead. Both are "offline".
    result = check("https://[2001:db8::1]", key, timeout=3.0)
    assert not result.checked and "offline" in result.message
    # A server that accepts and never answers within the time allowed: offline too.
    with silent_server() as url:
        slow = check(url, key, timeout=1.0)
    assert not slow.checked
    # The resolver itself unreachable (EAI_AGAIN, what glibc says with no network): offline.
    lookup = httpx.ConnectError("[Errno -3] Temporary failure in name resolution")
    lookup.__cause__ = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    assert not _transport_outcome("https://x.supabase.co", lookup).checked
    down = httpx.ConnectError("[Errno 101] Network is unreachable")
    down.__cause__ = OSError(errno.ENETUNREACH, "Network is unreachable")
    assert not _transport_outcome("https://x.supabase.co", down).checked


def test_project_ref_of_hosted_urls() -> None:
    assert project_ref("https://abcdefghijklmnopqrst.supabase.co") == "abcdefghijklmnopqrst"
    assert project_ref("http://127.0.0.1:54321") is None
    assert project_ref("https://a.b.supabase.co") is None
