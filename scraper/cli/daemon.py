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


@cli.command("daemon")
@sources_option
@db_option
@click.option("--grace", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Seconds in-flight fetches get to finish on SIGINT/SIGTERM (0 or more).")
@click.option("--batch-size", type=click.IntRange(1), default=100, show_default=True,
              help="Articles stored per archive write.")
@allow_private_option("the sources' hosts")
def daemon_cmd(sources_path: Path, db: Path, grace: float, batch_size: int, allow_private: bool) -> None:
    """Poll every enabled source on its schedule until SIGINT or SIGTERM.

    What is due is kept in the archive, so a restart picks up where it stopped. The archive
    stays readable by `scraper sql`/`status` while the daemon runs.
    """
    from scraper.daemon import Daemon
    from scraper.poll import PollOptions
    from scraper.sources.config import load_sources

    from scraper.logs import announce

    conf = settings(db, sources_path)
    sources = load_sources(conf.sources)
    _enabled_sources(sources, conf.sources)
    if allow_private:
        conf = settings(db, sources_path, private_hosts=source_hosts(sources))
    announce("scraper.daemon")  # its start line and one line per poll show without -v
    daemon = Daemon(sources, conf, grace=grace, options=PollOptions(batch_size=batch_size, lock_timeout=5.0))
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
def poll_cmd(names: tuple[str, ...], sources_path: Path, db: Path, fmt: str, allow_private: bool) -> None:
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
def status_cmd(db: Path, fmt: str, tz: Any) -> None:
    """Per source, from the archive: last and next poll, articles today and in all, share
    truncated or locked, errors, share of 304s, current polling interval."""
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
