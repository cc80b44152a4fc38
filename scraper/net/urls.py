"""URL checks and normalisation: what may be fetched, and one spelling per page.

``validate_url`` refuses what is not an absolute http(s) URL with a host (a one-line
:class:`~scraper.errors.UsageError`); ``normalize_url`` gives one spelling per page (lower-case
scheme and host, IDNA, no default port, no fragment, no tracking parameters);
``check_public_address`` is the SSRF guard fetch() runs on the first URL and after every redirect.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from scraper.errors import BlockedURLError, FetchError, UsageError

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only track the reader; exact names and prefixes (compared lower-case).
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "xtor", "xts", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "vero_id",
        "oly_anon_id", "oly_enc_id", "ito", "ns_campaign", "ns_mchannel", "ns_source",
        "ns_linkname", "ns_fee", "cmpid", "ocid", "sr_share", "spm",
    }
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "matomo_", "hsa_")

_WHITESPACE = re.compile(r"\s")


def _split(url: str) -> tuple[str, str]:
    """Return (scheme, host) of ``url`` or raise UsageError naming what is wrong."""
    if not url:
        raise UsageError("empty URL: give an absolute http:// or https:// URL")
    if _WHITESPACE.search(url):
        raise UsageError(f"bad URL {url!r}: it contains whitespace; percent-encode spaces as %20")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise UsageError(f"bad URL {url!r}: {str(exc).lower()}") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise UsageError(f"bad URL {url!r}: no scheme; did you mean https://{url.lstrip('/')}?")
    if scheme not in ALLOWED_SCHEMES:
        raise UsageError(f"bad URL {url!r}: scheme {scheme}: is not fetched; use http:// or https://")
    if not host:
        raise UsageError(f"bad URL {url!r}: no host name")
    return scheme, host


def validate_url(url: str) -> str:
    """Return ``url`` (surrounding whitespace removed) if it is an absolute http(s) URL with a host.

    Raises UsageError with a one-line message otherwise (no scheme, ``ftp:``, spaces, no host).
    """
    if not isinstance(url, str):
        raise UsageError(f"bad URL {url!r}: not a string")
    url = url.strip()
    _split(url)
    try:
        safe_url_string(url)  # IDNA-encodes the host: refuses labels IDNA cannot spell
    except (UnicodeError, ValueError) as exc:
        raise UsageError(f"bad URL {url!r}: host name cannot be encoded ({exc})") from None
    return url


def is_tracking_param(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def normalize_url(url: str) -> str:
    """One spelling per page: validated, IDNA host, lower-case scheme and host, no default port,
    no fragment, no tracking parameters (``utm_*``, ``fbclid``, ``xtor``, ``at_*``…), an empty
    path spelled ``/``. Other query parameters keep their order."""
    url = validate_url(url)
    safe = safe_url_string(url)  # percent-encodes unsafe characters, IDNA-encodes the host
    parts = urlsplit(safe)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not is_tracking_param(k)]
        if len(kept) != len(pairs):
            query = urlencode(kept, safe="/:@!$'()*,;")
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def host_key(url: str) -> str:
    """``host:port`` of ``url`` (default port filled in), the unit of politeness."""
    scheme, host = _split(url.strip())
    port = urlsplit(url.strip()).port or DEFAULT_PORTS[scheme]
    host = host.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}"


def is_public_ip(address: str) -> bool:
    """True for globally routable unicast addresses; False for loopback, private (10/8,
    172.16/12, 192.168/16), link-local and cloud metadata (169.254/16), ULA (fc00::/7),
    unspecified (0.0.0.0, ::), shared (100.64/10), multicast and reserved ranges."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            ip = embedded
    return ip.is_global and not ip.is_multicast


Resolver = Callable[..., list[tuple[object, ...]]]


def check_public_address(
    host: str, port: int | None, allow_private: bool, *, resolve: Resolver | None = None
) -> None:
    """Refuse ``host`` if any address it resolves to is not public (SSRF guard).

    Raises BlockedURLError (code ``policy:private-address``) unless ``allow_private``, and
    FetchError (code ``net:dns``) if the name does not resolve. Every address is checked, so a
    name with one public and one private address is refused. ``resolve`` defaults to
    ``socket.getaddrinfo``, looked up at call time. A DNS server that answers differently a
    moment later (rebinding) is caught by the connection layer, which checks again and connects
    to the very address it checked (:class:`scraper.net.client.GuardedBackend`).
    """
    if allow_private:
        return
    host = host.strip("[]")
    resolve = resolve or socket.getaddrinfo
    try:
        infos = resolve(host, port or 0, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc}", code="net:dns") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    refuse_private(host, addresses)


def refuse_private(host: str, addresses: Iterable[str]) -> None:
    """Raise BlockedURLError (``policy:private-address``) if any address of ``host`` is not public."""
    for address in addresses:
        if not is_public_ip(address):
            raise BlockedURLError(
                f"refused {host!r}: it resolves to the non-public address {address} "
                "(to fetch loopback or private hosts, give --allow-private or set allow_private: true on the source)",
                code="policy:private-address",
            )
