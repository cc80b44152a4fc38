"""``scraper serve``: a read-only web view of the archive, and the same data as JSON.

    /                    sources: status table, articles per day and truncated share (SVG)
    /articles            newest first; q (search), source, access, language, since, until, page
    /articles/{id}       metadata, verdict and evidence, notice, text, revisions and a word
                         diff (?a=1&b=2), access changes, the raw response as escaped source
    /articles/{id}/raw   the raw response as text/plain, under a sandboxing CSP
    /api/...             the same data as JSON: /api/sources, /api/articles, /api/articles/{id}

Safety: the archive is opened read-only for one request's reads. Archived strings are only
ever template data, escaped by Jinja2's autoescape; no archived markup is rendered; links are
made only of http(s) URLs. Every response carries a Content-Security-Policy that allows no
script, no frame, no plugin and no third-party resource (the page has no JavaScript at all),
and bound to a loopback address the app answers only to loopback Host names (DNS rebinding).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scraper.archive import Archive
from scraper.errors import ArchiveError, ArchiveMissingError, ScraperError, UsageError
from scraper.render import json_value
from scraper.search import Filters, SearchIndex, search
from scraper.tools.selection import parse_date
from scraper.web import data
from scraper.web.charts import source_charts
from scraper.web.diff import diff_stats, word_diff

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
ACCESS = ("full", "truncated", "locked")
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
RAW_CSP = "sandbox; default-src 'none'"
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
SEARCH_LOCK_WAIT = 1.0  # a search's catch-up waits this long for the archive, then answers


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response (a route may set a stricter CSP)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                         if k.encode() not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


def http_url(value: Any) -> str | None:
    """``value`` when it is an http(s) URL (the only links the pages make), else None."""
    if not isinstance(value, str):
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in ("http", "https") else None


def _when(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) if isinstance(value, datetime) else ("" if value is None else str(value))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,  # every archived string is escaped; nothing is marked safe
        undefined=jinja2.StrictUndefined,
    )
    env.filters["when"] = _when
    env.filters["http_url"] = http_url
    env.filters["percent"] = lambda v: "" if v is None else f"{float(v) * 100:.0f}%"
    env.filters["paragraphs"] = lambda text: [p for p in (text or "").split("\n\n") if p.strip()]
    return env


class WebView:
    """The request handlers of one archive."""

    def __init__(self, db: Path, *, lock_timeout: float = 5.0) -> None:
        self.db = Path(db)
        self.archive = Archive(self.db, lock_timeout=lock_timeout)
        self.index = SearchIndex.for_archive(self.db)
        self.env = _environment()

    # -- helpers ----------------------------------------------------------------------------

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("error", None)
        html = self.env.get_template(template).render(request=request, db=str(self.db), **context)
        return HTMLResponse(html, status_code=status)

    @staticmethod
    def json(payload: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(json_value(payload), status_code=status)

    @staticmethod
    def _api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    # -- sources ----------------------------------------------------------------------------

    def sources_data(self) -> list[dict[str, Any]]:
        return self.archive.read(lambda con: data.sources(con, data.utcnow()))

    def sources(self, request: Request) -> Response:
        rows = self.sources_data()
        if self._api(request):
            return self.json({"sources": rows})
        charts = {r["source"]: source_charts(r["days"]) for r in rows if r["days"]}
        return self.page(request, "sources.html", sources=rows, charts=charts)

    # -- articles ---------------------------------------------------------------------------

    def _listing(self, request: Request) -> dict[str, Any]:
        q = (request.query_params.get("q") or "").strip()
        params = {k: (request.query_params.get(k) or "").strip()
                  for k in ("source", "access", "language", "since", "until")}
        if params["access"] and params["access"] not in ACCESS:
            raise UsageError(f"bad access {params['access']!r}: choose one of {', '.join(ACCESS)}")
        try:
            page = int(request.query_params.get("page") or 1)
        except ValueError:
            raise UsageError("page must be a number from 1") from None
        if page < 1:
            raise UsageError("page must be a number from 1")
        since = parse_date(params["since"] or None, "since")
        until = parse_date(params["until"] or None, "until", end=True)
        filt = data.ArticleFilter(params["source"] or None, params["access"] or None,
                                  params["language"] or None, since, until)
        facets = self.archive.read(data.facets)  # first: a missing archive is a 503, no index made
        if q:
            rows, total = self._search(q, filt, page)
        else:
            rows, total = self.archive.read(lambda con: data.articles(con, filt, page))
        return {"q": q, "params": params, "page": page, "page_size": data.PAGE_SIZE,
                "total": total, "articles": rows, "facets": facets}

    def _search(self, q: str, f: data.ArticleFilter, page: int) -> tuple[list[dict[str, Any]], int]:
        try:  # what was stored since the last catch-up; a busy archive answers as it is
            self.index.catch_up(Archive(self.db, lock_timeout=SEARCH_LOCK_WAIT), migrate=False,
                                wait=SEARCH_LOCK_WAIT)
        except ScraperError as exc:
            log.info("search answers without catching up: %s", exc)
        results = search(self.index, q, Filters(f.source, f.access, f.language, f.since, f.until),
                         limit=data.PAGE_SIZE, offset=(page - 1) * data.PAGE_SIZE)
        ids = [h.id for h in results.hits]
        known = self.archive.read(lambda con: data.articles_by_id(con, ids))
        rows = []
        for hit in results.hits:
            row = dict(known.get(hit.id) or {"id": hit.id, "url": hit.url, "title": hit.title,
                                              "source": hit.source, "published_at": hit.published_at,
                                              "first_seen_at": None, "word_count": None,
                                              "access": hit.access, "language": None})
            row["score"] = round(hit.score, 3)
            row["snippet"] = hit.snippet
            row["snippet_parts"] = [list(p) for p in hit.snippet_parts]
            rows.append(row)
        return rows, results.total

    def articles(self, request: Request) -> Response:
        try:
            listing = self._listing(request)
        except UsageError as exc:
            if self._api(request):
                return self.json({"error": str(exc)}, 400)
            empty = {"q": request.query_params.get("q", ""), "page": 1, "page_size": data.PAGE_SIZE,
                     "total": 0, "articles": [],
                     "params": {k: request.query_params.get(k, "") for k in
                                ("source", "access", "language", "since", "until")},
                     "facets": self.archive.read(data.facets)}
            return self.page(request, "articles.html", 400, error=str(exc), pages=_pages(empty),
                             **empty)
        if self._api(request):
            rows = [{k: v for k, v in r.items() if k != "snippet_parts"} for r in listing["articles"]]
            return self.json({"articles": rows, "total": listing["total"], "page": listing["page"],
                              "page_size": listing["page_size"]})
        return self.page(request, "articles.html", pages=_pages(listing), **listing)

    # -- one article ------------------------------------------------------------------------

    def article(self, request: Request) -> Response:
        article_id = int(request.path_params["id"])
        art = self.archive.read(lambda con: data.article(con, article_id))
        if art is None:
            raise HTTPException(404, f"no article {article_id} in the archive")
        versions = [v["version"] for v in art["versions"]]
        diff = None
        a, b = request.query_params.get("a"), request.query_params.get("b")
        if len(versions) >= 2 or (a and b):
            try:
                va = int(a) if a else versions[-2]
                vb = int(b) if b else versions[-1]
            except ValueError:
                raise HTTPException(400, "a and b must be revision numbers") from None
            if va not in versions or vb not in versions:
                raise HTTPException(404, f"article {article_id} has revisions {versions}")
            texts = self.archive.read(lambda con: data.version_texts(con, article_id, va, vb))
            runs = word_diff(texts.get(va, ""), texts.get(vb, ""))
            diff = {"a": va, "b": vb, "runs": runs, **diff_stats(runs)}
        if self._api(request):
            return self.json({**art, "diff": diff})
        raw = self.archive.read(lambda con: data.raw_page(con, article_id)) if art["response"] else None
        return self.page(request, "article.html", article=art, diff=diff, raw=raw,
                         versions=versions)

    def raw(self, request: Request) -> Response:
        article_id = int(request.path_params["id"])
        raw = self.archive.read(lambda con: data.raw_page(con, article_id))
        if raw is None:
            raise HTTPException(404, f"no stored response for article {article_id}")
        text, _, _ = raw
        return PlainTextResponse(text, headers={"content-security-policy": RAW_CSP,
                                                "content-disposition": "inline"})

    # -- errors -----------------------------------------------------------------------------

    def error(self, request: Request, status: int, message: str) -> Response:
        if self._api(request):
            return self.json({"error": message}, status)
        return self.page(request, "error.html", status, message=message, code=status)


def _pages(listing: dict[str, Any]) -> dict[str, str | None]:
    """Links to the previous and next pages, keeping the other parameters."""
    base = {k: v for k, v in listing["params"].items() if v}
    if listing["q"]:
        base["q"] = listing["q"]
    page, last = listing["page"], max(1, -(-listing["total"] // listing["page_size"]))

    def link(p: int) -> str:
        return "/articles?" + urlencode({**base, "page": p})

    return {"prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < last else None, "last": str(last)}


def create_app(db: Path, *, lock_timeout: float = 5.0, loopback_only: bool = True) -> Starlette:
    """The ASGI app serving ``db``; with ``loopback_only``, Host must name a loopback address."""
    view = WebView(db, lock_timeout=lock_timeout)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return view.error(request, exc.status_code, str(exc.detail))

    async def on_scraper(request: Request, exc: Exception) -> Response:
        if isinstance(exc, UsageError):
            return view.error(request, 400, str(exc))
        if isinstance(exc, ArchiveMissingError):
            return view.error(request, 503, str(exc))
        if isinstance(exc, ArchiveError):
            return view.error(request, 503, str(exc))
        return view.error(request, 500, str(exc))

    middleware = [Middleware(SecurityHeaders)]
    if loopback_only:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_HOSTS))
    routes = [
        Route("/", view.sources),
        Route("/articles", view.articles),
        Route("/articles/{id:int}", view.article),
        Route("/articles/{id:int}/raw", view.raw),
        Route("/api/sources", view.sources),
        Route("/api/articles", view.articles),
        Route("/api/articles/{id:int}", view.article),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    return Starlette(routes=routes, middleware=middleware,
                     exception_handlers={HTTPException: on_http, ScraperError: on_scraper})
