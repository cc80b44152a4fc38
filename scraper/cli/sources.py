"""``scraper sources list|check`` and ``scraper discover``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from scraper.cli import cli
from scraper.cli.options import format_option, named_hosts, settings, sources_option


@cli.group("sources")
def sources_group() -> None:
    """Inspect and validate sources.yaml."""


@sources_group.command("list")
@sources_option
@format_option("table")
def sources_list_cmd(sources_path: Path, fmt: str) -> None:
    """List the declared sources."""
    from scraper.render import render
    from scraper.sources import sources_list

    rows = sources_list(sources_path)
    columns = list(rows[0]) if rows else ["name"]
    render(columns, [tuple(r.values()) for r in rows], fmt, sys.stdout)


@sources_group.command("check")
@sources_option
@format_option("table")
def sources_check_cmd(sources_path: Path, fmt: str) -> None:
    """Validate sources.yaml; exit 2 with file:line, field and a hint when it is wrong."""
    from scraper.render import render
    from scraper.sources import sources_check

    from scraper.errors import ConfigError

    errors: list[ConfigError] = []
    rows = sources_check(sources_path, os.environ, errors)
    if rows:
        render(list(rows[0]), [tuple(r.values()) for r in rows], fmt, sys.stdout)
    warnings = sum(1 for r in rows if r["status"] != "ok")
    for error in errors:
        click.echo(f"error: {error}", err=True)
    click.echo(f"{sources_path}: {len(rows)} sources valid"
               + (f", {warnings} with warnings" if warnings else "")
               + (f", {len(errors)} invalid" if errors else ""), err=True)
    if errors:
        sys.exit(errors[0].exit_code)


@cli.command("discover")
@click.argument("url")
@click.option("--allow-private", is_flag=True, envvar="SCRAPER_ALLOW_PRIVATE",
              help="Allow loopback and private addresses for the host of URL (local test servers); "
                   "the entry then says allow_private: true.")
def discover_cmd(url: str, allow_private: bool) -> None:
    """Look at a site's home page and print a ready sources.yaml entry.

    The home page must be fetched: a refused, unreachable or failing (404…) page is an error.

    Finds feeds (<link rel="alternate">), sitemaps (robots.txt) and guesses the article
    URL pattern from the home page's links.
    """
    from scraper.discover.guess import discover
    from scraper.errors import ScraperError
    from scraper.net.client import make_client
    from scraper.net.fetch import fetch
    from scraper.net.urls import validate_url

    conf = settings(private_hosts=named_hosts([url]) if allow_private else None)
    validate_url(url)
    with make_client(conf) as client:
        home = fetch(client, url, conf).content  # its failure is the command's (exit 3, 4)

        def get(u: str) -> bytes | None:
            if u == url:
                return home
            try:
                return fetch(client, u, conf).content
            except ScraperError:
                return None

        found = discover(url, get)
    for note in found.get("notes", []) or []:
        click.echo(f"# note: {note}", err=True)
    click.echo("sources:")
    click.echo(str(found["yaml"]).rstrip())
    if allow_private:  # polled as it was discovered: its own hosts may be private
        click.echo("    allow_private: true")
