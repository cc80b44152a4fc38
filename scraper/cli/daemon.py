"""``scraper daemon``, ``scraper poll``, ``scraper status``: the polling side."""

from __future__ import annotations

import os
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from scraper.cli import cli
from scraper.cli.options import (
    allow_private_option,
    db_option,
    format_option,
    settings,
    source_hosts,
    sources_option,
    tz_option,
)

POLL_PRIORITY = ("source", "new", "updated", "errors", "feeds", "unchanged", "skipped",
                 "not_modified", "pending", "seconds")
STATUS_PRIORITY = ("source", "last_poll", "next_poll", "articles_today", "errors", "articles_total",
                   "truncated_share", "interval_seconds", "not_modified_share")


def _enabled_sources(sources: Any, path: Path) -> list[Any]:
    """The enabled sources; a ConfigError when there are none (nothing would ever be polled)."""
    from scraper.errors import ConfigError

    enabled = [s for s in sources if s.enabled]
    if not enabled:
        what = "declares no source" if not len(sources) else "has no enabled source"
        raise ConfigError(f"{path} {what}: nothing to poll; add one under `sources:` "
                          "(scraper discover URL prints an entry)", code="config:no-sources")
    return enabled

shard_option = click.option(
    "--shard", metavar="K/N", help="Only the sources of shard K of N (a stable hash of the name).")


