"""SSRF: loopback, private, link-local and metadata addresses are refused unless allowed; the
check holds after DNS resolution, after every redirect, and again at connect time (pinned)."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import duckdb
import httpx
import pytest

from scraper.errors import BlockedURLError
from scraper.fixtureweb import FixtureWeb
from scraper.net.client import make_client
from scraper.net.fetch import fetch
from scraper.net.urls import is_public_ip
from scraper.settings import Settings
from tests.hardening.conftest import one_error_line, run_cli

QUICK = replace(Settings(), connect_timeout=2, read_timeout=2, total_timeout=4, retries=0)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.5.6.7", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
    "169.254.169.254", "169.254.0.1", "0.0.0.0", "::1", "fc00::1", "fdff::1", "fe80::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "100.64.0.1", "224.0.0.1", "::",
])
def test_non_public_addresses(address: str) -> None:
    assert not is_public_ip(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses(address: str) -> None:
    assert is_public_ip(address)


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Make ``socket.getaddrinfo`` answer ``answers[host]`` (popped in turn; the last repeats)."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        if host not in answers:
            return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        asked.append(host)
        queue = answers[host]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]  # type: ignore[call-overload]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_cli_fetch_of_loopback_without_allow_private_is_refused(fixture_web: FixtureWeb, tmp_path: Path) -> None:
    url = fixture_web.url("/_/status/200?key=ssrf-cli")
    db = tmp_path / "a.duckdb"
    proc = run_cli(["fetch", "--db", str(db), url], cwd=tmp_path)  # no sources.yaml there
    assert proc.returncode == 3, proc.stderr
    line = one_error_line(proc.stderr)
    assert "non-public address 127.0.0.1" in line
    assert fixture_web.requests("/_/status/200") == [] or all(
        "ssrf-cli" not in r.path for r in fixture_web.requests("/_/status/200"))
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT error FROM fetches WHERE url = ?", [url]).fetchall() == [
        ("policy:private-address",)]
    con.close()


def test_public_looking_name_that_resolves_to_loopback_is_refused(
        fixture_web: FixtureWeb, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"news.example": ["127.0.0.1"]})
    url = f"http://news.example:{fixture_web.port}/_/status/200?key=ssrf-name"
    with make_client(QUICK) as client, pytest.raises(BlockedURLError) as info:
        fetch(client, url, QUICK)
    assert info.value.code == "policy:private-address"
    assert not any("ssrf-name" in r.path for r in fixture_web.requests())


def test_rebinding_after_the_check_is_caught_at_connect(
        fixture_web: FixtureWeb, monkeypatch: pytest.MonkeyPatch) -> None:
    # first answer (the hop check) public, then loopback (what a rebinding DNS server does):
    # the connection layer resolves once more, checks that answer and refuses it
    asked = fake_dns(monkeypatch, {"rebind.example": ["93.184.216.34", "127.0.0.1"]})
    url = f"http://rebind.example:{fixture_web.port}/_/status/200?key=ssrf-rebind"
    with make_client(QUICK) as client, pytest.raises(BlockedURLError) as info:
        fetch(client, url, QUICK)
    assert info.value.code == "policy:private-address"
    assert len(asked) == 2
    assert not any("ssrf-rebind" in r.path for r in fixture_web.requests())


def test_connection_goes_to_the_address_that_was_checked(
        fixture_web: FixtureWeb, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = fake_dns(monkeypatch, {"pinned.example": ["127.0.0.1"]})
    allowed = replace(QUICK, allow_private=True)
    with make_client(allowed) as client:
        result = fetch(client, f"http://pinned.example:{fixture_web.port}/_/echo?key=pinned", allowed)
    assert result.status == 200
    assert b'"Host": "pinned.example:' in result.content  # the name is kept for Host/SNI
    assert asked == ["pinned.example"]  # resolved once, by the connection layer


def test_redirect_to_a_private_address_is_refused() -> None:
    sent: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    with make_client(QUICK, transport=httpx.MockTransport(handle)) as client, \
            pytest.raises(BlockedURLError) as info:
        fetch(client, "http://93.184.216.34/article", QUICK)
    assert info.value.code == "policy:private-address"
    assert sent == ["http://93.184.216.34/article"]
    assert info.value.attempts[-1].error == "policy:private-address"  # type: ignore[attr-defined]


def test_source_allow_private_lets_the_tests_own_sources_through(fixture_web: FixtureWeb) -> None:
    allowed = replace(QUICK, allow_private=True)
    with make_client(QUICK) as client:  # the client itself was made without allow_private
        result = fetch(client, fixture_web.url("/_/status/200?key=ssrf-allowed"), allowed)
    assert result.status == 200


def test_a_connection_pooled_for_a_private_fetch_is_not_reused_without_the_permission(
        fixture_web: FixtureWeb, monkeypatch: pytest.MonkeyPatch) -> None:
    # news.example answers loopback to the allowed fetch's connection, then (rebinding) a public
    # address to the next fetch's hop check: reusing the kept-alive connection would reach
    # 127.0.0.1 without any permission; a new connection is opened, checked and refused
    asked = fake_dns(monkeypatch, {"news.example": ["127.0.0.1", "93.184.216.34", "127.0.0.1"]})
    url = f"http://news.example:{fixture_web.port}/_/status/200?key=pool-"
    allowed = replace(QUICK, private_hosts=("news.example",))
    with make_client(QUICK) as client:
        assert fetch(client, url + "1", allowed).status == 200
        with pytest.raises(BlockedURLError) as info:
            fetch(client, url + "2", QUICK)
        pools = client._transport
        assert len(pools.private._pool.connections) == 1  # type: ignore[attr-defined]
        assert len(pools.public._pool.connections) == 0  # type: ignore[attr-defined]
    assert info.value.code == "policy:private-address"
    assert len(asked) == 3  # connect (allowed), hop check, connect (refused)
    assert [r.path for r in fixture_web.requests() if "pool-" in r.path] == ["/_/status/200?key=pool-1"]


def test_the_same_private_policy_reuses_its_pooled_connection(fixture_web: FixtureWeb) -> None:
    allowed = replace(QUICK, private_hosts=("127.0.0.1",))
    with make_client(QUICK) as client:
        for n in range(3):
            assert fetch(client, fixture_web.url(f"/_/status/200?key=pool-same-{n}"), allowed).status == 200
        assert len(client._transport.private._pool.connections) == 1  # type: ignore[attr-defined]
