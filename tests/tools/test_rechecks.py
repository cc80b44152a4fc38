"""Whoever stores a truncated or locked article schedules its re-check: ``scraper fetch``,
``scraper import`` and ``scraper reextract`` as the poller does (one write path)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scraper.archive import Archive
from scraper.cli import cli
from scraper.fixtureweb import FixtureWeb
from tests.tools.conftest import query

DEV_PAYWALLED = ("/developpez/actu/363891/l-industrie-americaine-de-l-ia-face-au-shadow-ai-les-"
                 "entreprises-s-inquietent-de-l-usage-des-chatbots-par-leurs-employes/")
DEV_FREE = ("/developpez/actu/364012/python-3-13-est-disponible-avec-un-mode-sans-gil-experimental-"
            "et-un-compilateur-jit/")
CHECKS = "SELECT url LIKE '%/363891/%', access, next_check_at - fetched_at, check_count FROM articles"


def _checks(archive: Archive) -> dict[bool, tuple[object, ...]]:
    """Per article (keyed by "is the Developpez teaser"): access, delay to the next check, count."""
    return {row[0]: row[1:] for row in query(archive, CHECKS + " WHERE url LIKE '%/36%'")}


def _every_walled_article_scheduled(archive: Archive) -> bool:
    rows = query(archive, "SELECT access, next_check_at IS NOT NULL FROM articles")
    return len(rows) == 5 and all((access != "full") == scheduled for access, scheduled in rows)


def test_fetch_of_a_truncated_article_schedules_its_recheck(
    fixture_web: FixtureWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "a.duckdb"
    monkeypatch.chdir(tmp_path)  # no sources.yaml: the generic path
    monkeypatch.setenv("SCRAPER_ALLOW_PRIVATE", "1")
    result = CliRunner().invoke(cli, ["fetch", "--db", str(db), fixture_web.url(DEV_PAYWALLED),
                                      fixture_web.url(DEV_FREE)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _checks(Archive(db)) == {True: ("truncated", timedelta(days=1), 0),
                                    False: ("full", None, 0)}


def test_reextract_schedules_rechecks_of_what_it_finds_truncated(
    archive: Archive, run: Callable[..., Result]
) -> None:
    # the fixture archive was stored below the write path: no check scheduled yet
    assert query(archive, "SELECT count(*) FROM articles WHERE next_check_at IS NOT NULL") == [(0,)]
    assert run("reextract").exit_code == 0
    assert _checks(archive)[True] == ("truncated", timedelta(days=1), 0)
    assert _every_walled_article_scheduled(archive)


def test_import_of_a_truncated_article_schedules_its_recheck(
    archive: Archive, run: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "all.warc.gz"
    assert run("export", "--format", "warc", str(out)).exit_code == 0
    fresh = tmp_path / "fresh.duckdb"
    monkeypatch.setenv("SCRAPER_DB", str(fresh))
    assert run("import", str(out)).exit_code == 0
    assert _checks(Archive(fresh))[True] == ("truncated", timedelta(days=1), 0)
    assert _every_walled_article_scheduled(Archive(fresh))
