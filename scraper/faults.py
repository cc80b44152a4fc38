"""``python -m scraper.faults`` (``make faults``): hostile servers against the real code paths.

Starts a fixture web on 127.0.0.1 and a fresh archive in a temporary directory, then for each
fault fetches a good article, the fault, and another good article through the library's own
roads (``pipeline.ingest`` for pages, as ``scraper fetch``; ``poll_source`` of a source whose feed
links to the fault, as ``scraper poll``; fetch + ``parse_feed`` / ``collect_sitemap_urls`` /
``RobotsCache`` for feeds, sitemaps and robots.txt), and prints one row per fault::

    fault | survived | recorded | lost | duplicates | seconds

- ``survived``: nothing escaped but a ScraperError, it ended within its time bound, and the
  archive passed :func:`check_archive` afterwards;
- ``recorded``: the ``fetches.error`` codes of the fault's URL (or what became of it); for a
  damaged WARC (``scraper import``), why its record was refused (``warc:cut-short``…);
- ``lost``: good articles (and faults that recover, such as a burst of 503) not archived;
- ``duplicates``: duplicate or partial rows found by :func:`check_archive`.

Exit status 0 when every row survived with nothing lost and no duplicate, else 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import duckdb

from scraper.logs import setup_logging
from scraper.archive import Archive
from scraper.archive.record import WriteRecord, store
from scraper.errors import ScraperError
from scraper.fixtureweb import FixtureWeb
from scraper.fixtureweb import faults as hostile
from scraper.models import FetchAttempt
from scraper.net.client import make_client
from scraper.net.fetch import fetch
from scraper.settings import Settings

log = logging.getLogger(__name__)

# Small limits so the whole table runs in seconds; the faults scale past every one of them.
SETTINGS = Settings(
    allow_private=True,  # the fixture web is on loopback (one row checks the refusal)
    connect_timeout=1.0,
    read_timeout=0.8,
    total_timeout=1.0,
    max_bytes=10 * 1024 * 1024,
    retries=3,
    backoff_base=0.01,
    backoff_max=0.05,
    retry_after_max=5.0,
    lock_timeout=10.0,
)
NO_RETRY = {"retries": 0}
INTERNAL_HOST = "127.0.0.2"
# the URL budget is what ends these: default timeouts and retries, a budget of 3 s
BUDGET_SECONDS = 3.0
BUDGET = {"url_budget": BUDGET_SECONDS, "total_timeout": 120.0, "read_timeout": 30.0,
          "connect_timeout": 10.0, "retries": 3}
TIMEOUT_FAULTS = (
    ("trickled body", "/_/slow?delay=0&trickle=0.5&chunks=200"),
    ("trickled headers", "/_/slowheaders?delay=0.25&n=400"),
    ("silent server", "/_/slow?delay=60"),
)


@dataclass(frozen=True)
class Fault:
    name: str
    path: str  # on the fixture web
    kind: str = "page"  # page | poll | internal | feed | sitemap | robots | warc
    expect_article: bool = False  # the fault recovers: its page must be archived too
    expect: tuple[str, ...] = ()  # one of these error codes must be recorded
    overrides: dict[str, Any] = field(default_factory=dict)  # Settings fields for this fault
    time_limit: float = 20.0


FAULTS: tuple[Fault, ...] = (
    Fault("slow headers (trickled)", "/_/slowheaders?delay=0.25&n=40", expect=("net:timeout",), overrides=NO_RETRY),
    Fault("silent before headers", "/_/slow?delay=5", expect=("net:timeout",), overrides=NO_RETRY),
    Fault("trickled body", "/_/slow?delay=0&trickle=0.2&chunks=40", expect=("net:timeout",), overrides=NO_RETRY),
    *(Fault(f"{name}, url_budget {BUDGET_SECONDS:g}s ({road})", f"{path}&key=budget-{road}", kind=kind,
            expect=("net:timeout",), overrides=BUDGET, time_limit=BUDGET_SECONDS + 5)
      for road, kind in (("fetch", "page"), ("poll", "poll")) for name, path in TIMEOUT_FAULTS),
    Fault("connection reset mid-body", "/_/reset", expect=("net:reset", "net:protocol")),
    Fault("body shorter than Content-Length", "/_/short", expect=("net:protocol",)),
    Fault("429 without Retry-After", "/_/429?retry_after=none&key=faults", expect_article=True),
    Fault("429 Retry-After: 1 (seconds)", "/_/429?retry_after=1&key=faults", expect_article=True),
    Fault("429 Retry-After: HTTP-date", "/_/429?retry_after=1&date=1&key=faults", expect_article=True),
    Fault("429 Retry-After: 1 hour", "/_/429?retry_after=3600&fail=9&key=faults", expect=("http:429",)),
    Fault("burst 500/502/503 then 200", "/_/burst?codes=500,502,503&key=faults", expect_article=True),
    Fault("503 forever", "/_/status/503", expect=("http:503",)),
    Fault("redirect loop", "/_/loop/a", expect=("net:redirect-loop",)),
    Fault("redirect chain of 30", "/_/chain/30", expect=("net:too-many-redirects",)),
    Fault("redirect to file:///etc/passwd", "/_/redirect?to=file:///etc/passwd", expect=("policy:scheme",)),
    Fault("redirect to ftp:", "/_/redirect?to=ftp://127.0.0.1/x", expect=("policy:scheme",)),
    Fault("loopback without allow_private", "/_/status/200", expect=("policy:private-address",),
          overrides={"allow_private": False}),
    # allow_private covers the source's own domain (127.0.0.1), never another host (127.0.0.2)
    Fault("feed entry on an internal host (poll)", "entry-poll", kind="internal",
          expect=("policy:private-address",)),
    Fault("redirect to an internal host (poll)", "redirect-poll", kind="internal",
          expect=("policy:private-address",)),
    Fault("redirect to an internal host (fetch --allow-private)", "redirect-fetch", kind="internal",
          expect=("policy:private-address",)),
    Fault("2 GB body, no length", "/_/huge", expect=("net:too-large",)),
    Fault("2 GB body, Content-Length", "/_/huge?length=1", expect=("net:too-large",)),
    Fault("gzip bomb (64 MiB)", "/_/gzipbomb?mb=64", expect=("net:too-large",)),
    Fault("brotli bomb (64 MiB)", "/_/brbomb?mb=64", expect=("net:too-large",)),
    Fault("PDF as text/html", "/_/pdf", expect=("content:not-html",)),
    Fault("binary as text/html", "/_/binary", expect=("content:not-html",)),
    Fault("invalid UTF-8", "/_/badutf8", expect_article=True),
    Fault("HTML nested 100k deep", "/_/nested?depth=100000", expect=("content:too-deep",)),
    Fault("malformed HTML", "/_/malformed", expect=("extract:no-article",)),  # parsed; no article text
    Fault("empty page", "/_/empty", expect=("extract:no-article",)),
    Fault("feed that is not XML", "/_/notxml", kind="feed", expect=("feed:malformed",)),
    Fault("feed: billion laughs", "/_/laughs", kind="feed", expect=("xml:entity",)),
    Fault("feed: external entity", "/_/xxe", kind="feed", expect=("xml:entity",)),
    Fault("feed with 50,000 entries", "/_/bigfeed?n=50000", kind="feed", time_limit=40.0),
    Fault("sitemap: external entity", "/_/xxe?kind=sitemap", kind="sitemap", expect=("xml:entity",)),
    Fault("sitemap index -> itself", "/_/selfindex", kind="sitemap"),
    Fault("WARC cut short (.warc)", "/faults-warc/cut/", kind="warc", expect=("warc:cut-short",)),
    Fault("WARC cut short (.warc.gz)", "/faults-warc/cut-gz/", kind="warc", expect=("warc:cut-short",)),
    Fault("WARC record with a wrong digest", "/faults-warc/digest/", kind="warc",
          expect=("warc:block-digest", "warc:payload-digest")),
    Fault("robots.txt of 16 MB (first 512 KiB parsed)", "huge", kind="robots"),
    Fault("binary robots.txt", "binary", kind="robots"),
)


@dataclass
class FaultRow:
    fault: str
    survived: bool
    recorded: str
    lost: int
    duplicates: int
    seconds: float
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.survived and self.lost == 0 and self.duplicates == 0

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.fault, "yes" if self.survived else "NO", self.recorded, self.lost,
                self.duplicates, f"{self.seconds:.1f}", self.note)


COLUMNS = ("fault", "survived", "recorded", "lost", "duplicates", "seconds", "note")


# -- the archive's integrity ----------------------------------------------------------------------

INTEGRITY_QUERIES: dict[str, str] = {
    "duplicate canonical_url": "SELECT count(*) - count(DISTINCT canonical_url) FROM articles",
    "duplicate article_key": "SELECT count(article_key) - count(DISTINCT article_key) FROM articles",
    "duplicate url": "SELECT count(*) - count(DISTINCT url) FROM articles",
    "article without its version rows": """
        SELECT count(*) FROM articles a
        WHERE (SELECT count(*) FROM article_versions v WHERE v.article_id = a.id) <> a.version""",
    "article without its response": """
        SELECT count(*) FROM articles a
        WHERE a.response_id IS NULL OR NOT EXISTS (SELECT 1 FROM responses r WHERE r.id = a.response_id)""",
    "version without its article": """
        SELECT count(*) FROM article_versions v
        WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = v.article_id)""",
    "response without a body": "SELECT count(*) FROM responses WHERE (body IS NULL AND warc_file IS NULL) OR body_sha256 IS NULL",
}


def check_archive(path: Path) -> dict[str, int]:
    """Problems found in the archive at ``path``: name -> count (empty when sound).

    Opens the file read-only (it must open at all), runs DuckDB's own checks by reading every
    table, then the queries of :data:`INTEGRITY_QUERIES`."""
    problems: dict[str, int] = {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        for table in ("articles", "article_versions", "responses", "fetches"):
            con.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - fixed names
        for name, sql in INTEGRITY_QUERIES.items():
            row = con.execute(sql).fetchone()
            n = int(row[0]) if row and row[0] is not None else 0
            if n:
                problems[name] = n
    finally:
        con.close()
    return problems


def archived_urls(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT url FROM articles").fetchall()}
    finally:
        con.close()


def last_fetch_id(path: Path) -> int:
    if not path.exists():
        return 0
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT coalesce(max(id), 0) FROM fetches").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def recorded_errors(path: Path, url: str, since_id: int = 0) -> list[str]:
    """Distinct ``fetches.error`` codes of ``url`` logged after the row ``since_id``."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "SELECT DISTINCT error FROM fetches WHERE url = ? AND id > ? AND error IS NOT NULL "
            "ORDER BY 1", [url, since_id]
        ).fetchall()
        return [r[0] for r in rows]
    finally:
        con.close()


