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


def _url_list(lines: Any) -> list[str]:
    """URLs one per line; blank lines and ``#`` comments skipped (as wget -i reads them)."""
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@cli.command("fetch")
@click.argument("urls", nargs=-1)
@click.option("-i", "--input-file", "input_file", type=click.File("r", encoding="utf-8"),
              help="Read URLs from FILE, one per line (`-` for standard input; # comments).")
@db_option
@sources_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per URL per line.")
@click.option("--no-store", is_flag=True, help="Fetch and extract, but do not archive.")
@click.option("--source", "forced_source", help="Use this source's rules whatever the URL.")
@click.option("--allow-private", is_flag=True, envvar="SCRAPER_ALLOW_PRIVATE",
              help="Allow loopback and private addresses for the hosts of URLS (local test servers).")
def fetch_cmd(urls: tuple[str, ...], input_file: Any, db: Path, sources_path: Path, as_json: bool,
              no_store: bool, forced_source: str | None, allow_private: bool) -> None:
    """Fetch URLS, extract their articles and archive them.

    URLS may also come from -i FILE, or from standard input with `-` (one per line).
    Exit code: 0 when every URL was archived, else the code of the first failure.
    """
    listed = [u for u in urls if u != "-"]
    if "-" in urls:
        listed += _url_list(sys.stdin)
    if input_file is not None:
        listed += _url_list(input_file)
    if not listed:
        raise UsageError("no URL given: name URLs, or read them with -i FILE or - (standard input)",
                         code="usage:no-url")
    urls = tuple(listed)
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


EXTRACT_FORMATS = ("summary", "txt", "markdown", "json")


def _markdown(art: Any, url: str | None) -> str:
    """The article as Markdown: title, a metadata line, paragraphs, the notice as a quote."""
    lines = [f"# {art.title or '(no title)'}", ""]
    meta = [x for x in (", ".join(art.authors) if art.authors else None,
                        art.published_at,
                        f"<{url}>" if url else None, f"access: {art.access}") if x]
    lines += [" · ".join(meta), "", art.text or ""]
    if art.paywall_notice:
        lines += ["", f"> {art.paywall_notice}"]
    return "\n".join(lines)


