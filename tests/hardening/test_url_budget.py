"""One time budget per URL: every attempt, backoff and Retry-After wait of a URL ends within
``url_budget``; a timeout after bytes arrived is retried at most once; in a poll, the host lane
moves on and a host that times out is paused like a 503. Hostile servers are the fixture web's
``/_/slow`` and ``/_/slowheaders`` on 127.0.0.1; budgets are small (3 s), margins generous."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from scraper.archive import Archive
from scraper.errors import FetchError, HTTPStatusError
from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb.faults import article_html, rss_of
from scraper.net.client import make_client
from scraper.net.fetch import fetch
from scraper.poll import PollContext, PollOptions, poll_source
from scraper.settings import Settings, from_env
from scraper.sources.config import load_sources_text
from tests.hardening.conftest import one_error_line, run_cli

BUDGET = 3.0
# default timeouts and retries: only the budget can end these fetches early
BUDGETED = Settings(allow_private=True, url_budget=BUDGET, backoff_base=0.01, backoff_max=0.05)

HOSTILE = {
    "trickled body": "/_/slow?delay=0&trickle=0.5&chunks=200",
    "trickled headers": "/_/slowheaders?delay=0.25&n=400",
    "silent server": "/_/slow?delay=60",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_server_is_given_up_within_the_budget(fixture_web: FixtureWeb, name: str) -> None:
    url = fixture_web.url(HOSTILE[name] + f"&key=budget-{name.replace(' ', '-')}")
    t0 = time.monotonic()
    with make_client(BUDGETED) as client, pytest.raises(FetchError) as info:
        fetch(client, url, BUDGETED)
    elapsed = time.monotonic() - t0
    assert info.value.code == "net:timeout"
    assert BUDGET - 0.5 < elapsed < BUDGET + 5
    assert "url_budget" in str(info.value)


def test_a_timeout_after_bytes_arrived_is_retried_once(fixture_web: FixtureWeb) -> None:
    # total_timeout 1 s, a budget of 20 s and 3 retries: a trickle is tried twice, not 4 times
    conf = replace(BUDGETED, total_timeout=1.0, url_budget=20.0)
    url = fixture_web.url("/_/slow?delay=0&trickle=0.5&chunks=200&key=budget-once")
    t0 = time.monotonic()
    with make_client(conf) as client, pytest.raises(FetchError) as info:
        fetch(client, url, conf)
    attempts = info.value.attempts  # type: ignore[attr-defined]
    assert [a.error for a in attempts] == ["net:timeout", "net:timeout"]
    assert all(a.bytes > 0 for a in attempts)  # body bytes had arrived each time
    assert time.monotonic() - t0 < 6
    assert "not retried" in str(info.value)


def test_a_silent_timeout_is_retried_as_before(fixture_web: FixtureWeb) -> None:
    # no byte ever came: a transient failure, every retry is tried (within the budget)
    conf = replace(BUDGETED, read_timeout=0.3, url_budget=20.0)
    url = fixture_web.url("/_/slow?delay=60&key=budget-silent-retried")
    with make_client(conf) as client, pytest.raises(FetchError) as info:
        fetch(client, url, conf)
    assert [a.attempt for a in info.value.attempts] == [1, 2, 3, 4]  # type: ignore[attr-defined]


def _always(status: int, headers: dict[str, str]) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, headers=headers))


def test_a_retry_after_longer_than_the_budget_left_is_not_waited() -> None:
    slept: list[float] = []
    conf = replace(BUDGETED, retry_after_max=300.0)
    with make_client(conf, transport=_always(503, {"Retry-After": "10"})) as client, \
            pytest.raises(HTTPStatusError) as info:
        fetch(client, "http://93.184.216.34/a", conf, sleep=slept.append)
    assert slept == []
    assert len(info.value.attempts) == 1  # type: ignore[attr-defined]
    assert "url_budget" in str(info.value) and "10s" in str(info.value)


def test_a_backoff_that_fits_the_budget_is_waited() -> None:
    slept: list[float] = []
    with make_client(BUDGETED, transport=_always(503, {"Retry-After": "1"})) as client, \
            pytest.raises(HTTPStatusError):
        fetch(client, "http://93.184.216.34/a", BUDGETED, sleep=slept.append)
    assert slept == [1.0, 1.0, 1.0]  # a fake sleep: the clock did not move, all three fit


def test_url_budget_is_a_setting_with_its_variable() -> None:
    assert Settings().url_budget == 60.0
    assert from_env({"SCRAPER_URL_BUDGET": "7.5"}).url_budget == 7.5


def test_cli_fetch_of_a_trickled_body_ends_within_the_budget(fixture_web: FixtureWeb, tmp_path: Path) -> None:
    url = fixture_web.url("/_/slow?delay=0&trickle=0.5&chunks=200&key=budget-cli")
    t0 = time.monotonic()
    proc = run_cli(["fetch", "--db", str(tmp_path / "a.duckdb"), "--allow-private", url], cwd=tmp_path,
                   env={"SCRAPER_URL_BUDGET": str(BUDGET)})
    elapsed = time.monotonic() - t0
    assert proc.returncode == 3, proc.stderr
    assert "url_budget" in one_error_line(proc.stderr)
    assert elapsed < BUDGET + 5 + 3  # + the interpreter's start


def _source(web: FixtureWeb, name: str, feed: str) -> object:
    host = web.base_url.split("://", 1)[1].rsplit(":", 1)[0]
    return next(iter(load_sources_text(
        f"sources:\n  - name: {name}\n    domains: [{json.dumps(host)}]\n    allow_private: true\n"
        f"    politeness: {{min_delay: 0, concurrency: 1}}\n    feeds: [{json.dumps(feed)}]\n")))


def test_poll_lane_moves_on_and_the_timing_out_host_is_paused(tmp_path: Path) -> None:
    with FixtureWeb() as web:
        web.put("/robots.txt", "User-agent: *\nDisallow:\n")
        silent = web.url("/_/slow?delay=60&key=budget-lane")
        good = web.put("/lane/good/", article_html("After the silent one", slug="lane-good"))
        feed = web.put("/lane/feed.xml", rss_of([silent, good]), content_type="application/rss+xml")
        db = tmp_path / "a.duckdb"
        conf = Settings(db=db, url_budget=BUDGET, backoff_base=0.01, backoff_max=0.05)
        t0 = time.monotonic()
        with PollContext(conf, Archive(db), options=PollOptions(force=True, workers=2)) as ctx:
            summary = poll_source(_source(web, "lane", feed), ctx)  # type: ignore[arg-type]
            slot = ctx.politeness.get(silent)
            strikes = slot.strikes
        elapsed = time.monotonic() - t0
        # one lane (concurrency 1): the good page waited for the silent one's budget, then
        # for the host's pause (5 s, as after a 503), and was archived
        assert summary.errors == 1 and summary.new == 1
        assert strikes == 0  # the good answer after the pause relieved the host
        assert BUDGET + 5 - 0.5 < elapsed < BUDGET + 5 + 6
        rows = Archive(db).read(lambda con: con.execute(
            "SELECT url, error FROM fetches WHERE url LIKE '%budget-lane%'").fetchall())
        assert rows and all(error == "net:timeout" for _url, error in rows)


def test_a_host_that_timed_out_is_paused_for_the_next_url(tmp_path: Path) -> None:
    with FixtureWeb() as web:
        web.put("/robots.txt", "User-agent: *\nDisallow:\n")
        silent = web.url("/_/slow?delay=60&key=budget-pause")
        feed = web.put("/pause/feed.xml", rss_of([silent]), content_type="application/rss+xml")
        db = tmp_path / "a.duckdb"
        conf = Settings(db=db, url_budget=BUDGET)
        with PollContext(conf, Archive(db), options=PollOptions(force=True, workers=2)) as ctx:
            poll_source(_source(web, "pause", feed), ctx)  # type: ignore[arg-type]
            slot = ctx.politeness.get(silent)
            assert slot.strikes == 1
            assert slot.blocked_until > ctx.politeness.clock() + 3  # paused ~5 s from the timeout
