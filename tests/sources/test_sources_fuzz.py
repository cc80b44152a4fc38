"""Random mutations of a valid source: the loader either accepts them or raises ConfigError."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scraper.errors import ConfigError
from scraper.sources.config import load_sources_text

BASE: dict[str, Any] = {
    "name": "example",
    "domains": ["example.com"],
    "language": "fr",
    "feeds": ["https://example.com/rss", {"url": "https://example.com/atom", "kind": "atom"}],
    "sitemaps": [{"url": "https://example.com/news.xml", "google_news": True}],
    "index_pages": [{"url": "https://example.com/tech/", "link_selector": "h2 a"}],
    "article_url": {"include": [r"/actu/\d+/"], "exclude": ["/live/"]},
    "article_id": r"/actu/(\d+)/",
    "extraction": {"body": ["div.content"], "title": ["h1"], "authors": ["[itemprop=creator]"],
                   "date": ["time"], "remove": ["aside"]},
    "paywall": {"notices": ["réservée aux abonnés"], "boxes": [".paywall"],
                "paid_url_patterns": ["/premium/"], "declares_all_paid": False},
    "encoding": "windows-1252",
    "poll_interval": "15m",
    "politeness": {"min_delay": "1s", "concurrency": 1},
    "headers": {"Authorization": {"env": "TOKEN"}},
    "cookies": {"sid": {"env": "SID"}},
    "allow_private": False,
    "plugin": "developpez",
    "rules_version": "1",
    "enabled": True,
}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=20), st.sampled_from(["(", "[[", "div[[", "15x", "-1", "https://", "::", "*", "&x"]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=8), children, max_size=3)),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(values)
        else:
            parent.append(draw(values))
        if not isinstance(doc, dict) or not doc:
            break
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_load_or_raise_config_error(doc: dict[str, Any]) -> None:
    text = yaml.safe_dump({"sources": [doc]}, allow_unicode=True)
    try:
        sources = load_sources_text(text, "fuzz.yaml")
    except ConfigError as exc:
        msg = str(exc)
        assert msg.startswith("fuzz.yaml") and "\n" not in msg
        return
    for s in sources:
        s.rules()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_loads_or_raises_config_error(text: str) -> None:
    try:
        load_sources_text(text, "fuzz.yaml")
    except ConfigError:
        pass
