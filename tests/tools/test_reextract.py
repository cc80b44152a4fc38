"""scraper reextract: stored responses extracted again, revisions only where the text changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from scraper.archive import Archive
from scraper.errors import UsageError
from scraper.sources.config import load_sources
from scraper.tools.reextract import reextract
from scraper.tools.selection import Selection, parse_date
from tests.tools.conftest import SOURCES_YAML, query, write_sources

REMOVE_LAST_PARAGRAPH = SOURCES_YAML.replace(
    "      authors: ['[itemprop=creator]']\n",
    "      authors: ['[itemprop=creator]']\n      remove: ['div.content > p:last-child']\n",
).replace('rules_version: "1"\n  - name: dailyledger', 'rules_version: "2"\n  - name: dailyledger')
ET_VOUS_IS_A_NOTICE = SOURCES_YAML.replace(
    "notices: ['La fin de cet article est réservée aux abonnés']",
    "notices: ['La fin de cet article est réservée aux abonnés', 'Et vous \\?']",
)


def versions(archive: Archive) -> int:
    return int(query(archive, "SELECT count(*) FROM article_versions")[0][0])


def test_unchanged_rules_add_no_revision(archive: Archive, run: Callable[..., Result]) -> None:
    before = versions(archive)
    result = run("reextract")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "re-extracted 5 article(s): text changed in 0, access flipped in 0"
    )
    assert "│ dailyledger │ 2           │ 0            │ 2         │ 0      │" in result.output
    assert "│ developpez  │ 3           │ 0            │ 3         │ 0      │" in result.output
    assert versions(archive) == before


def test_changed_rule_adds_revisions_and_records_rules_version(
    archive: Archive, run: Callable[..., Result], sources_path: Path
) -> None:
    write_sources(sources_path, REMOVE_LAST_PARAGRAPH)
    result = run("reextract", "--source", "developpez")
    assert result.exit_code == 0, result.output
    # the two free articles end with an "Et vous ?" paragraph; the paid one ends with its notice
    assert result.output.splitlines()[0] == (
        "re-extracted 3 article(s): text changed in 2, access flipped in 0"
    )
    assert "│ developpez │ 3           │ 2            │ 1         │ 0      │" in result.output
    rows = query(archive, "SELECT article_key, version, rules_version, text FROM articles "
                          "WHERE source = 'developpez' ORDER BY article_key")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("developpez:363891", 1, "2"),
        ("developpez:363950", 2, "2"),
        ("developpez:364012", 2, "2"),
    ]
    assert all("Et vous ?" not in str(r[3]) for r in rows)
    revisions = query(archive, "SELECT canonical_url, version, words_added, rules_version "
                               "FROM article_revisions WHERE version = 2 ORDER BY 1")
    assert [(r[1], r[3]) for r in revisions] == [(2, "2"), (2, "2")]
    assert all(r[2] < 0 for r in revisions)
    # running it again finds nothing new
    again = run("reextract", "--source", "developpez")
    assert again.output.splitlines()[0].endswith("text changed in 0, access flipped in 0")


def test_flipped_access_is_reported(
    archive: Archive, run: Callable[..., Result], sources_path: Path
) -> None:
    write_sources(sources_path, ET_VOUS_IS_A_NOTICE)
    result = run("reextract")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "re-extracted 5 article(s): text changed in 2, access flipped in 2"
    )
    flips = [line for line in result.output.splitlines() if line.startswith("access ")]
    assert flips == [
        "access full → truncated  https://www.developpez.com/developpez/actu/364012/"
        "python-3-13-est-disponible-avec-un-mode-sans-gil-experimental-et-un-compilateur-jit/",
        "access full → truncated  https://www.developpez.com/developpez/actu/363950/"
        "firefox-imposera-la-signature-de-toutes-les-extensions-y-compris-en-entreprise/",
    ]
    changes = query(archive, "SELECT old_access, new_access FROM access_changes")
    assert changes == [("full", "truncated"), ("full", "truncated")]


def test_since_selects_by_fetch_time(archive: Archive, sources_path: Path) -> None:
    sources = load_sources(write_sources(sources_path, REMOVE_LAST_PARAGRAPH))
    # the fixture pages were fetched hourly from 2026-03-01 08:00 UTC; the last two after 11:00
    report = reextract(archive, sources, Selection(since=parse_date("2026-03-01T11:00:00Z")))
    assert {name: c.reextracted for name, c in report.counts.items()} == {"dailyledger": 2}
    report = reextract(archive, sources, Selection(since=parse_date("2030-01-01")))
    assert report.counts == {}


def test_a_batch_size_of_one_gives_the_same_result(archive: Archive, sources_path: Path) -> None:
    sources = load_sources(write_sources(sources_path, REMOVE_LAST_PARAGRAPH))
    report = reextract(archive, sources, batch_size=1)
    assert sum(c.text_changed for c in report.counts.values()) == 2


def test_unknown_source_is_a_usage_error(archive: Archive, run: Callable[..., Result]) -> None:
    result = run("reextract", "--source", "developez")
    assert result.exit_code == 2
    assert "no source named 'developez' — did you mean 'developpez'?" in result.output


def test_bad_date_is_a_usage_error(archive: Archive, run: Callable[..., Result]) -> None:
    result = run("reextract", "--since", "yesterday")
    assert result.exit_code == 2
    assert result.output == (
        "error: bad date 'yesterday' for --since: use YYYY-MM-DD or an ISO 8601 date-time "
        "such as 2024-06-13T08:00:00+02:00\n"
    )


def test_missing_archive(run: Callable[..., Result], db_path: Path) -> None:
    result = run("reextract")
    assert result.exit_code == 6
    assert result.output.startswith(f"error: no archive at {db_path}")
    assert not db_path.exists()


def test_without_a_sources_file_nothing_is_rewritten(
    archive: Archive, run: Callable[..., Result], tmp_path: Path
) -> None:
    before = versions(archive)
    result = run("reextract", "--sources", str(tmp_path / "none.yaml"))
    assert result.exit_code == 2
    assert result.output == f"error: {tmp_path / 'none.yaml'}: no such sources file\n"
    with pytest.raises(UsageError, match="no sources file is loaded"):
        reextract(archive, None)
    assert versions(archive) == before


def test_articles_of_a_source_no_longer_declared_are_left_alone(
    archive: Archive, run: Callable[..., Result], sources_path: Path
) -> None:
    write_sources(sources_path, SOURCES_YAML.split("  - name: dailyledger")[0])
    before = query(archive, "SELECT id, version, rules_version FROM articles ORDER BY id")
    result = run("reextract")
    assert result.exit_code == 0, result.output
    assert "│ dailyledger │ 0           │ 0            │ 0         │ 2      │" in result.output
    assert ("error: https://dailyledger.test/dailyledger/2024/06/12/city-council-approves-light-"
            "rail-expansion/: source 'dailyledger' is not declared in the sources file; its "
            "articles keep their text") in result.output
    assert query(archive, "SELECT id, version, rules_version FROM articles ORDER BY id") == before


def test_a_stored_page_without_article_text_is_reported_and_left_alone(
    archive: Archive, sources_path: Path
) -> None:
    """A home page archived before extract:no-article existed: re-extraction says so and does
    not rewrite it (nor delete it: that is for the user to decide)."""
    from datetime import UTC, datetime

    from scraper.archive import store_captures
    from scraper.models import Article, Capture
    from tests.tools.conftest import fetch_result

    url = "https://elsewhere.test/"
    home = fetch_result("dailyledger", url, datetime(2026, 3, 2, tzinfo=UTC))
    old = Capture(url=url, article=Article(text="The Daily Ledger", word_count=3), fetched_at=home.fetched_at,
                  response=home)
    archive.write(lambda con: store_captures(con, [old]))
    before = query(archive, "SELECT text, version FROM articles WHERE url = ?", [url])
    report = reextract(archive, load_sources(sources_path))
    assert report.failures == [(url, "no article text at https://elsewhere.test/: 0 letter(s) outside links "
                                     "and the title (an article has at least 50); an empty page, a home "
                                     "page or an index is not archived")]
    assert report.counts["(none)"].errors == 1
    assert query(archive, "SELECT text, version FROM articles WHERE url = ?", [url]) == before
