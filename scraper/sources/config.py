"""``sources.yaml`` -> validated :class:`Source` declarations.

A source is data: where its articles are listed (feeds, sitemaps, index pages), what an article
URL looks like, where the body is, how its paywall shows. Everything is checked on load:
regexes compile, CSS selectors parse (lexbor), encoding labels are WHATWG labels, names are
unique. A bad file raises one :class:`~scraper.errors.ConfigError` whose message is one line::

    sources.yaml:14: sources[2].feeds[0]: unknown key 'ur' — did you mean 'url'?

Secrets never live in the file: extra headers and cookies name an environment variable
(``{Authorization: {env: LEMONDE_TOKEN}}``) that is read at use time by
:meth:`Source.request_headers`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin
from urllib.parse import urlsplit

import webencodings
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from selectolax.lexbor import LexborHTMLParser

from scraper.errors import ConfigError
from scraper.models import SourceRules

__all__ = [
    "ArticleUrl",
    "Extraction",
    "FeedSpec",
    "IndexPage",
    "Paywall",
    "PollInterval",
    "Politeness",
    "SecretRef",
    "SitemapSpec",
    "Source",
    "SourceSet",
    "load_sources",
    "load_sources_text",
    "parse_duration",
]

MAX_FILE_BYTES = 2 * 1024 * 1024
MIN_POLL_SECONDS = 60  # for public sites; sources with allow_private may poll faster


class _Invalid(ValueError):
    """A validation failure with a hint for the user."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


# --------------------------------------------------------------------------- field validators

_EMPTY_DOC = LexborHTMLParser("<html><body></body></html>")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token (header / cookie names)


def _regex(value: str) -> str:
    value = unicodedata.normalize("NFC", value)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # FutureWarning "possible nested set" and the like
            re.compile(value)
    except (FutureWarning, DeprecationWarning) as warning:
        raise _Invalid(
            f"ambiguous regex {value!r}: {warning}",
            "escape a literal [ or other set characters with a backslash",
        ) from None
    except (re.error, RecursionError, OverflowError) as exc:
        raise _Invalid(
            f"bad regex {value!r}: {exc}",
            "escape special characters such as . ? ( [ with a backslash",
        ) from None
    return value


def _selector(value: str) -> str:
    if not value.strip():
        raise _Invalid("empty CSS selector", "remove the item or write a selector such as 'div.content'")
    try:
        _EMPTY_DOC.css(value)
    except Exception:  # selectolax raises SelectolaxError (and ValueError on some inputs)
        raise _Invalid(
            f"bad CSS selector {value!r}",
            "lexbor could not parse it; check brackets, quotes and pseudo-classes",
        ) from None
    return value


def _url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Invalid(f"not an absolute http(s) URL: {value!r}", "write it as https://host/path")
    return value.strip()


def _article_id(value: str) -> str:
    value = _regex(value)
    groups = re.compile(value).groups
    if groups != 1:
        raise _Invalid(
            f"article_id {value!r} has {groups} capturing groups, expected exactly 1",
            r"capture only the id, e.g. '/actu/(\d+)/', and use (?:...) for other groups",
        )
    return value