@cli.command("daemon")
@sources_option
@db_option
@click.option("--grace", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Seconds in-flight fetches get to finish on SIGINT/SIGTERM (0 or more).")
@click.option("--batch-size", type=click.IntRange(1), default=100, show_default=True,
              help="Articles stored per archive write.")
@allow_private_option("the sources' hosts")
@shard_option
def daemon_cmd(sources_path: Path, db: Path, grace: float, batch_size: int, allow_private: bool,
               shard: str | None) -> None:
    """Poll every enabled source on its schedule until SIGINT or SIGTERM.

    What is due is kept in the archive, so a restart picks up where it stopped. The archive
    stays readable by `scraper sql`/`status` while the daemon runs. With --shard K/N it polls
    only its shard of the sources; with SCRAPER_LAKE_CATALOG and SCRAPER_LAKE_WAREHOUSE set it
    publishes to the lake (README, "Running on many machines").
    """
    from scraper.daemon import Daemon
    from scraper.lake.claims import Shard
    from scraper.poll import PollOptions
    from scraper.logs import announce
    from scraper.sources.config import load_sources

    conf = settings(db, sources_path)
    sources = load_sources(conf.sources)
    _enabled_sources(sources, conf.sources)
    if allow_private:
        conf = settings(db, sources_path, private_hosts=source_hosts(sources))
    announce("scraper.daemon")  # its start line and one line per poll show without -v
    daemon = Daemon(sources, conf, grace=grace, options=PollOptions(batch_size=batch_size, lock_timeout=5.0),
                    shard=Shard.parse(shard) if shard else None, environ=dict(os.environ))
    clean = daemon.run_forever()
    sys.stdout.flush()
    sys.stderr.flush()
    if threading.active_count() > 1:
        # a fetch still running past the grace period: its data was not kept; leave now
        os._exit(0 if clean else 1)
    sys.exit(0 if clean else 1)


@cli.command("poll")
@click.option("--source", "names", multiple=True, help="Poll only this source (repeatable).")
@sources_option
@db_option
@format_option("table")
@allow_private_option("the sources' hosts")
@shard_option
def poll_cmd(names: tuple[str, ...], sources_path: Path, db: Path, fmt: str, allow_private: bool,
             shard: str | None) -> None:
    """Poll every enabled source (or those named) once, due or not, and print a summary."""
    from scraper.archive import Archive
    from scraper.cli.interrupt import Interrupt
    from scraper.poll import PollContext, PollOptions, poll_all
    from scraper.progress import progress_bar
    from scraper.render import render
    from scraper.sources.config import load_sources

    conf = settings(db, sources_path)
    sources = load_sources(conf.sources)
    for name in names:
        sources.get(name)  # a ConfigError with a hint for an unknown name
    if not names:
        _enabled_sources(sources, conf.sources)
    if allow_private:
        conf = settings(db, sources_path, private_hosts=source_hosts(sources))
    if shard:
        from scraper.lake.claims import Shard

        part = Shard.parse(shard)
        names = tuple(s.name for s in sources if (s.name in names if names else s.enabled) and part.owns(s.name))
        if not names:
            click.echo(f"no source in shard {part}", err=True)
            return
    if sys.stderr.isatty():
        click.echo(f"polling {', '.join(names) or 'all enabled sources'}…", err=True)
    archive = Archive(conf.db, lock_timeout=conf.lock_timeout)
    with Interrupt() as interrupt, progress_bar() as bar:
        interrupt.guard(archive)
        ctx = PollContext(conf, archive, options=PollOptions(force=True), progress=bar)
        # an interrupt stops the polls taking work; fetches running get the grace, then
        # each poll stores what it fetched and returns its summary
        interrupt.on_stop(lambda: ctx.interrupt(interrupt.grace))
        try:
            summaries = poll_all(sources, ctx, names=names or None)
        finally:
            ctx.close(wait=interrupt.signum is None)
    rows = [s.row() for s in summaries]
    columns = list(rows[0]) if rows else ["source", "feeds", "not_modified", "new", "updated",
                                          "unchanged", "skipped", "errors", "pending", "seconds"]
    render(columns, iter([tuple(r.values()) for r in rows]), fmt, sys.stdout, priority=POLL_PRIORITY)
    interrupt.exit()


@cli.command("status")
@db_option
@format_option("table")
@tz_option
@click.option("--lake", is_flag=True, help="Which daemon holds which source (PostgreSQL lake catalog).")
@sources_option
def status_cmd(db: Path, fmt: str, tz: Any, lake: bool, sources_path: Path) -> None:
    """Per source, from the archive: last and next poll, articles today and in all, share
    truncated or locked, errors, share of 304s, current polling interval.

    With --lake: per source of sources.yaml, the daemon holding its lock, from PostgreSQL."""
    if lake:
        _lake_status(sources_path, fmt)
        return
    from scraper.archive import Archive
    from scraper.archive.queries import source_status
    from scraper.render import render

    conf = settings(db)

    def read(con: Any) -> list[dict[str, Any]]:
        con.execute(f"SET TimeZone = '{tz.key}'")  # "today" starts at midnight in --tz
        return source_status(con, datetime.now(UTC))

    rows = Archive(conf.db, lock_timeout=conf.lock_timeout).read(read)
    columns = ["source", "last_poll", "next_poll", "articles_today", "articles_total",
               "truncated_share", "errors", "not_modified_share", "interval_seconds"]
    render(columns, iter([tuple(r[c] for c in columns) for r in rows]), fmt, sys.stdout, tz=tz,
           priority=STATUS_PRIORITY)

def _lake_status(sources_path: Path, fmt: str) -> None:
    from scraper.errors import UsageError
    from scraper.lake.catalog import is_postgres
    from scraper.lake.claims import holders
    from scraper.render import render
    from scraper.sources.config import load_sources

    conf = settings(sources_path=sources_path)
    if not is_postgres(conf.lake_catalog):
        raise UsageError("status --lake reads the daemons' source locks from PostgreSQL: set "
                         "SCRAPER_LAKE_CATALOG to a postgresql:// URL (with SQLite, use --shard)")
    names = [s.name for s in load_sources(conf.sources) if s.enabled]
    rows = holders(conf.lake_catalog or "", names)
    columns = ["source", "daemon", "client", "since"]
    render(columns, iter([tuple(r[c] for c in columns) for r in rows]), fmt, sys.stdout)
