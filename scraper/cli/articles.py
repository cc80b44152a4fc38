"""``scraper fetch``, ``scraper extract``, ``scraper show``: one article at a time."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from scraper.cli import cli
from scraper.cli.options import db_option, load_sources_if_present, named_hosts, settings, sources_option
from scraper.errors import ArchiveMissingError, ScraperError, UsageError


def _summary(url: str, art: Any, source: str | None, status: str) -> str:
    signals = ", ".join(art.paywall_signals) if art.paywall_signals else "no paywall signal"
    title = art.title or "(no title)"
    return (f"{status:9} {url}\n          [{source or 'generic'}] {title!r}: {art.word_count} words, "
            f"{art.access} (confidence {art.paywall_confidence:.2f}; {signals})")


@cli.command("fetch")
@click.argument("urls", nargs=-1, required=True)
@db_option
@sources_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per URL per line.")
@click.option("--no-store", is_flag=True, help="Fetch and extract, but do not archive.")
@click.option("--source", "forced_source", help="Use this source's rules whatever the URL.")
@click.option("--allow-private", is_flag=True, envvar="SCRAPER_ALLOW_PRIVATE",
              help="Allow loopback and private addresses for the hosts of URLS (local test servers).")
def fetch_cmd(urls: tuple[str, ...], db: Path, sources_path: Path, as_json: bool, no_store: bool,
              forced_source: str | None, allow_private: bool) -> None:
    """Fetch URLS, extract their articles and archive them.

    Exit code: 0 when every URL was archived, else the code of the first failure.
    """
    from scraper.archive import Archive
    from scraper.cli.interrupt import Interrupt
    from scraper.pipeline import ingest

    conf = settings(db, sources_path, private_hosts=named_hosts(urls) if allow_private else None)
    sources = load_sources_if_present(sources_path)
    archive = None if no_store else Archive(conf.db, lock_timeout=conf.lock_timeout)
    first_error: ScraperError | None = None
    done = failed = 0
    with Interrupt() as interrupt:
        if archive is not None:
            interrupt.guard(archive)
        # fetched in a helper thread, so that an interrupt can stop waiting for a slow host
        for res in interrupt.iterate(ingest(urls, settings=conf, sources=sources, archive=archive,
                                            forced_source=forced_source, stop=interrupt.stop)):
            done += 1
            if res.error is not None:
                failed += 1
                first_error = first_error or res.error
                if as_json:
                    click.echo(json.dumps({"url": res.url, "error": res.error.code,
                                           "message": str(res.error)}, ensure_ascii=False))
                click.echo(f"error: {res.url}: {res.error}", err=True)
                continue
            cap = res.capture
            assert cap is not None
            if as_json:
                out = {"url": res.url, "source": cap.source,
                       "fetched_at": cap.fetched_at.isoformat(), **cap.article.to_dict()}
                if res.outcome is not None:
                    out["stored"] = res.outcome.status
                click.echo(json.dumps(out, ensure_ascii=False, default=str))
            else:
                status = res.outcome.status if res.outcome else "fetched"
                click.echo(_summary(res.url, cap.article, cap.source, status))
        if interrupt.signum is not None:
            click.echo(f"interrupted after {done} of {len(urls)} URL(s): {done - failed} "
                       f"{'fetched' if archive is None else 'archived'}, {failed} failed, "
                       f"{len(urls) - done} not done", err=True)
    interrupt.exit()
    if first_error is not None:
        sys.exit(first_error.exit_code)


@cli.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--url", help="The page's URL (for relative links, canonical URL and source rules).")
@click.option("--content-type", help="The Content-Type header it was served with.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file per line.")
@sources_option
@click.option("--source", "forced_source", help="Use this source's rules.")
def extract_cmd(files: tuple[Path, ...], url: str | None, content_type: str | None, as_json: bool,
                sources_path: Path, forced_source: str | None) -> None:
    """Extract the article from saved pages, offline; nothing is archived."""
    from scraper.extract.article import extract_article
    from scraper.pipeline import resolve_source

    sources = load_sources_if_present(sources_path)
    first_error: ScraperError | None = None
    for path in files:
        try:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
            source = resolve_source(url, sources, forced_source) if (url or forced_source) else None
            art = extract_article(data, url=url, content_type=content_type,
                                  rules=source.rules() if source else None)
        except ScraperError as exc:
            first_error = first_error or exc
            click.echo(f"error: {path}: {exc}", err=True)
            continue
        if as_json:
            click.echo(json.dumps({"file": str(path), "url": url, **art.to_dict()}, ensure_ascii=False))
        else:
            click.echo(_summary(str(path), art, source.name if source else None, "extracted"))
            click.echo("")
            click.echo(art.text)
            if art.paywall_notice:
                click.echo(f"\n[paywall notice] {art.paywall_notice}")
    if first_error is not None:
        sys.exit(first_error.exit_code)


@cli.command("show")
@click.argument("url")
@db_option
@click.option("--json", "as_json", is_flag=True, help="The archived row as JSON.")
def show_cmd(url: str, db: Path, as_json: bool) -> None:
    """Show one archived article, by URL or canonical URL."""
    from scraper.archive import Archive
    from scraper.archive.queries import get_article

    conf = settings(db)
    row = Archive(conf.db, lock_timeout=conf.lock_timeout).read(lambda con: get_article(con, url))
    if row is None:
        raise ArchiveMissingError(f"{url} is not in the archive {conf.db}", code="archive:not-found")
    if as_json:
        click.echo(json.dumps(row, ensure_ascii=False, default=_jsonable))
        return
    click.echo(row.get("title") or "(no title)")
    click.echo("=" * min(len(row.get("title") or "(no title)"), 100))
    for key in ("url", "canonical_url", "source", "authors", "published_at", "language", "section",
                "word_count", "access", "paywall_declared", "paywall_model", "paywall_confidence", "paywall_signals",
                "fetched_at", "version"):
        if row.get(key) not in (None, [], ""):
            click.echo(f"{key:19} {_plain(row[key])}")
    click.echo("")
    click.echo(row.get("text") or "")
    if row.get("paywall_notice"):
        click.echo(f"\n[paywall notice] {row['paywall_notice']}")


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


