"""Private addresses only for the source's own domains: ``allow_private`` (a source's, or
``fetch --allow-private``) covers the source's domains (or the hosts named), at every hop; feed
entries and redirects to any other host get the default policy.

127.0.0.1 plays the source's domain and 127.0.0.2 an internal service (Linux routes all of
127.0.0.0/8 to lo): the internal web must never receive a request, not even for robots.txt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest
from click.testing import CliRunner

from scraper.archive import Archive
from scraper.cli import cli
from scraper.errors import BlockedURLError
from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb.faults import article_html, rss_of
from scraper.net.client import make_client
from scraper.net.fetch import fetch
from scraper.poll import PollContext, PollOptions, poll_source
from scraper.settings import Settings
from scraper.sources.config import load_sources_text


@pytest.fixture(scope="module")
def internal() -> Iterator[FixtureWeb]:
    with FixtureWeb(host="127.0.0.2") as web:
        yield web


@pytest.fixture()
def site() -> Iterator[FixtureWeb]:
    with FixtureWeb() as web:
        web.put("/robots.txt", "User-agent: *\nDisallow:\n")
        yield web


def secret(internal: FixtureWeb, name: str) -> str:
    return internal.put(f"/secret/{name}/", article_html("Internal only", slug=name))


def asked(internal: FixtureWeb, name: str) -> list[str]:
    return [r.path for r in internal.requests() if name in r.path or r.path == "/robots.txt"]


def redirect_to(site: FixtureWeb, target: str) -> str:
    return site.url(f"/_/redirect?to={quote(target, safe='')}")


def sources_yaml(site: FixtureWeb, feed: str, *, extra: str = "", more: str = "") -> str:
    return ("sources:\n  - name: local\n    domains: ['127.0.0.1']\n    allow_private: true\n"
            "    politeness: {min_delay: 0, concurrency: 2}\n"
            f"    feeds: [{json.dumps(feed)}]\n{extra}{more}")


def errors_of(db: Path) -> dict[str, str | None]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {u: e for u, e in con.execute("SELECT url, error FROM fetches ORDER BY id").fetchall()}
    finally:
        con.close()


def q(db: Path, sql: str) -> list[tuple[object, ...]]:
    return Archive(db).read(lambda con: con.execute(sql).fetchall())


# -- the policy itself ------------------------------------------------------------------------


@pytest.mark.parametrize(("host", "allowed"), [
    ("127.0.0.1", True), ("news.local.test", True), ("local.test", True),
    ("127.0.0.2", False), ("evil-local.test", False), ("local.test.evil", False),
])
def test_private_hosts_cover_the_names_and_their_subdomains(host: str, allowed: bool) -> None:
    conf = Settings(private_hosts=("127.0.0.1", "local.test"))
    assert conf.allows_private(host) is allowed


# -- scraper fetch ------------------------------------------------------------------------------


def _fetch_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCRAPER_DB", str(tmp_path / "a.duckdb"))
    monkeypatch.setenv("SCRAPER_RETRIES", "0")
    res = CliRunner().invoke(cli, ["fetch", *args])
    return res.exit_code, res.output


def test_fetch_allow_private_covers_the_named_host_not_a_redirect_elsewhere(
        site: FixtureWeb, internal: FixtureWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hop = redirect_to(site, secret(internal, "fetch-redirect"))
    good = site.put("/news/fetch-good/", article_html("A local article", slug="fetch-good"))
    code, output = _fetch_cli(tmp_path, monkeypatch, "--allow-private", good, hop)
    assert code == 3, output
    assert "non-public address 127.0.0.2" in output
    assert asked(internal, "fetch-redirect") == []
    errors = errors_of(tmp_path / "a.duckdb")
    assert errors[good] is None and errors[hop] == "policy:private-address"
    assert q(tmp_path / "a.duckdb", "SELECT url FROM articles") == [(good,)]


def test_fetch_allow_private_applies_to_an_internal_host_named_on_the_command_line(
        site: FixtureWeb, internal: FixtureWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # named on the command line: allowed, it is what the flag is for
    url = secret(internal, "fetch-named")
    code, output = _fetch_cli(tmp_path, monkeypatch, "--allow-private", url)
    assert code == 0, output
    assert asked(internal, "fetch-named") == ["/secret/fetch-named/"]


def test_fetch_as_an_allow_private_source_refuses_a_redirect_to_another_host(
        site: FixtureWeb, internal: FixtureWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hop = redirect_to(site, secret(internal, "source-redirect"))
    (tmp_path / "sources.yaml").write_text(sources_yaml(site, site.url("/unused.xml")))
    code, output = _fetch_cli(tmp_path, monkeypatch, hop)  # no flag: the source allows 127.0.0.1
    assert code == 3, output
    assert "non-public address 127.0.0.2" in output
    assert asked(internal, "source-redirect") == []


def test_library_fetch_checks_every_hop_against_the_named_hosts(site: FixtureWeb, internal: FixtureWeb) -> None:
    hop = redirect_to(site, secret(internal, "lib-redirect"))
    conf = Settings(private_hosts=("127.0.0.1",), retries=0)
    with make_client(conf) as client, pytest.raises(BlockedURLError) as info:
        fetch(client, hop, conf)
    assert info.value.code == "policy:private-address"
    assert [a.final_url for a in info.value.attempts] == [hop, secret(internal, "lib-redirect")]  # type: ignore[attr-defined]
    assert asked(internal, "lib-redirect") == []


# -- scraper poll --------------------------------------------------------------------------------


def _poll(db: Path, text: str, name: str = "local") -> dict[str, object]:
    srcs = list(load_sources_text(text))
    source = next(s for s in srcs if s.name == name)
    with PollContext(Settings(db=db, retries=0), Archive(db), options=PollOptions(force=True, workers=4),
                     sources=srcs) as ctx:
        return poll_source(source, ctx).row()


def test_poll_refuses_a_feed_entry_and_a_redirect_to_an_internal_host(
        site: FixtureWeb, internal: FixtureWeb, tmp_path: Path) -> None:
    own = site.put("/news/own/", article_html("Our own article", slug="poll-own"))
    entry = secret(internal, "poll-entry")
    hop = redirect_to(site, secret(internal, "poll-redirect"))
    feed = site.put("/feed.xml", rss_of([own, entry, hop]), content_type="application/rss+xml")
    db = tmp_path / "a.duckdb"
    row = _poll(db, sources_yaml(site, feed))
    assert row["new"] == 1 and row["errors"] == 2
    errors = errors_of(db)
    assert errors[own] is None
    assert errors[entry] == "policy:private-address"
    assert errors[hop] == "policy:private-address"
    assert asked(internal, "poll-") == []  # no robots.txt, no page
    assert q(db, "SELECT url, source FROM articles") == [(own, "local")]


def test_poll_offsite_skip_records_the_skip_and_fetches_nothing(
        site: FixtureWeb, internal: FixtureWeb, tmp_path: Path) -> None:
    entry = secret(internal, "offsite-skip")
    feed = site.put("/feed.xml", rss_of([entry]), content_type="application/rss+xml")
    db = tmp_path / "a.duckdb"
    row = _poll(db, sources_yaml(site, feed, extra="    offsite: skip\n"))
    assert row["skipped"] == 1 and row["errors"] == 0
    assert q(db, "SELECT url, reason FROM skips") == [(entry, "offsite")]
    assert entry not in errors_of(db)
    assert asked(internal, "offsite-skip") == []


def test_poll_fetches_an_offsite_link_as_the_source_that_owns_its_domain(
        site: FixtureWeb, tmp_path: Path) -> None:
    # "localhost" is another host name (on the same server): a second source owns it
    other = site.put("/news/other/", article_html("Another source's article", slug="other"))
    other = other.replace("127.0.0.1", "localhost")
    feed = site.put("/feed.xml", rss_of([other]), content_type="application/rss+xml")
    second = ("  - name: neighbour\n    domains: [localhost]\n    allow_private: true\n"
              "    politeness: {min_delay: 0, concurrency: 1}\n")
    db = tmp_path / "a.duckdb"
    row = _poll(db, sources_yaml(site, feed, more=second))
    assert row["new"] == 1, row
    assert q(db, "SELECT url, source FROM articles") == [(other, "neighbour")]


def test_poll_fetches_an_unowned_offsite_link_on_the_generic_path(site: FixtureWeb, tmp_path: Path) -> None:
    # the same article under a name no source owns: the default policy refuses loopback
    other = site.put("/news/unowned/", article_html("Nobody's", slug="unowned")).replace(
        "127.0.0.1", "localhost")
    feed = site.put("/feed.xml", rss_of([other]), content_type="application/rss+xml")
    db = tmp_path / "a.duckdb"
    row = _poll(db, sources_yaml(site, feed))
    assert row["errors"] == 1
    assert errors_of(db)[other] == "policy:private-address"


def test_offsite_is_validated() -> None:
    from scraper.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_sources_text("sources:\n  - name: x\n    domains: [example.com]\n    offsite: drop\n")
    assert "offsite" in str(info.value)
