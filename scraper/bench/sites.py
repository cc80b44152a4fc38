"""A synthetic news web for the end-to-end and memory benchmarks: many hosts, realistic pages,
a per-response latency.

The fixture web (:mod:`scraper.fixtureweb`) serves hand-written files with no latency knob, so
the benchmarks run this tiny server instead. Host ``k`` is ``127.0.0.<k+2>`` (all of 127/8 is
loopback on Linux), so each host is a distinct politeness slot. Pages are generated on request,
deterministically from their id, from a fixed vocabulary: ~30-80 KB of HTML each (head with
Open Graph and JSON-LD, navigation, the article, related links, footer, inline scripts), about
500-1,200 words of text. The feed of a host lists its ``per_round`` newest articles, and the
newest id moves forward each time :attr:`SyntheticWeb.round` is advanced, so a long poll loop
sees new articles every round.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# 600 pseudo-words: text that looks like prose to trafilatura and compresses like it.
_RNG = random.Random(7)
_SYLLABLES = ("ka", "to", "ri", "men", "sa", "lo", "ve", "tra", "po", "ni", "del", "ar", "en", "qu", "is",
              "mo", "ta", "ber", "con", "ul", "ra", "se", "vi", "pe", "dor")
VOCABULARY = tuple(
    "".join(_RNG.choice(_SYLLABLES) for _ in range(_RNG.choice((1, 2, 2, 3, 3, 4)))) for _ in range(600)
) + ("the", "of", "and", "a", "to", "in", "is", "that", "for", "it", "with", "as", "was", "on")


def sentence(rng: random.Random) -> str:
    words = [rng.choice(VOCABULARY) for _ in range(rng.randint(8, 24))]
    return " ".join(words).capitalize() + rng.choice((".", ".", ".", "?", "!"))


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 6)))


_PARAGRAPHS = tuple(paragraph(_RNG) for _ in range(400))
_HEADLINES = tuple(sentence(_RNG).rstrip(".?!") for _ in range(400))
_SCRIPT = "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}" * 40
_STYLE = ".nav a{color:#333;padding:4px}.article p{line-height:1.6}.related li{margin:2px}" * 10


def host_name(k: int) -> str:
    return f"127.0.0.{k + 2}"


def article_path(article_id: int) -> str:
    return f"/news/{article_id}/story-{article_id}.html"


def article_page(host: str, article_id: int) -> bytes:
    """The page of article ``article_id`` on ``host``, always the same bytes."""
    rng = random.Random(article_id * 7919 + sum(host.encode()))
    title = _HEADLINES[rng.randrange(len(_HEADLINES))] + f" ({article_id})"
    paras = [_PARAGRAPHS[rng.randrange(len(_PARAGRAPHS))] for _ in range(rng.randint(8, 20))]
    nav = "".join(f'<li><a href="/section/{w}/">{w.title()}</a></li>' for w in rng.sample(VOCABULARY, 90))
    related = "".join(
        f'<li><a href="{article_path(max(1, article_id - i))}">{_HEADLINES[(article_id + i) % 400]}</a>'
        f'<span class="teaser">{_PARAGRAPHS[(article_id * 3 + i) % 400][:160]}</span></li>'
        for i in range(1, rng.randint(30, 90))
    )
    footer = "".join(f'<a href="/about/{w}">{w}</a> ' for w in rng.sample(VOCABULARY, 60))
    date = f"2026-{(article_id % 12) + 1:02d}-{(article_id % 28) + 1:02d}T{article_id % 24:02d}:15:00+00:00"
    url = f"http://{host}{article_path(article_id)}"
    body = "".join(f"<p>{p}</p>" for p in paras)
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Synthetic Herald</title>
<meta property="og:title" content="{title}"><meta property="og:url" content="{url}">
<meta property="og:site_name" content="Synthetic Herald"><meta name="description" content="{paras[0][:150]}">
<link rel="canonical" href="{url}">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle","headline":"{title}",
"datePublished":"{date}","author":{{"@type":"Person","name":"Reporter {article_id % 50}"}},
"isAccessibleForFree":true}}</script>
<style>{_STYLE}</style><script>{_SCRIPT}</script></head>
<body><header class="site-header"><nav class="nav"><ul>{nav}</ul></nav></header>
<main><article class="article"><h1>{title}</h1><p class="byline">By Reporter {article_id % 50}</p>
<time datetime="{date}">{date[:10]}</time><div class="article-body">{body}</div></article>
<aside class="related"><h2>Related</h2><ul>{related}</ul></aside></main>
<footer><div class="links">{footer}</div><p>&copy; Synthetic Herald</p></footer>
<script>{_SCRIPT}</script></body></html>"""
    return html.encode("utf-8")


