from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from scraper.archive import (
    Archive,
    Skip,
    content_hash,
    decompress_body,
    get_article,
    log_fetches,
    record_skips,
    store_capture,
    store_captures,
)
from scraper.archive.store import normalise_text, parse_timestamp
from scraper.errors import ArchiveError
from scraper.models import Capture, FetchAttempt

MakeCapture = Callable[..., Capture]
Count = Callable[[str], int]


def _versions(archive: Archive) -> list[tuple[int, int, str, str]]:
    return archive.read(
        lambda con: con.execute(
            "SELECT article_id, version, text, access FROM article_versions ORDER BY 1, 2"
        ).fetchall()
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("l’industrie américaine de l’IA", "l'industrie américaine de l'IA"),
        ("“Citation”", '"Citation"'),
        ("deux  espaces\n\net lignes", "deux espaces et lignes"),
        ("espace\u00a0insécable", "espace insécable"),
        ("  bords  ", "bords"),
    ],
)
def test_content_hash_ignores_quotes_and_whitespace(a: str, b: str) -> None:
    assert content_hash(a) == content_hash(b)


def test_content_hash_sees_real_changes() -> None:
    assert content_hash("l'IA") != content_hash("l'AI")
    assert content_hash("Texte") != content_hash("texte")  # case is content


def test_normalise_text() -> None:
    assert normalise_text(" l’été  “chaud” ") == "l'été \"chaud\""


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2026-03-01T09:30:00+01:00", "2026-03-01T08:30:00+00:00"),
        ("2026-03-01T09:30:00Z", "2026-03-01T09:30:00+00:00"),
        ("2026-03-01", "2026-03-01T00:00:00+00:00"),
        ("hier", None),
        (None, None),
    ],
)
def test_parse_timestamp(raw: str | None, iso: str | None) -> None:
    parsed = parse_timestamp(raw)
    assert (parsed.isoformat() if parsed else None) == iso


def test_first_store_is_new_with_version_one(
    archive: Archive, make_capture: MakeCapture, count: Count
) -> None:
    outcome = archive.write(lambda con: store_capture(con, make_capture()))
    assert (outcome.status, outcome.version, outcome.access_changed) == ("new", 1, False)
    art = archive.read(lambda con: get_article(con, "https://news.test/a/1"))
    assert art is not None
    assert art["id"] == outcome.article_id
    assert art["url"] == "https://news.test/a/1?utm_source=feed"
    assert art["authors"] == ["Ada", "Bob"]
    assert art["published_at"] == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert art["content_hash"] == content_hash("Le texte de l’article.")
    assert art["first_seen_at"] == art["fetched_at"] == art["updated_at"]
    assert (count("article_versions"), count("responses")) == (1, 1)


def test_same_text_is_unchanged_and_adds_no_version(
    archive: Archive, make_capture: MakeCapture, count: Count
) -> None:
    first = archive.write(lambda con: store_capture(con, make_capture("l’IA  avance")))
    again = make_capture("l'IA avance", title="Titre corrigé")
    outcome = archive.write(lambda con: store_capture(con, again))
    assert (outcome.article_id, outcome.status, outcome.version) == (first.article_id, "unchanged", 1)
    art = archive.read(lambda con: get_article(con, "https://news.test/a/1"))
    assert art is not None
    assert art["fetched_at"] == again.fetched_at
    assert art["first_seen_at"] < art["fetched_at"]
    assert art["updated_at"] == art["first_seen_at"]
    assert art["title"] == "Titre corrigé"  # metadata follows the latest fetch
    assert art["text"] == "l’IA  avance"  # the text stays that of the stored version
    assert count("article_versions") == 1
    assert count("responses") == 1  # same body: not stored twice


VERDICT_FIELDS = ("access", "paywall_declared", "paywall_confidence", "paywall_signals",
                  "paywall_notice", "paywall_evidence", "extractor", "rules_version")


def _with_verdict(capture: Capture, **fields: object) -> Capture:
    from dataclasses import replace

    return replace(capture, article=replace(capture.article, **fields))  # type: ignore[arg-type]


