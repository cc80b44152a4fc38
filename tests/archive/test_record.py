"""apply(): one record, one transaction, the same side effects whoever stores; the on_commit hook."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

import pytest

from scraper.archive import Archive
from scraper.archive.record import WriteRecord, apply, store
from scraper.archive.store import Skip
from scraper.errors import ArchiveError
from scraper.models import FeedState, FetchAttempt, PollRow
from tests.archive.conftest import T0, MakeCapture


def q(archive: Archive, sql: str) -> list[tuple[object, ...]]:
    return archive.read(lambda con: con.execute(sql).fetchall())


def test_apply_stores_every_part_of_the_record_in_one_transaction(archive: Archive, make_capture: MakeCapture) -> None:
    attempt = FetchAttempt(url="https://news.test/a/1", final_url="https://news.test/a/1", status=200,
                           bytes=10, duration_ms=1.0, error=None, error_detail=None, fetched_at=T0)
    record = WriteRecord(
        captures=[make_capture()],
        attempts=[attempt],
        skips=[Skip(url="https://news.test/private", reason="robots-disallowed", at=T0)],
        feeds=[FeedState(feed_url="https://news.test/rss", source="news", etag='"e1"')],
        poll=PollRow(source="news", started_at=T0, finished_at=T0, feeds=1, skipped=1),
    )
    outcomes = archive.write(lambda con: apply(con, record))
    assert [o.status for o in outcomes] == ["new"]
    assert q(archive, "SELECT count(*) FROM fetches") == [(1,)]
    assert q(archive, "SELECT reason FROM skips") == [("robots-disallowed",)]
    assert q(archive, "SELECT feed_url, etag FROM feeds") == [("https://news.test/rss", '"e1"')]
    assert q(archive, "SELECT feeds, new_articles, updated, unchanged, skipped FROM polls") == [(1, 1, 0, 0, 1)]


@pytest.mark.parametrize(("access", "delay"), [("truncated", timedelta(days=1)), ("locked", timedelta(days=1)),
                                               ("full", None)])
def test_apply_schedules_the_recheck_of_any_stored_article(
    archive: Archive, make_capture: MakeCapture, access: str, delay: timedelta | None
) -> None:
    archive.write(lambda con: apply(con, WriteRecord(captures=[make_capture(access=access)])))
    assert q(archive, "SELECT next_check_at - fetched_at, check_count FROM articles") == [(delay, 0)]


def test_a_recheck_counts_and_moves_to_the_next_delay(archive: Archive, make_capture: MakeCapture) -> None:
    archive.write(lambda con: apply(con, WriteRecord(captures=[make_capture(access="truncated")])))
    again = make_capture(access="truncated")
    archive.write(lambda con: apply(con, WriteRecord(captures=[again], rechecks={again.url})))
    assert q(archive, "SELECT next_check_at - fetched_at, check_count FROM articles") == [(timedelta(days=3), 1)]


def test_poll_row_counts_what_the_poll_stored_before(archive: Archive, make_capture: MakeCapture) -> None:
    end = WriteRecord(captures=[make_capture("Autre.", url="https://news.test/a/2", canonical_url=None)],
                      poll=PollRow(source="news", started_at=T0, finished_at=T0), poll_key="p")
    archive.write(lambda con: apply(con, end, Counter(new=3, unchanged=2)))
    assert q(archive, "SELECT new_articles, updated, unchanged FROM polls") == [(4, 0, 2)]


def test_store_counts_a_poll_across_transactions(archive: Archive, make_capture: MakeCapture) -> None:
    tallies: dict[str, Counter[str]] = {}
    store(archive, [WriteRecord(captures=[make_capture()], poll_key="p")], tallies)
    assert tallies == {"p": Counter(new=1)}
    store(archive, [WriteRecord(captures=[make_capture()], poll_key="p"),
                    WriteRecord(poll=PollRow(source="news", started_at=T0, finished_at=T0), poll_key="p")],
          tallies)
    assert q(archive, "SELECT new_articles, unchanged FROM polls") == [(1, 1)]
    assert tallies == {}  # the poll ended: its count is let go


def test_on_commit_listeners_get_the_stored_ids_after_commit(archive: Archive, make_capture: MakeCapture) -> None:
    seen: list[tuple[list[int], int]] = []

    def listener(ids: list[int]) -> None:  # reads the committed rows, from another connection
        seen.append((ids, q(archive, "SELECT count(*) FROM articles")[0][0]))  # type: ignore[arg-type]

    archive.on_commit.append(listener)
    store(archive, [WriteRecord(captures=[make_capture(), make_capture()]),
                    WriteRecord(captures=[make_capture("Autre.", url="https://news.test/a/2", canonical_url=None)])])
    store(archive, [WriteRecord(skips=[Skip(url="https://news.test/x", reason="offsite", at=T0)])])
    assert seen == [([1, 2], 2)]  # one call per commit with captures, duplicates removed


def test_a_failing_listener_is_logged_and_the_write_stands(
    archive: Archive, make_capture: MakeCapture, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[list[int]] = []

    def broken(ids: list[int]) -> None:
        raise RuntimeError("index down")

    archive.on_commit.extend([broken, calls.append])
    with caplog.at_level(logging.ERROR, logger="scraper.archive.record"):
        [[outcome]] = store(archive, [WriteRecord(captures=[make_capture()])])
    assert outcome.status == "new" and calls == [[outcome.article_id]]
    assert q(archive, "SELECT count(*) FROM articles") == [(1,)]
    assert any(r.getMessage() == "on_commit listener failed" for r in caplog.records)


def test_no_listener_call_when_the_write_rolls_back(archive: Archive, make_capture: MakeCapture) -> None:
    calls: list[list[int]] = []
    archive.on_commit.append(calls.append)
    bad = WriteRecord(captures=[make_capture()], feeds=[FeedState(feed_url=None, source="news")])  # type: ignore[arg-type]
    with pytest.raises(ArchiveError):
        store(archive, [bad])
    assert calls == []
    assert q(archive, "SELECT count(*) FROM articles") == [(0,)]


def test_with_options_shares_the_listeners(archive: Archive) -> None:
    other = archive.with_options(lock_timeout=1.0, memory_limit="64MB")
    assert other.on_commit is archive.on_commit and other.lock_timeout == 1.0


def test_memory_limit_is_checked(tmp_path: object) -> None:
    with pytest.raises(ValueError, match="memory_limit"):
        Archive(tmp_path / "a.duckdb", memory_limit="64MB; DROP TABLE articles")  # type: ignore[operator]


def test_the_writer_thread_calls_the_listeners_and_lets_bodies_go(archive: Archive, make_capture: MakeCapture) -> None:
    import threading

    from scraper.archive.writer import WriteBuffer

    seen: list[tuple[list[int], str]] = []
    archive.on_commit.append(lambda ids: seen.append((ids, threading.current_thread().name)))
    buf = WriteBuffer(archive, interval=0.05)
    buf.start()
    try:
        ticket = buf.submit(WriteRecord(captures=[make_capture(access="locked")]), wait=True)
    finally:
        buf.close()
    assert ticket.stored and ticket.record is None and ticket.captures == 1
    assert seen == [([ticket.outcomes[0].article_id], "archive-writer")]  # type: ignore[index]
    assert q(archive, "SELECT next_check_at IS NOT NULL FROM articles") == [(True,)]


def test_a_flush_writes_at_most_max_captures_per_transaction(archive: Archive, make_capture: MakeCapture) -> None:
    from scraper.archive.writer import WriteBuffer

    commits: list[list[int]] = []
    archive.on_commit.append(commits.append)
    buf = WriteBuffer(archive, max_captures=2)  # no thread: flushed here
    tickets = [buf.submit(WriteRecord(captures=[make_capture(f"Texte {i}.", url=f"https://news.test/{i}",
                                                             canonical_url=None)])) for i in range(3)]
    assert buf.flush() and all(t.stored for t in tickets)
    assert [len(ids) for ids in commits] == [2, 1]  # in order, two transactions
