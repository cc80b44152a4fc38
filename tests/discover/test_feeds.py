from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.discover.feeds import parse_feed
from scraper.errors import ContentError

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def load(name: str, base: str):  # type: ignore[no-untyped-def]
    return parse_feed((FEEDS / name).read_bytes(), base)


def test_rss20_developpez_like() -> None:
    feed = load("developpez-rss20-iso-8859-1.xml", "https://www.developpez.com/index/rss")
    assert (feed.kind, feed.title, feed.ttl) == ("rss", "Developpez.com", 30)
    first = feed.entries[0]
    assert first.guid == "363891"
    assert first.link == "https://www.developpez.com/actu/363891/La-Poste-victime-d-une-cyberattaque-DDoS/"
    # windows-1252 0x92 under an iso-8859-1 declaration is ’, not a dropped C1 control
    assert first.title == "La Poste victime d’une cyberattaque DDoS~? les services en ligne perturbés"
    assert first.published == datetime(2024, 12, 23, 13, 5, tzinfo=UTC)
    assert first.authors == ("Stéphane le calme",)
    # a UTF-8 run inside the latin-1-labelled feed stays UTF-8
    assert feed.entries[1].summary == "Résumé seulement… l’essentiel."
    assert len(feed.entries) == 3


def test_rss10() -> None:
    feed = load("rss10.rdf", "https://news.example.org/rss")
    assert feed.kind == "rss" and feed.ttl == 30  # sy:updatePeriod hourly / updateFrequency 2
    (entry,) = feed.entries
    assert entry.link == "https://news.example.org/2024/05/12/first"
    assert entry.title == "First story"
    assert entry.published == entry.updated == datetime(2024, 5, 12, 8, 30, tzinfo=UTC)
    assert entry.authors == ("Ada Lovelace",)


def test_atom_resolves_relative_links() -> None:
    feed = load("atom.xml", "https://blog.example.net/feed")
    assert feed.kind == "atom" and feed.updated == datetime(2024, 6, 1, 12, tzinfo=UTC)
    (entry,) = feed.entries
    assert entry.link == "https://blog.example.net/posts/2024/06/relative-entry"
    assert entry.guid == "tag:blog.example.net,2024:1"
    assert entry.published == datetime(2024, 6, 1, 13, tzinfo=UTC)
    assert entry.updated == datetime(2024, 6, 1, 12, tzinfo=UTC)
    assert entry.summary == "Atom summary." and entry.authors == ("Grace Hopper",)


def test_json_feed() -> None:
    feed = load("jsonfeed.json", "https://json.example.com/feed.json")
    assert feed.kind == "json" and feed.title == "Example JSON Feed"
    second, first = feed.entries
    assert second.link == "https://json.example.com/articles/2/second"
    assert second.published == datetime(2024, 7, 2, 6, tzinfo=UTC)
    assert second.updated == datetime(2024, 7, 2, 9, 30, tzinfo=UTC)
    assert first.link == "https://elsewhere.example/1" and first.title is None
    assert first.published == datetime(2024, 7, 1, tzinfo=UTC) and first.summary == "Only text."
    assert second.to_dict()["published"] == "2024-07-02T06:00:00+00:00"


def test_dates_are_utc_aware() -> None:
    for name, base in [("developpez-rss20-iso-8859-1.xml", "https://x/"), ("atom.xml", "https://x/"),
                       ("jsonfeed.json", "https://x/"), ("rss10.rdf", "https://x/")]:
        for e in load(name, base).entries:
            for d in (e.published, e.updated):
                assert d is None or d.utcoffset() is not None and d.utcoffset().total_seconds() == 0


def test_billion_laughs_refused_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(ContentError, match="entity") as info:
        load("billion-laughs.xml", "https://x.example/rss")
    assert info.value.code == "xml:entity"
    assert time.perf_counter() - started < 1


def test_external_entity_refused() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><title>&x;</title></channel></rss>'
    with pytest.raises(ContentError, match="entity"):
        parse_feed(body, "https://x.example/rss")


def test_malformed_entity_declaration_still_refused() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y"> <oops]><rss version="2.0"></rss>'
    with pytest.raises(ContentError, match="entity"):
        parse_feed(body, "https://x.example/rss")


def test_plain_doctype_without_entities_is_fine() -> None:
    body = (b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
            b'"http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel><title>Old</title>'
            b'<item><title>A</title><link>https://old.example/a</link></item></channel></rss>')
    feed = parse_feed(body, "https://old.example/rss")
    assert feed.kind == "rss" and feed.entries[0].link == "https://old.example/a"


@pytest.mark.parametrize("body", [b"<html><body>nope</body></html>", b"", b"{\"a\": 1}", b"{not json", b"/etc/passwd"])
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(ContentError):
        parse_feed(body, "https://x.example/rss")


def test_non_http_links_dropped() -> None:
    body = b'<rss version="2.0"><channel><item><title>x</title><link>javascript:alert(1)</link></item></channel></rss>'
    assert parse_feed(body, "https://x.example/rss").entries[0].link is None
