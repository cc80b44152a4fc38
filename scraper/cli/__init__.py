"""The ``scraper`` command: a thin layer over the library.

Each command resolves its settings, calls one library function and hands the result to
``render.py``. Errors are translated once, here: a ``ScraperError`` becomes
``error: <message>`` on stderr and its family's exit code (see ``errors.py``); nothing
else ever prints a traceback.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from scraper.errors import ScraperError

log = logging.getLogger(__name__)


class ScraperGroup(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        kwargs.setdefault("standalone_mode", True)
        try:
            return super().main(*args, **{**kwargs, "standalone_mode": False})
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort as exc:  # click's own for Ctrl-C (and EOF at a prompt)
            interrupted = isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt)
            click.echo("error: interrupted" if interrupted else "error: aborted", err=True)
            sys.exit(130)
        except ScraperError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(0)
        except Exception as exc:  # the last resort: one line, never a traceback
            log.debug("unexpected error", exc_info=True)
            name = type(exc).__name__
            click.echo(f"error: internal error ({name}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                       "run with -v to see details", err=True)
            sys.exit(1)


@click.group(cls=ScraperGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="scraper")
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log line format on stderr.")
def cli(verbose: int, log_format: str) -> None:
    """Collect news articles into a DuckDB archive, with an honest paywall verdict for each."""
    from scraper.logs import setup_logging

    setup_logging(verbose, log_format)
    # every command that stores articles keeps an existing search index current (issue 14)
    from scraper.search.live import follow_archive_writes

    follow_archive_writes()


def main() -> None:
    cli.main(prog_name="scraper")


# Command families register themselves on ``cli``.
from scraper.cli import articles as _articles  # noqa: E402,F401
from scraper.cli import sql as _sql  # noqa: E402,F401
from scraper.cli import sources as _sources  # noqa: E402,F401
from scraper.cli import tools as _tools  # noqa: E402,F401
from scraper.cli import daemon as _daemon  # noqa: E402,F401
from scraper.cli import search as _search  # noqa: E402,F401
from scraper.cli import lake as _lake  # noqa: E402,F401