def parse_duration(value: object) -> float:
    """``"15m"``, ``"1h"``, ``"90s"``, ``"2d"``, ``"500ms"`` or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise _Invalid(f"not a duration: {value!r}", "write e.g. 15m, 1h, 90s or a number of seconds")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        unit = m.group(2).lower() if m.group(2) else None
        seconds = float(m.group(1)) * _UNIT_SECONDS[unit]
    else:
        raise _Invalid(f"not a duration: {value!r}", "write e.g. 15m, 1h, 90s or a number of seconds")
    if not seconds >= 0 or seconds == float("inf"):
        raise _Invalid(f"not a duration: {value!r}", "a duration is a positive number")
    return seconds


def _domain(value: str) -> str:
    raw = value
    value = value.strip().lower().rstrip(".")
    if "/" in value or ":" in value:
        raise _Invalid(
            f"domains hold host names, not URLs: {raw!r}",
            "write 'example.com' (subdomains match too)",
        )
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        raise _Invalid(f"not a host name: {raw!r}", "write e.g. 'example.com'") from None
    labels = value.split(".")
    if len(labels) < 2 and value != "localhost" or not all(_HOST_LABEL.match(p) for p in labels):
        raise _Invalid(f"not a host name: {raw!r}", "write e.g. 'example.com'")
    return value


def _encoding(value: str) -> str:
    if webencodings.lookup(value) is None:
        close = difflib.get_close_matches(value.strip().lower(), list(webencodings.LABELS), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "use a WHATWG label such as 'windows-1252'"
        raise _Invalid(f"unknown encoding label {value!r}", hint)
    return value


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise _Invalid(
            f"name {value!r} is not a slug",
            "use lower-case letters, digits and hyphens, e.g. 'le-monde'",
        )
    return value


def _language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise _Invalid(f"not a language tag: {value!r}", "write a BCP 47 tag such as 'fr' or 'en-GB'")
    return value


def _str_to_url_map(value: object) -> object:
    return {"url": value} if isinstance(value, str) else value


def _rules_version(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


Regex = Annotated[str, AfterValidator(_regex)]
Selector = Annotated[str, AfterValidator(_selector)]
Url = Annotated[str, AfterValidator(_url)]
Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


# --------------------------------------------------------------------------- the schema


class FeedSpec(_Model):
    url: Url
    kind: Literal["rss", "atom", "json", "auto"] = "auto"


class SitemapSpec(_Model):
    url: Url
    google_news: bool = False


class IndexPage(_Model):
    url: Url
    link_selector: Selector = "a[href]"


class ArticleUrl(_Model):
    include: list[Regex] = Field(default_factory=list)
    exclude: list[Regex] = Field(default_factory=list)


class Extraction(_Model):
    body: list[Selector] = Field(default_factory=list)
    title: list[Selector] = Field(default_factory=list)
    authors: list[Selector] = Field(default_factory=list)
    date: list[Selector] = Field(default_factory=list)
    remove: list[Selector] = Field(default_factory=list)


class Paywall(_Model):
    notices: list[Regex] = Field(default_factory=list)
    boxes: list[Selector] = Field(default_factory=list)
    paid_url_patterns: list[Regex] = Field(default_factory=list)
    declares_all_paid: bool = False


class PollInterval(_Model):
    """How often to poll: ``every``, adapted by the scheduler within ``[min, max]`` (seconds)."""

    every: Duration = 900.0
    min: Duration | None = None
    max: Duration | None = None

    @model_validator(mode="after")
    def _bounds(self) -> PollInterval:
        if self.every <= 0:
            raise _Invalid("poll interval must be positive", "write e.g. 15m")
        lo = self.min if self.min is not None else max(min(60.0, self.every), self.every / 4)
        hi = self.max if self.max is not None else max(self.every, min(86400.0, self.every * 16))
        if not lo <= self.every <= hi:
            raise _Invalid(
                f"poll bounds must satisfy min <= every <= max (got {lo:g}s <= {self.every:g}s <= {hi:g}s)",
                "widen min/max or change every",
            )
        object.__setattr__(self, "min", lo)
        object.__setattr__(self, "max", hi)
        return self

    @property
    def seconds(self) -> float:
        return self.every


def _poll(value: object) -> object:
    if isinstance(value, Mapping):
        return value
    return {"every": value}


class Politeness(_Model):
    min_delay: Duration = 1.0  # seconds between two requests to one host
    concurrency: int = Field(default=1, ge=1, le=16)  # requests in flight per host


class SecretRef(_Model):
    """A header or cookie value read from an environment variable at use time."""

    env: str

    @field_validator("env")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise _Invalid(f"not an environment variable name: {value!r}", "write e.g. LEMONDE_SESSION")
        return value


def _secret(value: object) -> object:
    if isinstance(value, str):
        raise _Invalid(
            "a literal value here would store a secret in the file",
            "write {env: VARIABLE_NAME} and set the variable in the environment",
        )
    return value


Secret = Annotated[SecretRef, BeforeValidator(_secret)]


def _token_keys(kind: str) -> Any:
    def check(value: dict[str, SecretRef]) -> dict[str, SecretRef]:
        for key in value:
            if not _TOKEN.match(key):
                raise _Invalid(f"not a valid {kind} name: {key!r}", "use letters, digits and '-' only")
        return value

    return AfterValidator(check)


class Defaults(_Model):
    """Values every source inherits unless it sets the key itself (a shallow merge)."""

    language: Annotated[str, AfterValidator(_language)] | None = None
    poll_interval: Annotated[PollInterval, BeforeValidator(_poll)] | None = None
    politeness: Politeness | None = None
    enabled: bool | None = None
    allow_private: bool | None = None
    headers: Annotated[dict[str, Secret], _token_keys("header")] | None = None
    cookies: Annotated[dict[str, Secret], _token_keys("cookie")] | None = None


class Source(_Model):
    name: Annotated[str, AfterValidator(_slug)]
    domains: list[Annotated[str, AfterValidator(_domain)]] = Field(min_length=1)
    language: Annotated[str, AfterValidator(_language)] | None = None
    feeds: list[Annotated[FeedSpec, BeforeValidator(_str_to_url_map)]] = Field(default_factory=list)
    sitemaps: list[Annotated[SitemapSpec, BeforeValidator(_str_to_url_map)]] = Field(
        default_factory=list
    )
    index_pages: list[IndexPage] = Field(default_factory=list)
    article_url: ArticleUrl = Field(default_factory=ArticleUrl)
    article_id: Annotated[str, AfterValidator(_article_id)] | None = None
    extraction: Extraction = Field(default_factory=Extraction)
    paywall: Paywall = Field(default_factory=Paywall)
    encoding: Annotated[str, AfterValidator(_encoding)] | None = None
    poll_interval: Annotated[PollInterval, BeforeValidator(_poll)] = Field(
        default_factory=PollInterval
    )
    politeness: Politeness = Field(default_factory=Politeness)
    headers: Annotated[dict[str, Secret], _token_keys("header")] = Field(default_factory=dict)
    cookies: Annotated[dict[str, Secret], _token_keys("cookie")] = Field(default_factory=dict)
    allow_private: bool = False
    offsite: Literal["fetch", "skip"] = "fetch"  # feed/sitemap/index links to other hosts
    plugin: str | None = None
    rules_version: Annotated[str, BeforeValidator(_rules_version)] = "1"
    valid_until: date | None = None
    enabled: bool = True

    _origin: str = PrivateAttr(default="<sources>")
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)
    _index: int = PrivateAttr(default=0)

    @field_validator("plugin")
    @classmethod
    def _known_plugin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from scraper.sources.registry import PLUGINS

        if value not in PLUGINS:
            close = difflib.get_close_matches(value, list(PLUGINS), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"registered plugins: {', '.join(sorted(PLUGINS))}"
            raise _Invalid(f"unknown plugin {value!r}", hint)
        return value

    @model_validator(mode="after")
    def _checks(self) -> Source:
        if self.poll_interval.every < MIN_POLL_SECONDS and not self.allow_private:
            raise _Invalid(
                f"poll_interval {self.poll_interval.every:g}s is below {MIN_POLL_SECONDS}s",
                "poll public sites at most once a minute (allow_private sources may go faster)",
            )
        return self

    # ------------------------------------------------------------------ derived views

    @property
    def poll_seconds(self) -> float:
        return self.poll_interval.every

    def declared_rules(self) -> SourceRules:
        """The rules exactly as the file declares them (plugins may adjust them in :meth:`rules`)."""
        enc = webencodings.lookup(self.encoding).name if self.encoding else None
        return SourceRules(
            name=self.name,
            rules_version=self.rules_version,
            language=self.language,
            body=tuple(self.extraction.body),
            title=tuple(self.extraction.title),
            authors=tuple(self.extraction.authors),
            date=tuple(self.extraction.date),
            remove=tuple(self.extraction.remove),
            notice_phrases=tuple(self.paywall.notices),
            paywall_boxes=tuple(self.paywall.boxes),
            paid_url_patterns=tuple(self.paywall.paid_url_patterns),
            declares_all_paid=self.paywall.declares_all_paid,
            encoding=enc,
        )

    def rules(self) -> SourceRules:
        """The :class:`SourceRules` extraction uses: the plugin's hook, else the declared rules."""
        plugin = self.plugin_instance()
        return plugin.rules(self) if plugin is not None else self.declared_rules()

    def plugin_instance(self) -> Any:
        """The registered plugin object for this source, or ``None``."""
        if self.plugin is None:
            return None
        from scraper.sources.registry import get_plugin

        return get_plugin(self.plugin)

    def where(self, field: str | None = None) -> str:
        """``file:line: sources[i]`` of this source (or of one of its fields)."""
        line = self._lines.get(field or "", self._lines.get("", 0))
        path = f"sources[{self._index}]" + (f".{field}" if field else "")
        return f"{self._origin}:{line}: {path}"

    def request_headers(self, environ: Mapping[str, str]) -> dict[str, str]:
        """Extra request headers, values read from ``environ`` now. Cookies become one header.

        A missing variable raises :class:`ConfigError` naming the variable, never a value.
        """

        def resolve(kind: str, key: str, ref: SecretRef) -> str:
            value = environ.get(ref.env)
            if value is None or value == "":
                err = ConfigError(
                    f"{self.where(f'{kind}.{key}')}: environment variable {ref.env} is not set"
                    f" — export {ref.env} (source {self.name!r} reads its {kind[:-1]} {key!r} from it)",
                    code="config:env",
                )
                err.variable = ref.env  # type: ignore[attr-defined]
                raise err
            if "\r" in value or "\n" in value:
                raise ConfigError(
                    f"{self.where(f'{kind}.{key}')}: environment variable {ref.env} holds a line "
                    "break — remove it (header values are one line)",
                    code="config:env",
                )
            return value

        out = {key: resolve("headers", key, ref) for key, ref in self.headers.items()}
        if self.cookies:
            cookie = "; ".join(
                f"{key}={resolve('cookies', key, ref)}" for key, ref in self.cookies.items()
            )
            out["Cookie"] = f"{out['Cookie']}; {cookie}" if "Cookie" in out else cookie
        return out

    def env_vars(self) -> list[str]:
        """Names of the environment variables this source reads (never their values)."""
        return [r.env for r in [*self.headers.values(), *self.cookies.values()]]

    # ------------------------------------------------------------------ URL helpers

    def matches_domain(self, host: str) -> str | None:
        """The longest of this source's domains that ``host`` equals or is a subdomain of."""
        host = host.lower().rstrip(".")
        best = None
        for d in self.domains:
            if (host == d or host.endswith("." + d)) and (best is None or len(d) > len(best)):
                best = d
        return best

    def accepts_url(self, url: str) -> bool:
        """True when ``url`` passes ``article_url`` include (any, or none given) and exclude (none)."""
        inc, exc = self.article_url.include, self.article_url.exclude
        if inc and not any(re.search(p, url) for p in inc):
            return False
        return not any(re.search(p, url) for p in exc)