def feed(host: str, newest: int, count: int) -> bytes:
    items = "".join(
        f"<item><title>{_HEADLINES[i % 400]}</title><link>http://{host}{article_path(i)}</link>"
        f"<guid>http://{host}{article_path(i)}</guid><pubDate>{formatdate(1_700_000_000 + i * 60, usegmt=True)}</pubDate></item>"
        for i in range(newest, max(0, newest - count), -1)
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{host}</title>'
            f"<link>http://{host}/</link><description>synthetic</description>{items}</channel></rss>").encode()


@dataclass(frozen=True)
class WebSpec:
    hosts: int = 20
    per_round: int = 100  # articles each feed lists (the newest), and new articles per round
    latency: float = 0.05  # seconds before each response


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        spec: WebSpec = self.server.spec
        host = self.server.host
        time.sleep(spec.latency)
        path = self.path.split("?", 1)[0]
        newest = (self.server.round.value + 1) * spec.per_round
        if path == "/feed.xml":
            body, ctype = feed(host, newest, spec.per_round), "application/rss+xml"
        elif path.startswith("/news/"):
            try:
                article_id = int(path.split("/")[2])
            except ValueError:
                article_id = 0
            if not 1 <= article_id <= newest:
                self._send(404, b"not found", "text/plain")
                return
            body, ctype = article_page(host, article_id), "text/html; charset=utf-8"
        else:
            self._send(404, b"not found", "text/plain")
            return
        self._send(200, body, ctype)

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client closing its keep-alive connection is not news


def _serve(spec: WebSpec, round_value: Any, ports: Any, ready: Any, stop: Any) -> None:
    servers = []
    for k in range(spec.hosts):
        server = _Server((host_name(k), 0), _Handler)
        server.spec, server.host, server.round = spec, f"{host_name(k)}:{server.server_address[1]}", round_value
        ports[k] = server.server_address[1]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
        servers.append(server)
    ready.set()
    stop.wait()
    for server in servers:
        server.shutdown()
        server.server_close()


class SyntheticWeb:
    """The synthetic web, served from its own process (so that its CPU is not the benchmark's
    GIL). ``hosts`` are ``host:port`` strings; ``round`` is advanced with :meth:`advance`."""

    def __init__(self, spec: WebSpec) -> None:
        self.spec = spec
        ctx = multiprocessing.get_context("spawn")
        self._round = ctx.Value("i", 0)
        self._ports = ctx.Array("i", spec.hosts)
        self._ready = ctx.Event()
        self._stop = ctx.Event()
        self._proc = ctx.Process(target=_serve, args=(spec, self._round, self._ports, self._ready, self._stop),
                                 daemon=True, name="synthetic-web")
        self.hosts: list[str] = []

    def start(self) -> SyntheticWeb:
        self._proc.start()
        deadline = time.monotonic() + 30
        while not self._ready.wait(0.1):
            if not self._proc.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the synthetic web did not start")
        self.hosts = [f"{host_name(k)}:{self._ports[k]}" for k in range(self.spec.hosts)]
        return self

    def advance(self) -> None:
        with self._round.get_lock():
            self._round.value += 1

    @property
    def round_value(self) -> Any:
        return self._round

    def stop(self) -> None:
        self._stop.set()
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.terminate()

    def feed_urls(self) -> list[str]:
        return [f"http://{h}/feed.xml" for h in self.hosts]

    def article_urls(self, round_: int = 0) -> Iterator[str]:
        """The URLs the feeds list in round ``round_``, host by host."""
        newest = (round_ + 1) * self.spec.per_round
        for h in self.hosts:
            for i in range(newest, newest - self.spec.per_round, -1):
                yield f"http://{h}{article_path(i)}"

    def sources_yaml(self, *, concurrency: int = 2, min_delay: float = 0.0, rules: bool = False) -> str:
        """Sources for the hosts; with ``rules`` each declares its body selector, as the shipped
        sources do, so extraction takes the rules path instead of trafilatura."""
        out = ["sources:"]
        for k, h in enumerate(self.hosts):
            ip = h.split(":")[0]
            out += [
                f"  - name: host{k:02d}",
                f"    domains: ['{ip}']",
                "    language: en",
                f"    feeds: ['http://{h}/feed.xml']",
                "    article_url:",
                "      include: ['/news/\\d+/']",
                "    allow_private: true",
                "    poll_interval: 1m",
                f"    politeness: {{min_delay: {min_delay}, concurrency: {concurrency}}}",
            ]
            if rules:
                out += ["    extraction:", "      body: ['div.article-body']"]
        return "\n".join(out) + "\n"


@contextmanager
def serving(spec: WebSpec) -> Iterator[SyntheticWeb]:
    web = SyntheticWeb(spec).start()
    try:
        yield web
    finally:
        web.stop()