@pytest.mark.parametrize("one_batch", [False, True], ids=["two-writes", "one-batch"])
def test_unchanged_text_takes_the_whole_new_verdict(
    archive: Archive, make_capture: MakeCapture, count: Count, one_batch: bool
) -> None:
    from scraper.models import Signal

    old = _with_verdict(
        make_capture("Le même texte.", access="truncated"), paywall_declared=True,
        paywall_confidence=1.0, extractor="rules:developpez", rules_version="1",
        paywall_evidence=(Signal("notice:fr:reste-x-pourcent", "57%", 0.9),))
    new = _with_verdict(
        make_capture("Le  même texte.", access="truncated"), paywall_declared=None,
        paywall_confidence=0.7, extractor="trafilatura", rules_version=None,
        paywall_signals=("dom:paywall-box",), paywall_notice="Réservé aux abonnés",
        paywall_evidence=(Signal("dom:paywall-box", "div.paywall", 0.7),))
    if one_batch:
        outcomes = archive.write(lambda con: store_captures(con, [old, new]))
    else:
        outcomes = [archive.write(lambda con: store_capture(con, c)) for c in (old, new)]
    assert [o.status for o in outcomes] == ["new", "unchanged"]
    art = archive.read(lambda con: get_article(con, "https://news.test/a/1"))
    assert art is not None
    stored = {name: art[name] for name in VERDICT_FIELDS}
    evidence = stored.pop("paywall_evidence")
    assert json.loads(evidence) == [{"name": "dom:paywall-box", "detail": "div.paywall", "weight": 0.7}]
    assert stored == {"access": "truncated", "paywall_declared": None, "paywall_confidence": 0.7,
                      "paywall_signals": ["dom:paywall-box"], "paywall_notice": "Réservé aux abonnés",
                      "extractor": "trafilatura", "rules_version": None}
    assert count("article_versions") == 1  # same text and access: no revision


def test_changed_text_adds_a_version(
    archive: Archive, make_capture: MakeCapture, count: Count
) -> None:
    archive.write(lambda con: store_capture(con, make_capture("Première version.")))
    outcome = archive.write(
        lambda con: store_capture(con, make_capture("Deuxième version.", body=b"<p>2</p>"))
    )
    assert (outcome.status, outcome.version, outcome.access_changed) == ("updated", 2, False)
    assert [v[1:3] for v in _versions(archive)] == [
        (1, "Première version."),
        (2, "Deuxième version."),
    ]
    art = archive.read(lambda con: get_article(con, "https://news.test/a/1"))
    assert art is not None
    assert (art["text"], art["version"]) == ("Deuxième version.", 2)
    assert art["updated_at"] == art["fetched_at"]
    assert count("responses") == 2
    response_ids = archive.read(
        lambda con: con.execute("SELECT response_id FROM article_versions ORDER BY version").fetchall()
    )
    assert response_ids[1][0] == art["response_id"] != response_ids[0][0]


def test_access_change_alone_adds_a_version(archive: Archive, make_capture: MakeCapture) -> None:
    archive.write(lambda con: store_capture(con, make_capture("Début.", access="truncated")))
    outcome = archive.write(lambda con: store_capture(con, make_capture("Début.", access="full")))
    assert (outcome.status, outcome.version, outcome.access_changed) == ("updated", 2, True)
    assert [v[3] for v in _versions(archive)] == ["truncated", "full"]


def test_article_key_wins_over_url(
    archive: Archive, make_capture: MakeCapture, count: Count
) -> None:
    first = archive.write(lambda con: store_capture(con, make_capture(key="news:42")))
    moved = make_capture(
        key="news:42", url="https://news.test/new-slug", canonical_url="https://news.test/new-slug"
    )
    outcome = archive.write(lambda con: store_capture(con, moved))
    assert (outcome.article_id, outcome.status) == (first.article_id, "unchanged")
    assert count("articles") == 1
    art = archive.read(lambda con: get_article(con, "news:42"))
    assert art is not None and art["canonical_url"] == "https://news.test/new-slug"


def test_without_canonical_url_the_url_is_the_key(
    archive: Archive, make_capture: MakeCapture, count: Count
) -> None:
    cap = make_capture(url="https://news.test/b", canonical_url=None)
    archive.write(lambda con: store_capture(con, cap))
    later = make_capture(url="https://news.test/b", canonical_url=None)
    assert archive.write(lambda con: store_capture(con, later)).status == "unchanged"
    assert count("articles") == 1


def test_url_asked_for_finds_an_article_stored_under_its_canonical(
    archive: Archive, make_capture: MakeCapture, count: Count
) -> None:
    archive.write(lambda con: store_capture(con, make_capture()))
    same = make_capture(canonical_url=None)  # this time the page gave no canonical URL
    assert archive.write(lambda con: store_capture(con, same)).status == "unchanged"
    assert count("articles") == 1


