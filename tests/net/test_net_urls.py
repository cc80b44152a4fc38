from __future__ import annotations

import socket
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scraper.errors import BlockedURLError, FetchError, UsageError
from scraper.net.urls import check_public_address, host_key, is_tracking_param, normalize_url, validate_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Example.COM/Path/", "https://www.example.com/Path/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?utm_source=x&utm_medium=y&id=3", "https://example.com/a?id=3"),
        ("https://example.com/a?b=2&fbclid=x&a=1&gclid=y", "https://example.com/a?b=2&a=1"),
        ("https://www.lemonde.fr/a.html?xtor=RSS-3208&at_medium=rss", "https://www.lemonde.fr/a.html"),
        ("https://example.com/a?mc_cid=1&mc_eid=2&UTM_Campaign=z", "https://example.com/a"),
        ("https://bücher.example/café", "https://xn--bcher-kva.example/caf%C3%A9"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://example.com/a?q=", "https://example.com/a?q="),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("", "empty"),
        ("example.com/news", "no scheme"),
        ("ftp://example.com/file", "scheme ftp"),
        ("file:///etc/passwd", "scheme file"),
        ("javascript:alert(1)", "scheme javascript"),
        ("https://exa mple.com/", "whitespace"),
        ("https:///path-only", "no host"),
        ("http://", "no host"),
        ("http://example.com:99999/", "port"),
    ],
)
def test_validate_url_refuses_with_one_line(url: str, why: str) -> None:
    with pytest.raises(UsageError) as info:
        validate_url(url)
    message = str(info.value)
    assert "\n" not in message
    assert why in message
    assert info.value.exit_code == 2


def test_validate_url_returns_stripped_url() -> None:
    assert validate_url(" https://example.com/a?b=1 \n") == "https://example.com/a?b=1"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Example.com/x", "example.com:443"),
        ("http://example.com/x", "example.com:80"),
        ("http://a.example:8080/", "a.example:8080"),
        ("http://[::1]:8000/", "[::1]:8000"),
    ],
)
def test_host_key(url: str, key: str) -> None:
    assert host_key(url) == key


@pytest.mark.parametrize("name", ["utm_source", "utm_whatever", "fbclid", "gclid", "xtor", "at_campaign", "MC_CID"])
def test_tracking_params(name: str) -> None:
    assert is_tracking_param(name)


@pytest.mark.parametrize("name", ["id", "page", "q", "utmost", "format"])
def test_meaningful_params_are_kept(name: str) -> None:
    assert not is_tracking_param(name)


def resolver(*addresses: str) -> Any:
    def resolve(host: str, port: int, family: int = 0, type: int = 0) -> list[tuple[object, ...]]:  # noqa: A002
        out: list[tuple[object, ...]] = []
        for a in addresses:
            fam = socket.AF_INET6 if ":" in a else socket.AF_INET
            out.append((fam, socket.SOCK_STREAM, 6, "", (a, port)))
        return out

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.5.4", "172.31.255.255", "192.168.1.1",
        "169.254.169.254", "0.0.0.0", "100.64.0.1", "::1", "fd00::1", "fc00::5", "fe80::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::", "224.0.0.1",
    ],
)
def test_private_addresses_are_refused(address: str) -> None:
    with pytest.raises(BlockedURLError) as info:
        check_public_address("internal.example", 80, False, resolve=resolver(address))
    assert info.value.code == "policy:private-address"
    assert address in str(info.value)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "172.32.0.1"])
def test_public_addresses_pass(address: str) -> None:
    check_public_address("news.example", 443, False, resolve=resolver(address))


def test_one_private_address_among_public_ones_is_refused() -> None:
    with pytest.raises(BlockedURLError):
        check_public_address("rebind.example", 80, False, resolve=resolver("93.184.216.34", "10.0.0.7"))


def test_allow_private_skips_the_check() -> None:
    def fail(*args: object, **kwargs: object) -> list[tuple[object, ...]]:
        raise AssertionError("must not resolve")

    check_public_address("localhost", 80, True, resolve=fail)


def test_loopback_name_is_refused_after_real_resolution() -> None:
    with pytest.raises(BlockedURLError):
        check_public_address("localhost", 80, False)


def test_unresolvable_host_is_a_fetch_error() -> None:
    def fail(*args: object, **kwargs: object) -> list[tuple[object, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(FetchError) as info:
        check_public_address("nowhere.invalid", 80, False, resolve=fail)
    assert info.value.code == "net:dns"


url_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


@given(url_text)
def test_validate_url_only_raises_usage_error(text: str) -> None:
    try:
        validate_url(text)
    except UsageError as exc:
        assert "\n" not in str(exc)


@given(
    st.sampled_from(["http", "https", "HTTP"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z]{2,5}){1,2}", fullmatch=True),
    st.lists(st.from_regex(r"[A-Za-z0-9_.~-]{1,8}", fullmatch=True), max_size=3),
    st.lists(
        st.tuples(
            st.sampled_from(["id", "utm_source", "p", "fbclid", "at_x", "q"]),
            st.from_regex(r"[A-Za-z0-9]{0,5}", fullmatch=True),
        ),
        max_size=4,
    ),
)
def test_normalize_url_is_idempotent_and_drops_tracking(
    scheme: str, host: str, segments: list[str], params: list[tuple[str, str]]
) -> None:
    query = "&".join(f"{k}={v}" for k, v in params)
    url = f"{scheme}://{host}/{'/'.join(segments)}" + (f"?{query}" if query else "") + "#frag"
    once = normalize_url(url)
    assert normalize_url(once) == once
    assert "#" not in once
    assert "utm_" not in once and "fbclid" not in once and "at_x" not in once
