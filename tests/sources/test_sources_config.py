from __future__ import annotations

import re
from pathlib import Path

import pytest

from scraper.errors import ConfigError
from scraper.models import SourceRules
from scraper.sources.config import load_sources, load_sources_text, parse_duration

ROOT = Path(__file__).resolve().parents[2]

VALID = """\
defaults:
  language: en
sources:
  - name: example
    domains: [example.com]
    feeds:
      - https://example.com/rss
      - {url: https://example.com/feed.json, kind: json}
    sitemaps:
      - https://example.com/sitemap.xml
      - {url: https://example.com/news.xml, google_news: true}
    index_pages:
      - {url: https://example.com/tech/, link_selector: "h2.title a"}
    article_url:
      include: ['^https://example\\.com/\\d{4}/']
      exclude: ['/live/']
    article_id: '-(\\d+)\\.html$'
    extraction:
      body: [article .body]
      title: [h1]
      remove: [aside, .ad]
    paywall:
      notices: ['Subscribe to read the rest']
      boxes: [.paywall]
      paid_url_patterns: ['/premium/']
    encoding: latin1
    poll_interval: {every: 30m, min: 10m, max: 6h}
    politeness: {min_delay: 2s, concurrency: 2}
    headers:
      Authorization: {env: EXAMPLE_TOKEN}
    cookies:
      session: {env: EXAMPLE_SESSION}
    rules_version: 2
    valid_until: 2030-01-01
  - name: other
    domains: [other.org]
    language: de
    enabled: false
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "sources.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_valid_file_loads(tmp_path: Path) -> None:
    sources = load_sources(write(tmp_path, VALID))
    assert sources.names() == ["example", "other"]
    ex = sources.get("example")
    assert ex.language == "en"  # inherited from defaults
    assert sources.get("other").language == "de"  # own value wins
    assert [f.kind for f in ex.feeds] == ["auto", "json"]
    assert [s.google_news for s in ex.sitemaps] == [False, True]
    assert ex.poll_interval.every == 1800 and ex.poll_interval.min == 600 and ex.poll_interval.max == 21600
    assert ex.politeness.min_delay == 2 and ex.politeness.concurrency == 2
    assert ex.rules_version == "2"
    assert [s.name for s in sources.enabled()] == ["example"]


def test_rules_are_source_rules(tmp_path: Path) -> None:
    rules = load_sources(write(tmp_path, VALID)).get("example").rules()
    assert rules == SourceRules(
        name="example",
        rules_version="2",
        language="en",
        body=("article .body",),
        title=("h1",),
        remove=("aside", ".ad"),
        notice_phrases=("Subscribe to read the rest",),
        paywall_boxes=(".paywall",),
        paid_url_patterns=("/premium/",),
        encoding="windows-1252",  # the WHATWG name of the latin1 label
    )


def test_shipped_sources_yaml_loads() -> None:
    sources = load_sources(ROOT / "sources.yaml")
    dev = sources.get("developpez")
    assert dev.plugin == "developpez" and dev.language == "fr" and dev.encoding is None
    assert len(dev.feeds) == 10
    assert dev.feeds[0].url == "https://www.developpez.com/index/rss"
    assert dev.poll_interval.every == 900
    rules = dev.rules()
    assert rules.body == ("div[itemprop=articleBody]", "div.content")
    assert rules.authors == ("[itemprop=creator]",)
    assert rules.notice_phrases == ("La fin de cet article est réservée aux abonnés",)


def test_header_documents_every_field() -> None:
    from scraper.sources.config import Source

    header = (ROOT / "sources.yaml").read_text(encoding="utf-8").split("\nsources:")[0]
    for field in Source.model_fields:
        assert re.search(rf"#\s+{field}:", header), field


def test_request_headers_read_environment(tmp_path: Path) -> None:
    ex = load_sources(write(tmp_path, VALID)).get("example")
    env = {"EXAMPLE_TOKEN": "Bearer s3cret", "EXAMPLE_SESSION": "abc"}
    assert ex.request_headers(env) == {"Authorization": "Bearer s3cret", "Cookie": "session=abc"}
    assert ex.env_vars() == ["EXAMPLE_TOKEN", "EXAMPLE_SESSION"]


def test_missing_env_var_names_variable_not_value(tmp_path: Path) -> None:
    ex = load_sources(write(tmp_path, VALID)).get("example")
    with pytest.raises(ConfigError) as info:
        ex.request_headers({"EXAMPLE_TOKEN": "Bearer s3cret"})
    msg = str(info.value)
    assert re.search(r"sources\.yaml:\d+: sources\[0\]\.cookies\.session: ", msg)
    assert "EXAMPLE_SESSION" in msg and "export EXAMPLE_SESSION" in msg
    assert "s3cret" not in msg and "\n" not in msg


BAD_CASES = [
    # (name, yaml, expected line, field, message fragment, hint fragment)
    ("malformed", "sources:\n  - name: a\n    domains: [a.com\n", 4, "(top level)", "malformed YAML", "indentation"),
    ("unknown-key", "sources:\n  - name: a\n    domains: [a.com]\n    feed: [https://a.com/rss]\n",
     4, "sources[0].feed", "unknown key 'feed'", "did you mean 'feeds'?"),
    ("unknown-nested-key", "sources:\n  - name: a\n    domains: [a.com]\n    feeds:\n      - {ur: https://a.com/rss}\n",
     5, "sources[0].feeds[0].ur", "unknown key 'ur'", "did you mean 'url'?"),
    ("unknown-top-key", "source:\n  - name: a\n", 1, "source", "unknown key 'source'", "did you mean 'sources'?"),
    ("wrong-type", "sources:\n  - name: a\n    domains: a.com\n", 3, "sources[0].domains", "list", "one '- item' per line"),
    ("wrong-bool", "sources:\n  - name: a\n    domains: [a.com]\n    enabled: maybe\n", 4, "sources[0].enabled", "boolean", "true or false"),
    ("bad-regex", "sources:\n  - name: a\n    domains: [a.com]\n    article_url:\n      include: ['/actu/(\\d+/']\n",
     5, "sources[0].article_url.include[0]", "bad regex", "backslash"),
    ("bad-selector", "sources:\n  - name: a\n    domains: [a.com]\n    extraction:\n      body: ['div[[']\n",
     5, "sources[0].extraction.body[0]", "bad CSS selector", "brackets"),
    ("bad-encoding", "sources:\n  - name: a\n    domains: [a.com]\n    encoding: windows-1525\n",
     4, "sources[0].encoding", "unknown encoding label", "did you mean"),
    ("duplicate-name", "sources:\n  - name: a\n    domains: [a.com]\n  - name: a\n    domains: [b.com]\n",
     4, "sources[1].name", "duplicate source name 'a'", "already used by sources[0] on line 2"),
    ("missing-field", "sources:\n  - name: a\n    language: fr\n", 2, "sources[0].domains", "missing required field", "add 'domains:'"),
    ("bad-url", "sources:\n  - name: a\n    domains: [a.com]\n    feeds: [a.com/rss]\n", 4, "sources[0].feeds[0]", "not an absolute", "https://"),
    ("literal-secret", "sources:\n  - name: a\n    domains: [a.com]\n    headers:\n      Authorization: Bearer x\n",
     5, "sources[0].headers.Authorization", "secret", "{env: VARIABLE_NAME}"),
    ("article-id-groups", "sources:\n  - name: a\n    domains: [a.com]\n    article_id: '/actu/\\d+/'\n",
     4, "sources[0].article_id", "0 capturing groups", "capture only the id"),
    ("bad-duration", "sources:\n  - name: a\n    domains: [a.com]\n    poll_interval: often\n",
     4, "sources[0].poll_interval", "not a duration", "15m"),
    ("too-fast", "sources:\n  - name: a\n    domains: [a.com]\n    poll_interval: 10s\n",
     2, "sources[0]", "below 60s", "allow_private"),
    ("unknown-plugin", "sources:\n  - name: a\n    domains: [a.com]\n    plugin: developez\n",
     4, "sources[0].plugin", "unknown plugin", "did you mean 'developpez'?"),
    ("url-as-domain", "sources:\n  - name: a\n    domains: ['https://a.com/']\n", 3, "sources[0].domains[0]", "not URLs", "example.com"),
    ("bad-slug", "sources:\n  - name: Le Monde\n    domains: [a.com]\n", 2, "sources[0].name", "not a slug", "le-monde"),
    ("duplicate-key", "sources:\n  - name: a\n    domains: [a.com]\n    domains: [b.com]\n", 4, "sources[0].domains", "duplicate key", "keep one"),
    ("alias", "sources:\n  - &x\n    name: a\n    domains: [a.com]\n  - *x\n", 2, "sources[1]", "aliases", "defaults"),
    ("bad-default", "defaults:\n  langage: fr\nsources: []\n", 2, "defaults.langage", "unknown key", "did you mean 'language'?"),
    ("not-a-mapping", "- a\n- b\n", 1, "(top level)", "expected a mapping", "sources:"),
]


@pytest.mark.parametrize(("case", "text", "line", "field", "message", "hint"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_file_names_file_line_field_and_hint(
    tmp_path: Path, case: str, text: str, line: int, field: str, message: str, hint: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_sources(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}:{line}: {field}: "), msg
    assert message in msg, msg
    assert " — " in msg and hint in msg.split(" — ", 1)[1], msg
    assert info.value.exit_code == 2


def test_missing_file_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_sources(tmp_path / "nope.yaml")


def test_empty_file_is_empty_set() -> None:
    assert len(load_sources_text("", "x.yaml")) == 0


def test_get_unknown_source_hints(tmp_path: Path) -> None:
    sources = load_sources(write(tmp_path, VALID))
    with pytest.raises(ConfigError, match="did you mean 'example'"):
        sources.get("exemple")


def test_default_error_points_at_defaults_line() -> None:
    text = "defaults:\n  poll_interval: 10s\nsources:\n  - name: a\n    domains: [a.com]\n"
    with pytest.raises(ConfigError) as info:
        load_sources_text(text, "s.yaml")
    assert str(info.value).startswith("s.yaml:4: sources[0]: ")  # cross-field check: the source's line


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("15m", 900), ("1h", 3600), ("90s", 90), (120, 120), ("2d", 172800), ("1.5h", 5400), ("500ms", 0.5)],
)
def test_parse_duration(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


def test_allow_private_may_poll_fast() -> None:
    s = load_sources_text(
        "sources:\n  - {name: fx, domains: [localhost], allow_private: true, poll_interval: 1s}\n"
    ).get("fx")
    assert s.poll_interval.every == 1 and s.allow_private