def test_batch_matches_one_by_one(
    archive: Archive, make_capture: MakeCapture, count: Count
) -> None:
    def cap(i: int, text: str) -> object:
        return make_capture(text, url=f"https://news.test/{i}", canonical_url=f"https://news.test/{i}")

    batch = [cap(1, "un"), cap(2, "deux"), cap(1, "un"), cap(1, "un bis"), cap(3, "trois")]
    outcomes = archive.write(lambda con: store_captures(con, batch))  # type: ignore[arg-type]
    assert [(o.status, o.version) for o in outcomes] == [
        ("new", 1),
        ("new", 1),
        ("unchanged", 1),
        ("updated", 2),
        ("new", 1),
    ]
    assert outcomes[0].article_id == outcomes[2].article_id == outcomes[3].article_id
    assert len({o.article_id for o in outcomes}) == 3
    assert (count("articles"), count("article_versions")) == (3, 4)
    art = archive.read(lambda con: get_article(con, "https://news.test/1"))
    assert art is not None and (art["text"], art["version"]) == ("un bis", 2)


def test_empty_batch(archive: Archive) -> None:
    assert archive.write(lambda con: store_captures(con, [])) == []


def test_large_batch(archive: Archive, make_capture: MakeCapture, count: Count) -> None:
    batch = [
        make_capture(f"texte {i}", url=f"https://news.test/{i}", canonical_url=None, minutes=1)
        for i in range(2000)
    ]
    outcomes = archive.write(lambda con: store_captures(con, batch))
    assert {o.status for o in outcomes} == {"new"}
    assert len({o.article_id for o in outcomes}) == 2000
    assert (count("articles"), count("article_versions"), count("responses")) == (2000, 2000, 2000)


def test_response_is_kept_compressed_with_headers(
    archive: Archive, make_capture: MakeCapture
) -> None:
    body = "<html><p>l’été</p></html>".encode() * 50
    archive.write(lambda con: store_capture(con, make_capture(body=body)))
    codec, blob, size, headers, content_type = archive.read(
        lambda con: con.execute(
            "SELECT codec, body, body_bytes, headers, content_type FROM responses"
        ).fetchone()
    )
    assert decompress_body(codec, blob) == body
    assert size == len(body) > len(blob)
    assert json.loads(headers) == [
        ["content-type", "text/html; charset=utf-8"],
        ["set-cookie", "[redacted]"],
    ]
    assert content_type == "text/html; charset=utf-8"


def test_capture_without_response(archive: Archive, make_capture: MakeCapture, count: Count) -> None:
    outcome = archive.write(lambda con: store_capture(con, make_capture(body=None)))
    assert outcome.status == "new"
    assert count("responses") == 0


def test_log_fetches(archive: Archive, count: Count) -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    attempts = [
        FetchAttempt("https://news.test/x", None, 503, 0, 10.0, "http:503", "Service Unavailable", at, 1, "news"),
        FetchAttempt("https://news.test/x", "https://news.test/x", 200, 1234, 20.5, None, None, at, 2, "news"),
    ]
    assert archive.write(lambda con: log_fetches(con, attempts)) == 2
    rows = archive.read(
        lambda con: con.execute("SELECT status, error, attempt, bytes FROM fetches ORDER BY id").fetchall()
    )
    assert rows == [(503, "http:503", 1, 0), (200, None, 2, 1234)]


def test_record_skips(archive: Archive) -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    skips = [Skip("https://news.test/private/1", "robots-disallowed", at, "news", "Disallow: /private")]
    assert archive.write(lambda con: record_skips(con, skips)) == 1
    rows = archive.read(lambda con: con.execute("SELECT url, reason, skipped_at FROM skips").fetchall())
    assert rows == [("https://news.test/private/1", "robots-disallowed", at)]


def test_a_failed_write_leaves_the_archive_as_it_was(
    archive: Archive, make_capture: MakeCapture, count: Count
) -> None:
    archive.write(lambda con: store_capture(con, make_capture("Avant.")))
    before = archive.read(lambda con: con.execute("SELECT * FROM articles").fetchall())

    def fails(con: object) -> None:
        store_capture(con, make_capture("Après."))  # type: ignore[arg-type]
        store_capture(con, make_capture("Autre.", url="https://news.test/2", canonical_url=None))  # type: ignore[arg-type]
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        archive.write(fails)
    assert archive.read(lambda con: con.execute("SELECT * FROM articles").fetchall()) == before
    assert (count("articles"), count("article_versions"), count("responses")) == (1, 1, 1)


def test_a_database_error_rolls_back_and_becomes_archive_error(
    archive: Archive, make_capture: MakeCapture, count: Count
) -> None:
    def fails(con: object) -> None:
        store_capture(con, make_capture())  # type: ignore[arg-type]
        con.execute("INSERT INTO nowhere VALUES (1)")  # type: ignore[attr-defined]

    with pytest.raises(ArchiveError) as info:
        archive.write(fails)
    assert "\n" not in str(info.value)
    assert "nowhere" in str(info.value)
    assert count("articles") == 0