# -- running one fault ----------------------------------------------------------------------------


class _Runner:
    def __init__(self, web: FixtureWeb, archive: Archive, settings: Settings) -> None:
        self.web = web
        self.archive = archive
        self.settings = settings
        self.client = make_client(settings)
        self.n = 0
        self._internal: FixtureWeb | None = None

    def close(self) -> None:
        self.client.close()
        if self._internal is not None:
            self._internal.stop()

    def internal(self) -> FixtureWeb:
        """A second web on 127.0.0.2, standing for an internal service (Linux routes all of
        127.0.0.0/8 to the loopback interface)."""
        if self._internal is None:
            self._internal = FixtureWeb(host=INTERNAL_HOST).start()
        return self._internal

    def internal_url(self, fault: Fault) -> str:
        self.n += 1
        secret = self.internal().put(f"/secret/{self.n}/", hostile.article_html("Internal", slug="internal"))
        if fault.path.startswith("entry"):
            return secret
        return self.web.url(f"/_/redirect?to={quote(secret, safe='')}&n={self.n}")

    def run_internal(self, fault: Fault, url: str, settings: Settings) -> str:
        if fault.path.endswith("poll"):
            return self.run_poll(fault, url, settings)
        # as ``scraper fetch --allow-private URL``: the host named is allowed, no other
        named = replace(settings, allow_private=False, private_hosts=(urlsplit(url).hostname or "",))
        self.ingest([url], named)
        return ""

    def good_url(self, label: str) -> str:
        self.n += 1
        slug = f"good-{self.n}-{label}"
        return self.web.put(f"/faults-good/{slug}/", hostile.article_html(f"Good article {self.n}", slug=slug))

    def ingest(self, urls: Sequence[str], settings: Settings) -> None:
        from scraper.pipeline import ingest

        for res in ingest(urls, settings=settings, archive=self.archive, client=self.client):
            log.debug("fault ingest url=%s error=%s", res.url, res.error.code if res.error else "-")

    def log_attempts(self, attempts: Sequence[FetchAttempt], error: ScraperError | None = None) -> None:
        attempts = list(attempts)
        if error is not None and attempts and attempts[-1].error is None:
            attempts[-1] = replace(attempts[-1], error=error.code, error_detail=str(error))
        if attempts:
            store(self.archive, [WriteRecord(attempts=attempts)])

    def fetch_logged(self, url: str, settings: Settings) -> bytes | None:
        try:
            result = fetch(self.client, url, settings)
        except ScraperError as exc:
            self.log_attempts(exc.attempts)
            return None
        self.log_attempts(result.attempts)
        return result.content

    # each kind returns a note for the table
    def run_page(self, fault: Fault, url: str, settings: Settings) -> str:
        self.ingest([url], settings)
        return ""

    def run_poll(self, fault: Fault, url: str, settings: Settings) -> str:
        """``scraper poll`` of a source (on the fixture web's host, ``allow_private``) whose
        feed lists the fault's URL."""
        from scraper.poll import PollContext, PollOptions, poll_source
        from scraper.sources.config import load_sources_text

        self.n += 1
        feed = self.web.put(f"/faults-poll/{self.n}/feed.xml", hostile.rss_of([url]),
                            content_type="application/rss+xml")
        source = next(iter(load_sources_text(
            "sources:\n"
            f"  - name: faults-poll-{self.n}\n"
            f"    domains: [{json.dumps(urlsplit(feed).hostname)}]\n"
            "    allow_private: true\n"
            "    politeness: {min_delay: 0, concurrency: 2}\n"
            f"    feeds: [{json.dumps(feed)}]\n")))
        options = PollOptions(force=True, workers=4, source_threads=1, lock_timeout=settings.lock_timeout)
        with PollContext(replace(settings, allow_private=False), self.archive, options=options) as ctx:
            summary = poll_source(source, ctx)
        return f"poll: {summary.errors} error(s), {summary.new} new"

    def run_feed(self, fault: Fault, url: str, settings: Settings) -> str:
        from scraper.discover.feeds import parse_feed

        try:
            result = fetch(self.client, url, settings)
        except ScraperError as exc:
            self.log_attempts(exc.attempts)
            return ""
        try:
            feed = parse_feed(result.content, result.final_url)
        except ScraperError as exc:
            self.log_attempts(result.attempts, exc)
            return ""
        self.log_attempts(result.attempts)
        return f"{len(feed.entries)} entries parsed"

    def run_sitemap(self, fault: Fault, url: str, settings: Settings) -> str:
        from scraper.discover.sitemaps import collect_sitemap_urls, parse_sitemap

        if "xxe" in url:
            try:
                result = fetch(self.client, url, settings)
            except ScraperError as exc:
                self.log_attempts(exc.attempts)
                return ""
            try:
                parse_sitemap(result.content, result.final_url)
            except ScraperError as exc:
                self.log_attempts(result.attempts, exc)
                return ""
            self.log_attempts(result.attempts)
            return ""
        crawl = collect_sitemap_urls(lambda u: self.fetch_logged(u, settings), [url])
        return f"{len(crawl.sitemaps_fetched)} fetch, {len(crawl.urls)} URLs"

    def run_robots(self, fault: Fault, url: str, settings: Settings) -> str:
        from scraper.net.robots import RobotsCache

        body = hostile.huge_robots(16) if fault.path == "huge" else hostile.binary_robots()
        self.web.put("/robots.txt", body, content_type="text/plain", gzip=False)
        try:
            cache = RobotsCache(self.client)
            allowed, _delay, status = cache.check(url, settings)
            attempts = cache.take_attempts()
            self.log_attempts(attempts)
            return f"robots {status or 'ok'}, page {'allowed' if allowed else 'disallowed'}"
        finally:
            self.web.delete("/robots.txt")

    def run_warc(self, fault: Fault, url: str, settings: Settings) -> str:
        """``scraper import`` of a WARC holding a whole article, then the fault's page damaged
        (cut short, or one byte changed under its digests): the first is archived, the other
        refused. The refusal reasons stand for the fetch errors of the other kinds."""
        from io import BytesIO

        from warcio.warcwriter import WARCWriter

        from scraper.tools.warc import import_warcs

        gz = fault.path.endswith("-gz/")
        warc = self.archive.path.parent / f"fault{'.warc.gz' if gz else '.warc'}"
        offsets = []
        with warc.open("wb") as fh:
            writer = WARCWriter(fh, gzip=gz, warc_version="1.0")
            for page_url, title in ((self.web.url(fault.path + "intact/"), "Whole"), (url, "Damaged")):
                body = hostile.article_html(f"{title} WARC record", slug=title.lower()).encode()
                raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body
                offsets.append(fh.tell())
                writer.write_record(writer.create_warc_record(
                    page_url, "response", payload=BytesIO(raw), length=len(raw),
                    warc_headers_dict={"WARC-Date": "2025-01-02T03:04:05Z"}))
        data = bytearray(warc.read_bytes())
        if "digest" in fault.path:
            at = data.index(b"<p>", offsets[1])
            data[at:at + 3] = b"<b>"  # the same length: only the digests can tell
        else:
            del data[len(data) - 200:]  # cut in the body of the second record
        warc.write_bytes(bytes(data))
        report = import_warcs(self.archive, [warc], None)
        self.refusals = [f"warc:{r.reason}" for r in report.first_refused]
        return f"import: {report.archived} archived, {sum(report.refused.values())} refused"

    def run(self, fault: Fault) -> FaultRow:
        settings = replace(self.settings, **fault.overrides)
        before, after = self.good_url("before"), self.good_url("after")
        expected = {before, after}
        self.refusals: list[str] = []
        if fault.kind == "warc":
            expected.add(self.web.url(fault.path + "intact/"))  # the whole record before the damage
        if fault.kind == "robots":
            url = self.web.url(f"/faults-robots/{fault.path}/page/")
            recorded_url = self.web.url("/robots.txt")
        elif fault.kind == "internal":
            url = recorded_url = self.internal_url(fault)
        else:
            url = recorded_url = self.web.url(fault.path)
        if fault.expect_article:
            expected.add(url)
        since = last_fetch_id(self.archive.path)
        t0 = time.monotonic()
        survived, note = True, ""
        try:
            self.ingest([before], self.settings)
            note = getattr(self, f"run_{fault.kind}")(fault, url, settings)
            self.ingest([after], self.settings)
        except ScraperError as exc:  # a clean refusal of the fault itself still survives
            note = f"raised {exc.code}"
        except Exception as exc:  # noqa: BLE001 - this is what the table is for
            survived, note = False, f"crashed: {type(exc).__name__}: {str(exc)[:80]}"
        seconds = time.monotonic() - t0
        if fault.kind == "internal" and self.internal().requests():
            survived, note = False, f"the internal host was asked for {self.internal().requests()[0].path} " + note
        if seconds > fault.time_limit:
            survived, note = False, f"took {seconds:.1f}s > {fault.time_limit:g}s " + note
        try:
            problems = check_archive(self.archive.path)
            archived = archived_urls(self.archive.path)
            errors = recorded_errors(self.archive.path, recorded_url, since) + self.refusals
        except duckdb.Error as exc:
            return FaultRow(fault.name, False, "-", len(expected), 0, seconds,
                            f"archive does not open: {exc}")
        lost = len(expected - archived)
        recorded = ", ".join(errors) if errors else ("archived" if url in archived else "fetched, no error")
        if url in archived and errors:
            recorded += " -> archived"
        if fault.expect and not set(fault.expect) & set(errors):
            survived, note = False, f"expected {' or '.join(fault.expect)} in fetches " + note
        if fault.kind in ("page", "poll", "internal") and not errors and url not in archived:
            survived, note = False, "nothing recorded " + note
        if fault.kind == "warc" and url in archived:
            survived, note = False, "the damaged record was archived " + note
        return FaultRow(fault.name, survived, recorded, lost, sum(problems.values()), seconds,
                        note.strip() or ", ".join(problems))


