"""scraper search: what it finds (against ILIKE), stemming, phrases, operators, ranking, filters,
snippets, and the index following the archive (catch-up, reindex, a busy writer)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from scraper.archive import Archive, store_captures
from scraper.search import Filters, SearchIndex, search
from scraper.search.schema import field_language
from tests.search.conftest import T0, article_capture


def ids(run, *args: str) -> list[int]:
    res = run("search", "--format", "jsonl", "--limit", "100", *args)
    assert res.exit_code == 0, res.output
    return [json.loads(line)["id"] for line in res.stdout.splitlines()]


def id_of(archive: Archive, url_part: str) -> int:
    return archive.read(lambda con: con.execute(
        "SELECT id FROM articles WHERE url LIKE ?", [f"%{url_part}%"]).fetchone()[0])


def test_finds_every_article_ilike_finds_for_whole_words(archive: Archive, run) -> None:
    rows = archive.read(lambda con: con.execute("SELECT id, title, text FROM articles").fetchall())
    words = sorted({w.lower() for _, title, text in rows
                    for w in re.findall(r"[^\W\d_]{5,}", f"{title} {text}")})
    assert len(words) > 300
    sample = words[:: max(1, len(words) // 60)]
    for word in sample:
        pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.I)
        expected = {i for i, title, text in rows if pattern.search(f"{title} {text}")}
        ilike = {r[0] for r in archive.read(lambda con, w=word: con.execute(
            "SELECT id FROM articles WHERE title ILIKE $1 OR text ILIKE $1", [f"%{w}%"]).fetchall())}
        assert expected <= ilike  # the whole-word matches are among ILIKE's substring matches
        found = set(ids(run, word))
        assert expected <= found, f"{word!r}: ILIKE finds {sorted(expected - found)} too"


def test_stemming_finds_other_forms_ilike_misses(archive: Archive, run) -> None:
    municipales, maire = id_of(archive, "/fr/municipales"), id_of(archive, "/fr/maire")
    # "élections" (plural) is only in one text, "élection" (singular, after l’) only in the other
    ilike = archive.read(lambda con: con.execute(
        "SELECT id FROM articles WHERE text ILIKE '%élections%'").fetchall())
    assert [r[0] for r in ilike] == [municipales]
    assert set(ids(run, "élections")) == {municipales, maire}
    assert set(ids(run, "élection")) == {municipales, maire}
    assert set(ids(run, "election")) >= {municipales, maire}  # accents folded too
    turbines, harbour = id_of(archive, "/en/turbines"), id_of(archive, "/en/harbour")
    assert set(ids(run, "turbine")) == {turbines, harbour}


def test_phrases_and_apostrophes(archive: Archive, run) -> None:
    shadow = id_of(archive, "363891")
    assert ids(run, '"shadow AI"') == [shadow]
    assert ids(run, '"AI shadow"') == []
    # the title has a typographic apostrophe (l’industrie); ILIKE with a straight one misses it
    assert archive.read(lambda con: con.execute(
        "SELECT count(*) FROM articles WHERE title ILIKE '%l''industrie%'").fetchone()[0]) == 0
    assert shadow in ids(run, '"l\'industrie américaine"')


def test_boolean_operators(archive: Archive, run) -> None:
    municipales, maire = id_of(archive, "/fr/municipales"), id_of(archive, "/fr/maire")
    turbines = id_of(archive, "/en/turbines")
    assert set(ids(run, "élections OR turbines")) == {municipales, maire, turbines, id_of(archive, "/en/harbour")}
    assert ids(run, "élections -maire") == [municipales]
    assert ids(run, "élections AND NOT maire") == [municipales]
    assert ids(run, "élections candidats") == [municipales]  # words are all required


def test_ranking_puts_title_and_repeated_matches_first(archive: Archive, run) -> None:
    res = run("search", "--format", "json", "turbines")
    hits = json.loads(res.stdout)
    assert [h["url"] for h in hits] == ["https://testsite.example/en/turbines",
                                        "https://testsite.example/en/harbour"]
    assert hits[0]["score"] > hits[1]["score"] > 0


def test_filters(archive: Archive, run) -> None:
    municipales, maire = id_of(archive, "/fr/municipales"), id_of(archive, "/fr/maire")
    assert ids(run, "élection", "--access", "truncated") == [maire]
    assert ids(run, "élection", "--source", "nowhere") == []
    assert set(ids(run, "élection", "--source", "testsite")) == {municipales, maire}
    assert ids(run, "élection", "--since", (T0 - timedelta(days=10)).date().isoformat()) == [maire]
    assert ids(run, "élection", "--until", (T0 - timedelta(days=30)).date().isoformat()) == [municipales]
    assert ids(run, "turbine", "--language", "fr") == []
    assert len(ids(run, "turbine", "--language", "en")) == 2
    assert len(ids(run, "élection", "--limit", "1")) == 1


def test_rows_carry_the_documented_columns_and_a_highlighted_snippet(archive: Archive, run) -> None:
    res = run("search", "--format", "jsonl", '"shadow AI"')
    (row,) = [json.loads(line) for line in res.stdout.splitlines()]
    assert list(row) == ["id", "url", "title", "source", "published_at", "access", "score", "snippet"]
    assert row["source"] == "developpez" and row["access"] == "truncated"
    assert row["published_at"].startswith("2024-11-18")
    assert "« **shadow** **AI** »" in row["snippet"]
    csv_out = run("search", "--format", "csv", "turbines").stdout
    assert csv_out.splitlines()[0] == "id,url,title,source,published_at,access,score,snippet"


def test_bad_input_is_one_line_and_exit_2(archive: Archive, run) -> None:
    for args in (["a("], [], ["x", "--since", "yesterday"], ["   "]):
        res = run("search", *args)
        assert res.exit_code == 2, (args, res.output)
        assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1


def test_missing_archive_is_exit_6(run, db_path: Path) -> None:
    res = run("search", "anything")
    assert res.exit_code == 6 and res.stderr.startswith("error: no archive at")
    assert not (db_path.parent / "news.search").exists()


def test_index_lives_beside_the_archive(archive: Archive, run, db_path: Path) -> None:
    run("search", "turbines")
    state = json.loads((db_path.parent / "news.search" / "state.json").read_text())
    assert state["watermark"] == archive.read(
        lambda con: con.execute("SELECT max(change_seq) FROM articles").fetchone()[0])
    assert set(state["languages"]) == {"fr", "en"}


@pytest.fixture
def no_followers(monkeypatch: pytest.MonkeyPatch) -> None:
    """No after-commit catch-up in this process (as in a program that only uses the library)."""
    from scraper import hooks

    monkeypatch.setattr(hooks, "_commit_listeners", [])


@pytest.mark.usefixtures("no_followers")
def test_search_catches_up_with_what_any_writer_stored(archive: Archive, run) -> None:
    assert ids(run, "zeppelin") == []
    # another program stores an article (no commit listener in play: the library alone)
    new = article_capture("https://testsite.example/en/zeppelin", "Zeppelins return",
                          "A zeppelin flew over the harbour.", language="en", at=T0 + timedelta(days=1))
    archive.write(lambda con: store_captures(con, [new]))
    assert ids(run, "zeppelin") == [id_of(archive, "/en/zeppelin")]
    # an update replaces the document: the old words are gone, the new ones found
    changed = article_capture("https://testsite.example/en/zeppelin", "Airships return",
                              "An airship flew over the harbour.", language="en", at=T0 + timedelta(days=2))
    archive.write(lambda con: store_captures(con, [changed]))
    assert ids(run, "zeppelin") == []
    assert ids(run, "airship") == [id_of(archive, "/en/zeppelin")]


def test_a_fetch_indexes_in_the_background(run, fixture_web, monkeypatch: pytest.MonkeyPatch,
                                           db_path: Path) -> None:
    from scraper.search import live

    monkeypatch.setenv("SCRAPER_ALLOW_PRIVATE", "1")
    url = fixture_web.url("/dailyledger/2024/06/12/city-council-approves-light-rail-expansion/")
    assert run("fetch", url).exit_code == 0
    assert run("search", "--reindex").exit_code == 0  # the index exists from now on
    index = SearchIndex.for_archive(db_path)
    before = index.watermark()
    url2 = fixture_web.url("/dailyledger/2024/06/13/grocery-chains-margins-investigation/")
    assert run("fetch", url2).exit_code == 0
    follower = live.follower(db_path)
    assert follower is not None and follower.drain(30)
    assert index.watermark() > before  # caught up by the fetch's process, not by a search
    hits = search(index, "grocery").hits
    assert [h.url for h in hits] == [url2]


@pytest.mark.usefixtures("no_followers")
def test_catch_up_skips_while_another_writer_holds_the_index(archive: Archive, db_path: Path) -> None:
    index = SearchIndex.for_archive(db_path)
    index.catch_up(archive)
    new = article_capture("https://testsite.example/en/busy", "Busy", "A quokka appears.",
                          language="en")
    archive.write(lambda con: store_captures(con, [new]))
    other = SearchIndex.for_archive(db_path)  # as another process would
    with other._writer(wait=0, big=False) as writer:
        assert writer is not None
        result = index.catch_up(archive)
        assert result.busy and result.indexed == 0
        assert search(index, "quokka").hits == []  # reads never wait for the writer
    assert index.catch_up(archive).indexed == 1
    assert [h.title for h in search(index, "quokka").hits] == ["Busy"]


def test_reindex_rebuilds_from_the_archive(archive: Archive, run, db_path: Path) -> None:
    assert len(ids(run, "turbine")) == 2
    from scraper.archive import run_sql

    run_sql(db_path, "DELETE FROM articles WHERE url LIKE '%/en/harbour'", read_only=False)
    res = run("search", "--reindex")
    assert res.exit_code == 0
    assert res.stdout.strip() == f"indexed 8 article(s) into {db_path.parent / 'news.search'}"
    assert ids(run, "turbine") == [id_of(archive, "/en/turbines")]


def test_a_new_archive_at_the_same_path_is_indexed_afresh(archive: Archive, run, db_path: Path) -> None:
    assert len(ids(run, "turbine")) == 2
    db_path.unlink()
    fresh = Archive(db_path)
    cap = article_capture("https://testsite.example/fr/solo", "Seul", "Un article seul.")
    fresh.write(lambda con: store_captures(con, [cap]))
    assert ids(run, "turbine") == []
    assert ids(run, "seul") == [1]


def test_search_from_python(archive: Archive, db_path: Path) -> None:
    index = SearchIndex.for_archive(db_path)
    index.catch_up(archive)
    results = search(index, "élection", Filters(access="full"))
    assert results.total == 1 and results.hits[0].title == "Le calendrier des municipales"


@pytest.mark.parametrize(("value", "lang"), [("fr", "fr"), ("fr-FR", "fr"), ("en_GB", "en"),
                                             ("pl", "xx"), (None, "xx"), ("", "xx")])
def test_field_language(value: str | None, lang: str) -> None:
    assert field_language(value) == lang


def test_a_busy_archive_answers_from_the_index(archive: Archive, run) -> None:
    import time

    assert len(ids(run, "turbine")) == 2
    with archive.connect(read_only=False):  # a writer holds the archive
        start = time.monotonic()
        assert len(ids(run, "turbine")) == 2
        assert time.monotonic() - start < 15  # waited ~2 s for the lock, then answered
