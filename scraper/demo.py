"""``make demo``: archive the offline fixture web into a fresh DuckDB file and show it.

    python -m scraper.demo --db archive/demo.duckdb

Starts the fixture web on a free loopback port, writes a sources file for it, runs one poll of
every source (feeds, sitemaps, an index page; robots.txt honoured), fetches two one-off URLs
(the mixed-encoding page, a PDF), then prints what was archived and one SQL query.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from scraper.archive import Archive
from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb.sources import render_sources
from scraper.logs import setup_logging
from scraper.pipeline import ingest
from scraper.poll import PollContext, PollOptions, poll_all
from scraper.render import render
from scraper.search import SearchIndex, index_dir_for, search
from scraper.settings import Settings
from scraper.sources.config import load_sources

MIXED = "/developpez/actu/363950/firefox-imposera-la-signature-de-toutes-les-extensions-y-compris-en-entreprise/"
QUERY = ("SELECT source, access, count(*) AS articles, any_value(paywall_notice) AS notice "
         "FROM articles GROUP BY ALL ORDER BY source, access")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scraper.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("archive/demo.duckdb"))
    parser.add_argument("-v", "--verbose", action="count", default=0)
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    db: Path = args.db
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)  # a fresh archive every run
    shutil.rmtree(index_dir_for(db), ignore_errors=True)  # and a fresh search index
    t0 = time.monotonic()
    out = sys.stdout
    with FixtureWeb() as web, tempfile.TemporaryDirectory() as tmp:
        sources_file = Path(tmp) / "sources.yaml"
        sources_file.write_text(render_sources(web.base_url), encoding="utf-8")
        sources = load_sources(sources_file)
        settings = Settings(db=db, sources=sources_file)
        archive = Archive(db)
        print(f"fixture web at {web.base_url}; archive {db}\n", file=out)
        with PollContext(settings, archive, options=PollOptions(force=True)) as ctx:
            summaries = poll_all(sources, ctx)
        rows = [s.row() for s in summaries]
        print("scraper poll (one cycle of every fixture source):", file=out)
        render(list(rows[0]), [tuple(r.values()) for r in rows], "table", out)

        print("\none-off fetches (scraper fetch URL):", file=out)
        for url in (web.url(MIXED), web.url("/files/rapport-annuel-2023.pdf")):
            one_off = Settings(db=db, allow_private=True)  # the fixture web is on loopback
            for res in ingest([url], settings=one_off, sources=sources, archive=archive):
                what = res.outcome.status if res.outcome else f"error {res.error.code if res.error else '?'}"
                print(f"  {what:10} {url}", file=out)

        print("\nwhat was archived:", file=out)
        cols = ["source", "title", "words", "access"]
        archived = archive.read(lambda con: con.execute(
            "SELECT source, title, word_count, access FROM articles ORDER BY source, id").fetchall())
        render(cols, archived, "table", out)

        print(f"\nscraper sql \"{QUERY}\"", file=out)
        names, result = archive.read(lambda con: (lambda c: ([d[0] for d in c.description], c.fetchall()))(
            con.execute(QUERY)))
        render(names, result, "table", out)
        skips = archive.read(lambda con: con.execute("SELECT reason, url FROM skips").fetchall())
        print("\nskipped (table skips):", file=out)
        render(["reason", "url"], skips, "table", out)
        index = SearchIndex.for_archive(db)
        index.catch_up(archive)
        print(f"\nscraper search --db {db} '\"shadow AI\" OR budget' (index {index.directory}):",
              file=out)
        hits = search(index, '"shadow AI" OR budget', limit=5).hits
        render(["id", "title", "score", "snippet"],
               [(h.id, h.title, round(h.score, 2), h.snippet) for h in hits], "table", out)
    print(f"\ndone in {time.monotonic() - t0:.1f}s", file=out)
    print(f"\nbrowse it: .venv/bin/scraper serve --db {db}   (then open http://127.0.0.1:8080/)",
          file=out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