@contextmanager
def _fixture_web(web: FixtureWeb | None) -> Iterator[FixtureWeb]:
    if web is not None:
        yield web
        return
    with FixtureWeb() as own:
        yield own


def run_faults(faults: Sequence[Fault] = FAULTS, *, web: FixtureWeb | None = None,
               workdir: Path | None = None, settings: Settings = SETTINGS,
               progress: Callable[[FaultRow], None] | None = None) -> list[FaultRow]:
    """Run ``faults`` against a fixture web (``web``, or one of its own) and a fresh archive
    in ``workdir`` (or a temporary directory); one :class:`FaultRow` per fault."""
    rows: list[FaultRow] = []
    with tempfile.TemporaryDirectory(prefix="scraper-faults-", dir=workdir) as tmp, \
            _fixture_web(web) as fw:
        archive = Archive(Path(tmp) / "faults.duckdb", lock_timeout=settings.lock_timeout)
        runner = _Runner(fw, archive, settings)
        try:
            for fault in faults:
                row = runner.run(fault)
                rows.append(row)
                if progress is not None:
                    progress(row)
        finally:
            runner.close()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scraper.faults", description=__doc__.split("\n")[0])
    parser.add_argument("--format", default="table", choices=("table", "csv", "json", "jsonl"))
    parser.add_argument("-k", dest="only", help="run only the faults whose name contains this")
    args = parser.parse_args(argv)
    setup_logging(0)  # an entry point: expected warnings and library noise stay quiet
    from scraper.render import render

    faults = [f for f in FAULTS if not args.only or args.only.lower() in f.name.lower()]
    t0 = time.monotonic()
    rows = run_faults(faults)
    render(COLUMNS, [r.as_tuple() for r in rows], args.format, sys.stdout)
    sys.stdout.flush()
    bad = [r for r in rows if not r.ok]
    print(f"{len(rows)} faults in {time.monotonic() - t0:.1f}s: "
          + ("all survived, 0 lost, 0 duplicates" if not bad else f"{len(bad)} FAILED"), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
