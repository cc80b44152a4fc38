"""``scraper search`` (full-text search, scraper/search/) and ``scraper serve`` (scraper/web/)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from scraper.cli import cli
from scraper.cli.options import db_option, format_option, settings

log = logging.getLogger(__name__)

ACCESS = ("full", "truncated", "locked")
CATCH_UP_LOCK_WAIT = 2.0  # a search waits this long for the archive or the index writer, then answers


@cli.command("search")
@click.argument("query", required=False)
@db_option
@click.option("--source", help="Only this source's articles.")
@click.option("--since", help="Published (else first seen) since DATE, inclusive.")
@click.option("--until", help="Published (else first seen) until DATE; a date includes the day.")
@click.option("--access", type=click.Choice(ACCESS), help="Only articles with this access.")
@click.option("--language", help="Only articles in this language (ISO 639-1: fr, en…).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="Hits to print, best first.")
@format_option("table")
@click.option("--reindex", is_flag=True, help="Rebuild the index from the whole archive first.")
def search_cmd(query: str | None, db: Path, source: str | None, since: str | None,
               until: str | None, access: str | None, language: str | None, limit: int,
               fmt: str, reindex: bool) -> None:
    """Ranked full-text search over the archived titles and texts.

    QUERY: words (all must match; each also finds its other forms in the article's language:
    élection finds élections), "a phrase", OR, NOT word or -word, (grouping). Prints id, url,
    title, source, published_at, access, score and a snippet (matches between **), best first.
    The index lives beside the archive (news.search/ for news.duckdb); it is built by the first
    search and caught up with what was stored since before each search.

    \b
    Examples:
      scraper search élections
      scraper search '"shadow AI" OR chatbots' --source developpez --since 2026-01-01
      scraper search --reindex
    """
    from scraper.archive import Archive
    from scraper.errors import ArchiveError, UsageError
    from scraper.progress import progress_bar
    from scraper.render import render
    from scraper.search import HIT_COLUMNS, Filters, SearchIndex, search
    from scraper.tools.selection import parse_date

    if query is None and not reindex:
        raise UsageError("give a QUERY to search for, or --reindex to rebuild the index",
                         code="usage:query")
    filters = Filters(source=source, access=access, language=language,
                      since=parse_date(since, "--since"), until=parse_date(until, "--until", end=True))
    if filters.since and filters.until and filters.since >= filters.until:
        raise UsageError(f"--since {since} is not before --until {until}", code="usage:date")
    conf = settings(db)
    index = SearchIndex.for_archive(conf.db)
    if reindex:
        archive = Archive(conf.db, lock_timeout=conf.lock_timeout)
        archive.read(lambda con: None)  # a clear error for a missing archive
        with progress_bar() as bar:
            count = index.reindex(archive, progress=bar)
        click.echo(f"indexed {count} article(s) into {index.directory}", err=query is not None)
        if query is None:
            return
    elif not index.exists():
        archive = Archive(conf.db, lock_timeout=conf.lock_timeout)
        archive.read(lambda con: None)
        if sys.stderr.isatty():
            click.echo(f"building the search index {index.directory}…", err=True)
        with progress_bar() as bar:
            index.catch_up(archive, progress=bar, wait=conf.lock_timeout)
    else:
        # what was stored since the last catch-up; a busy archive or index answers as it is
        try:
            index.catch_up(Archive(conf.db, lock_timeout=CATCH_UP_LOCK_WAIT), wait=CATCH_UP_LOCK_WAIT)
        except ArchiveError as exc:
            log.info("search answers without catching up: %s", exc)
    assert query is not None
    results = search(index, query, filters, limit=limit, count=False)
    render(HIT_COLUMNS, (h.row() for h in results.hits), fmt, sys.stdout)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (other machines can connect unless it is a loopback one).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port to listen on (0: any free port).")
@db_option
def serve_cmd(host: str, port: int, db: Path) -> None:
    """A read-only web view of the archive: sources, articles (with search), each article's
    verdict, evidence, revisions and raw response; JSON under /api/.

    The archive is opened read-only for each request only, so the daemon keeps writing.

    \b
    Example:
      scraper serve --db archive/demo.duckdb   # then open http://127.0.0.1:8080/
    """
    import socket

    from scraper.errors import UsageError
    from scraper.web.server import serve

    conf = settings(db)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family = infos[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(infos[0][4])
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                         f"choose another --host or --port", code="usage:listen") from None
    bound = sock.getsockname()
    shown = f"[{bound[0]}]" if family == socket.AF_INET6 else bound[0]
    click.echo(f"serving {conf.db} read-only at http://{shown}:{bound[1]}/ (Ctrl-C to stop)")
    sys.stdout.flush()
    serve(conf.db, sock, lock_timeout=conf.lock_timeout)