@cli.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--url", help="The page's URL (for relative links, canonical URL and source rules).")
@click.option("--content-type", help="The Content-Type header it was served with.")
@click.option("--format", "fmt", type=click.Choice(EXTRACT_FORMATS), default="summary", show_default=True,
              help="summary (verdict, then text), txt (the text alone), markdown, json (one object per line).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@sources_option
@click.option("--source", "forced_source", help="Use this source's rules.")
def extract_cmd(files: tuple[Path, ...], url: str | None, content_type: str | None, fmt: str,
                as_json: bool, sources_path: Path, forced_source: str | None) -> None:
    """Extract the article from saved pages, offline; nothing is archived."""
    if as_json:
        fmt = "json"
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
        if fmt == "json":
            click.echo(json.dumps({"file": str(path), "url": url, **art.to_dict(),
                                   "source": source.name if source else None}, ensure_ascii=False))
        elif fmt == "txt":
            click.echo(art.text)
        elif fmt == "markdown":
            click.echo(_markdown(art, url))
        else:
            click.echo(_summary(str(path), art, source.name if source else None, "extracted"))
            click.echo("")
            click.echo(art.text)
            if art.paywall_notice:
                click.echo(f"\n[paywall notice] {art.paywall_notice}")
    if first_error is not None:
        sys.exit(first_error.exit_code)


def _find(con: Any, url: str, sources: Any) -> dict[str, Any] | None:
    """The article ``url`` names, found the way ``fetch`` matched it: as given, canonicalised
    (no tracking parameters, lower-case host), with or without the trailing slash, or by the
    source's article key."""
    from scraper.archive.queries import get_article
    from scraper.net.urls import normalize_url
    from scraper.pipeline import resolve_source
    from scraper.sources.registry import article_key

    candidates = [url]
    try:
        norm = normalize_url(url)
    except ScraperError:
        norm = None
    if norm:
        path_end = norm.split("?", 1)[0]
        toggled = (norm.replace(path_end, path_end[:-1], 1) if path_end.endswith("/") and
                   path_end.count("/") > 3 else norm.replace(path_end, path_end + "/", 1))
        candidates += [norm, toggled]
        source = resolve_source(norm, sources) if sources is not None else None
        key = article_key(source, norm) if source is not None else None
        if key:
            candidates.append(key)
    for candidate in dict.fromkeys(candidates):
        row = get_article(con, candidate)
        if row is not None:
            return row
    return None


def _lookup(url: str, conf: Any, sources_path: Path) -> tuple[Any, dict[str, Any]]:
    from scraper.archive import Archive

    sources = load_sources_if_present(sources_path)
    archive = Archive(conf.db, lock_timeout=conf.lock_timeout)
    row = archive.read(lambda con: _find(con, url, sources))
    if row is None:
        raise ArchiveMissingError(f"{url} is not in the archive {conf.db}", code="archive:not-found")
    return archive, row


@cli.command("show")
@click.argument("url")
@db_option
@sources_option
@click.option("--json", "as_json", is_flag=True, help="The archived row as JSON.")
@click.option("--raw", is_flag=True, help="The stored HTML of the latest fetch, as it was received.")
def show_cmd(url: str, db: Path, sources_path: Path, as_json: bool, raw: bool) -> None:
    """Show one archived article, by URL (as fetch matched it), canonical URL or article key."""
    from scraper.archive.queries import stored_response

    conf = settings(db, sources_path)
    archive, row = _lookup(url, conf, sources_path)
    if raw:
        def latest(con: Any) -> dict[str, Any] | None:
            con.execute("SELECT * FROM responses WHERE id = ?", [row.get("response_id")])
            names = [d[0] for d in con.description or ()]
            found = con.fetchone()
            return dict(zip(names, found, strict=True)) if found else None

        response = archive.read(latest)
        if response is None:
            raise ArchiveMissingError(f"{url}: no raw response is stored for it", code="archive:no-response")
        sys.stdout.flush()
        sys.stdout.buffer.write(stored_response(response).content)
        sys.stdout.buffer.flush()
        return
    if as_json:
        from scraper.render import json_value

        click.echo(json.dumps(json_value(row), ensure_ascii=False))
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


@cli.command("diff")
@click.argument("url")
@click.argument("versions", nargs=-1, type=click.IntRange(1))
@db_option
@sources_option
def diff_cmd(url: str, versions: tuple[int, ...], db: Path, sources_path: Path) -> None:
    """A word diff of an article's text between two revisions (V1 V2; default: the last two).

    Removed words print as [-words-], added ones as {+words+}; unchanged paragraphs are left out.
    """
    from scraper.archive.queries import article_versions
    from scraper.tools.diff import word_diff

    if len(versions) not in (0, 2):
        raise UsageError("give two versions (scraper diff URL 1 3) or none (the last two)", code="usage:diff")
    conf = settings(db, sources_path)
    archive, row = _lookup(url, conf, sources_path)
    revisions = {r["version"]: r for r in archive.read(lambda con: article_versions(con, row["id"]))}
    if not versions:
        if len(revisions) < 2:
            click.echo(f"{row['canonical_url']} has one revision: nothing to compare")
            return
        latest = max(revisions)
        versions = (max(v for v in revisions if v < latest), latest)
    missing = [v for v in versions if v not in revisions]
    if missing:
        raise UsageError(f"{row['canonical_url']} has no revision {missing[0]} "
                         f"(revisions: {', '.join(map(str, sorted(revisions)))})", code="usage:diff")
    old, new = (revisions[v] for v in versions)
    for rev in (old, new):
        mark = "---" if rev is old else "+++"
        click.echo(f"{mark} version {rev['version']}  {_plain(rev['fetched_at'])}  {rev['access']}  "
                   f"{rev['word_count']} words")
    changes = word_diff(old.get("text") or "", new.get("text") or "")
    if not changes:
        click.echo("(the texts are the same)")
    for paragraph in changes:
        click.echo("")
        click.echo(paragraph)


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="seconds")
    return str(value)


