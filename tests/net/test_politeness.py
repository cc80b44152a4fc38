"""Per-host slots with a fake clock: delay between starts, concurrency, 429 pause."""

from __future__ import annotations

import threading

import pytest

from scraper.net.politeness import Abandoned, Politeness


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_back_off_blocks_the_whole_host_until_retry_after() -> None:
    clock = Clock()
    pol = Politeness(clock=clock, poll=0.01)
    assert pol.back_off("http://h.test:1/a", 30.0) == 30.0
    got = threading.Event()

    def other() -> None:
        with pol.slot("http://h.test:1/other", min_delay=0, concurrency=4):
            got.set()

    t = threading.Thread(target=other)
    t.start()
    assert not got.wait(0.1)  # still blocked: the clock has not moved
    with pol.slot("http://elsewhere.test:2/x", min_delay=0, concurrency=1):
        pass  # another host is not blocked
    clock.t += 30.0
    assert got.wait(2)
    t.join()


def test_min_delay_and_crawl_delay_space_request_starts() -> None:
    clock = Clock()
    pol = Politeness(clock=clock, poll=0.01)
    with pol.slot("http://h.test/a", min_delay=1.0, concurrency=2, crawl_delay=5.0) as slot:
        assert slot.next_at == 105.0
    done = threading.Event()

    def second() -> None:
        with pol.slot("http://h.test/b", min_delay=1.0, concurrency=2, crawl_delay=5.0):
            done.set()

    t = threading.Thread(target=second)
    t.start()
    assert not done.wait(0.1)
    clock.t = 105.0
    assert done.wait(2)
    t.join()


def test_stop_abandons_waiters() -> None:
    pol = Politeness(clock=Clock(), poll=0.01)
    pol.back_off("http://h.test/a", 60.0)
    pol.stop.set()
    with pytest.raises(Abandoned), pol.slot("http://h.test/b", min_delay=0, concurrency=1):
        pass