class SourcesFile(_Model):
    defaults: Defaults | None = None
    sources: list[Source] = Field(default_factory=list)


@dataclass(frozen=True)
class SourceSet:
    """The loaded sources, in file order."""

    sources: tuple[Source, ...]
    path: str = "<sources>"

    def __iter__(self) -> Iterator[Source]:
        return iter(self.sources)

    def __len__(self) -> int:
        return len(self.sources)

    def names(self) -> list[str]:
        return [s.name for s in self.sources]

    def enabled(self) -> list[Source]:
        return [s for s in self.sources if s.enabled]

    def get(self, name: str) -> Source:
        """The source called ``name`` (``--source NAME``); a ConfigError with a hint otherwise."""
        for s in self.sources:
            if s.name == name:
                return s
        close = difflib.get_close_matches(name, self.names(), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "see `scraper sources list`"
        raise ConfigError(f"{self.path}: no source named {name!r} — {hint}", code="config:source")


# --------------------------------------------------------------------------- loading

Path_ = tuple[str | int, ...]


def _fmt_path(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _error(origin: str, line: int | None, path: Sequence[str | int], message: str, hint: str) -> ConfigError:
    where = f"{origin}:{line}" if line else origin
    text = f"{where}: {_fmt_path(path)}: {message}"
    if hint:
        text += f" — {hint}"
    err = ConfigError(text, code="config:invalid")
    err.file, err.line, err.field, err.hint = origin, line, _fmt_path(path), hint  # type: ignore[attr-defined]
    return err


def _compose(text: str, origin: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML keeping the line (1-based) of every key and list item; refuse aliases and
    duplicate keys (PyYAML would silently keep the last)."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # ReaderError: a control character in the text
        raise _error(origin, None, (), f"malformed YAML: {_one_line(exc)}",
                     "remove control characters; save the file as plain UTF-8 text") from None
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        seen: set[int] = set()

        def walk(n: yaml.Node, path: Path_) -> None:
            if id(n) in seen:
                raise _error(origin, n.start_mark.line + 1, path,
                             "YAML anchors and aliases are not supported (this value is reused by an alias)",
                             "repeat the value, or put shared values under 'defaults:'")
            seen.add(id(n))
            if isinstance(n, yaml.MappingNode):
                keys: set[object] = set()
                for k, v in n.value:
                    key = k.value if isinstance(k, yaml.ScalarNode) else repr(k.value)
                    if key == "<<":
                        raise _error(origin, k.start_mark.line + 1, path, "YAML merge keys are not supported",
                                     "put shared values under 'defaults:'")
                    if key in keys:
                        raise _error(origin, k.start_mark.line + 1, (*path, key), f"duplicate key {key!r}",
                                     "keep one of them")
                    keys.add(key)
                    lines[(*path, key)] = k.start_mark.line + 1
                    walk(v, (*path, key))
            elif isinstance(n, yaml.SequenceNode):
                for i, item in enumerate(n.value):
                    lines[(*path, i)] = item.start_mark.line + 1
                    walk(item, (*path, i))

        if node is None:
            return None, lines
        lines[()] = node.start_mark.line + 1
        walk(node, ())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = (exc.problem or exc.context or "not valid YAML").strip()
        raise _error(origin, line, (), f"malformed YAML: {problem}",
                     "check indentation, colons and quoting on this line or the one before") from None
    except yaml.YAMLError as exc:
        line = None
        if isinstance(exc, yaml.reader.ReaderError):
            line = text[: exc.position].count("\n") + 1
        raise _error(origin, line, (), f"malformed YAML: {_one_line(exc)}",
                     "remove control characters; save the file as plain UTF-8 text") from None
    finally:
        loader.dispose()
    return data, lines


def _line_for(lines: dict[Path_, int], path: Path_) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _model_at(path: Sequence[str | int]) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``path`` (for did-you-mean hints)."""
    kind: Any = SourcesFile
    for part in path:
        kind = _unwrap(kind)
        if isinstance(part, int):
            if get_origin(kind) is not list:
                return None
            kind = get_args(kind)[0]
        elif isinstance(kind, type) and issubclass(kind, BaseModel) and part in kind.model_fields:
            kind = kind.model_fields[part].annotation
        elif get_origin(kind) is dict:
            kind = get_args(kind)[1]
        else:
            return None
    kind = _unwrap(kind)
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def _unwrap(kind: Any) -> Any:
    while True:
        origin = get_origin(kind)
        if origin is Annotated:
            kind = get_args(kind)[0]
        elif origin is not None and type(None) in get_args(kind):  # X | None
            kind = next(a for a in get_args(kind) if a is not type(None))
        else:
            return kind


_TYPE_HINTS = {
    "list_type": "write a YAML list, one '- item' per line",
    "dict_type": "write a mapping of 'key: value' lines",
    "model_type": "write a mapping of 'key: value' lines",
    "model_attributes_type": "write a mapping of 'key: value' lines",
    "string_type": "write a string (quote it if YAML reads it as something else)",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "int_type": "write a whole number",
    "int_parsing": "write a whole number",
    "int_from_float": "write a whole number",
    "float_type": "write a number",
    "float_parsing": "write a number",
    "date_type": "write a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "write a date as YYYY-MM-DD",
    "date_parsing": "write a date as YYYY-MM-DD",
    "too_short": "add at least one item",
    "greater_than_equal": "use a larger number",
    "less_than_equal": "use a smaller number",
    "literal_error": "",
}


def _trim_to_data(path: Path_, data: Any) -> Path_:
    """Cut ``path`` where the file holds a scalar: a feed written as a plain URL is reported as
    ``feeds[0]``, not as the ``feeds[0].url`` it is normalised to."""
    node = data
    for i, part in enumerate(path):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, (dict, list)):
            return path  # a key the file lacks (missing field, defaults): keep it
        else:
            return path[:i]
    return path


def _translate(
    exc: ValidationError, origin: str, lines: dict[Path_, int], offset: Path_ = (), data: Any = None
) -> ConfigError:
    errors = exc.errors(include_url=False)
    # an unknown key explains the other errors of its mapping (a misspelt required field)
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    path: Path_ = (*offset, *err["loc"])
    if data is not None:
        path = _trim_to_data(path, data)
    kind = err["type"]
    message = err["msg"]
    hint = _TYPE_HINTS.get(kind, "")
    if kind == "extra_forbidden":
        key = str(path[-1])
        model = _model_at(path[:-1])
        fields = list(model.model_fields) if model else []
        close = difflib.get_close_matches(key, fields, n=1, cutoff=0.5)
        message = f"unknown key {key!r}"
        hint = f"did you mean {close[0]!r}?" if close else (
            f"allowed keys: {', '.join(fields)}" if fields else "remove it")
    elif kind == "missing":
        message = f"missing required field {str(path[-1])!r}"
        hint = f"add '{path[-1]}:' to this entry"
        line = _line_for(lines, path[:-1])
        return _error(origin, line, path, message, hint)
    elif kind == "value_error":
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, _Invalid):
            message, hint = str(cause), cause.hint
        else:
            message = message.removeprefix("Value error, ")
    else:
        got = err.get("input")
        if kind in _TYPE_HINTS and kind.endswith("_type") and got is not None:
            message = f"{message}, got {type(got).__name__} {_short(got)}"
    return _error(origin, _line_for(lines, path), path, message, hint)


def _one_line(value: object) -> str:
    return " ".join(str(value).split())[:200]


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def load_sources(path: str | Path, *, errors: list[ConfigError] | None = None) -> SourceSet:
    """Read and validate ``sources.yaml``. Raises :class:`ConfigError` (one line) on any problem;
    with ``errors``, a source's problem is appended there and the other sources are still read."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file — create it, or pass --sources PATH", code="config:missing") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}", code="config:unreadable") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(f"{p}: larger than {MAX_FILE_BYTES} bytes — is this the right file?", code="config:invalid")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _error(str(p), line, (), "not UTF-8", "save the file as UTF-8") from None
    return load_sources_text(text, str(p), errors=errors)


def load_sources_text(text: str, origin: str = "<sources>", *,
                      errors: list[ConfigError] | None = None) -> SourceSet:
    """Validate ``sources.yaml`` content; ``origin`` names it in error messages. With
    ``errors``, each source's problem is appended there instead of raised (``sources check``
    reports them all); a problem of the file as a whole is still raised."""
    data, lines = _compose(text, origin)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _error(origin, lines.get(()), (), f"expected a mapping with a 'sources:' list, got {type(data).__name__}",
                     "start the file with 'sources:'")
    unknown = [k for k in data if k not in SourcesFile.model_fields]
    if unknown:
        key = str(unknown[0])
        close = difflib.get_close_matches(key, list(SourcesFile.model_fields), n=1, cutoff=0.5)
        raise _error(origin, lines.get((key,)), (key,), f"unknown key {key!r}",
                     f"did you mean {close[0]!r}?" if close else "the top level holds 'defaults:' and 'sources:'")

    defaults: dict[str, Any] = {}
    if data.get("defaults") is not None:
        try:
            Defaults.model_validate(data["defaults"])
        except ValidationError as exc:
            raise _translate(exc, origin, lines, ("defaults",), data) from None
        defaults = dict(data["defaults"])
    items = data.get("sources")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise _error(origin, lines.get(("sources",)), ("sources",),
                     f"expected a list of sources, got {type(items).__name__}", _TYPE_HINTS["list_type"])

    sources: list[Source] = []
    first_seen: dict[str, int] = {}
    for i, item in enumerate(items):
        here: Path_ = ("sources", i)
        if isinstance(item, dict):
            merged = {**defaults, **item}
            for key in defaults:  # errors in inherited values point at 'defaults:'
                if key not in item and ("defaults", key) in lines:
                    lines[(*here, key)] = lines[("defaults", key)]
        else:
            merged = item
        try:
            source = Source.model_validate(merged)
        except ValidationError as exc:
            if errors is None:
                raise _translate(exc, origin, lines, here, data) from None
            errors.append(_translate(exc, origin, lines, here, data))
            continue
        if source.name in first_seen:
            j = first_seen[source.name]
            dup = _error(origin, _line_for(lines, (*here, "name")), (*here, "name"),
                         f"duplicate source name {source.name!r}",
                         f"already used by sources[{j}] on line {_line_for(lines, ('sources', j, 'name'))}; pick another name")
            if errors is None:
                raise dup
            errors.append(dup)
            continue
        first_seen[source.name] = i
        source._origin = origin
        source._index = i
        source._lines = {"": lines.get(here, 0)}
        for key in ("headers", "cookies"):
            for name in getattr(source, key):
                source._lines[f"{key}.{name}"] = _line_for(lines, (*here, key, name)) or 0
        sources.append(source)
    return SourceSet(tuple(sources), origin)
