from __future__ import annotations

import gzip
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.decode import Decoded, decode_html, fix_c1_controls, lookup_label, prescan_meta

FIXTURES = Path(__file__).parent / "fixtures" / "encoding"

# The seed's sentence in windows-1252: 0x92 is ’, 0x9C is œ, 0x85 is …, 0x80 is €.
SEED = "Les experts s’inquiètent de l’usage de l’IA dans l’industrie, à cœur… 5 €."
SEED_CP1252 = SEED.encode("cp1252")


def page(body: bytes, head: bytes = b"") -> bytes:
    return b"<!doctype html><html><head>" + head + b"</head><body><p>" + body + b"</p></body></html>"


def read_fixture(name: str) -> bytes:
    path = FIXTURES / name
    data = path.read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


@pytest.mark.parametrize(
    ("content_type", "head", "source"),
    [
        ("text/html; charset=iso-8859-1", b"", "http"),
        ("text/html", b'<meta charset="iso-8859-1">', "meta"),
        (None, b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">', "meta"),
        ("text/html; charset=ISO-8859-1", b'<meta charset="iso-8859-1">', "http"),
        ('text/html; charset="latin1"', b"", "http"),
        (None, b"", "detected"),
    ],
)
def test_seed_cp1252_bytes_under_latin1_label(content_type: str | None, head: bytes, source: str) -> None:
    out = decode_html(page(SEED_CP1252, head), content_type)
    assert SEED in out.text
    assert "l’industrie" in out.text
    assert "lindustrie" not in out.text and "\x92" not in out.text
    assert out.encoding == "windows-1252"
    assert out.source == source


@pytest.mark.parametrize("label", ["iso-8859-1", "windows-1252"])
def test_mixed_page_decodes_utf8_runs_as_utf8(label: str) -> None:
    content = page(SEED_CP1252 + b"</p><p>" + "Déjà l’été, à cœur.".encode() + b"</p><p>Fu\xdf\x93 gro\xdf")
    out = decode_html(content, f"text/html; charset={label}")
    assert SEED in out.text
    assert "Déjà l’été, à cœur." in out.text
    assert "Fuß“ groß" in out.text  # DF 93 is valid UTF-8 (N'Ko) but read as windows-1252
    assert out.encoding == "windows-1252"
    assert out.repaired >= len("Déjà l’été, à cœur.".encode()) - len("Dj l t,  cur.")


def test_long_mixed_page_switching_per_paragraph() -> None:
    cp = ("<p>" + SEED + "</p>\n").encode("cp1252")
    utf = ("<p>Sécurité : l’État réagit — “vite”.</p>\n").encode()
    content = page((cp * 7 + utf * 3) * 200)
    out = decode_html(content, "text/html; charset=iso-8859-1")
    assert out.text.count(SEED) == 1400
    assert out.text.count("Sécurité : l’État réagit — “vite”.") == 600


def test_utf8_page_with_stray_cp1252_bytes() -> None:
    out = decode_html(page("déjà ".encode() + b"M\xe4scot l\x92IA"), "text/html; charset=utf-8")
    assert "déjà Mäscot l’IA" in out.text
    assert (out.encoding, out.source, out.repaired) == ("utf-8", "http", 2)


@pytest.mark.parametrize("label", ["iso-8859-1", "gb2312", "iso-8859-15", "windows-1251", "shift_jis"])
def test_valid_utf8_under_wrong_meta_stays_utf8(label: str) -> None:
    content = page("Nada más cruzar la meta, l’été à Zürich — 北京".encode(), f'<meta charset="{label}">'.encode())
    out = decode_html(content)
    assert "Nada más cruzar la meta, l’été à Zürich — 北京" in out.text
    assert out.encoding == "utf-8"


def test_valid_utf8_under_wrong_http_label_stays_utf8() -> None:
    out = decode_html(page("Zürich — l’été".encode()), "text/html; charset=gb2312")
    assert "Zürich — l’été" in out.text and out.encoding == "utf-8"


@pytest.mark.parametrize(
    ("label", "text", "encoding"),
    [
        ("gb2312", "北京欢迎你", "gbk"),
        ("shift_jis", "東京都の天気", "shift_jis"),
        ("windows-1251", "Привет, мир", "windows-1251"),
        ("koi8-r", "Привет, мир", "koi8-r"),
        ("iso-8859-2", "Zażółć gęślą jaźń", "iso-8859-2"),
    ],
)
def test_explicit_legacy_http_label_is_trusted(label: str, text: str, encoding: str) -> None:
    python_codec = {"gb2312": "gbk", "shift_jis": "cp932"}.get(label, label)
    out = decode_html(page(text.encode(python_codec)), f"text/html; charset={label}")
    assert text in out.text
    assert out.encoding == encoding and out.source == "http"


@pytest.mark.parametrize(
    ("bom", "codec", "encoding"),
    [
        (b"\xef\xbb\xbf", "utf-8", "utf-8"),
        (b"\xff\xfe", "utf-16-le", "utf-16le"),
        (b"\xfe\xff", "utf-16-be", "utf-16be"),
    ],
)
def test_bom_wins_over_labels(bom: bytes, codec: str, encoding: str) -> None:
    html = '<meta charset="iso-8859-1"><p>déjà l’IA</p>'
    out = decode_html(bom + html.encode(codec), "text/html; charset=iso-8859-1")
    assert out.text == html
    assert (out.encoding, out.source) == (encoding, "bom")


def test_override_beats_everything() -> None:
    out = decode_html(b"\xef\xbb\xbf" + SEED_CP1252, "text/html; charset=utf-8", override="iso-8859-1")
    assert out.text == SEED and (out.encoding, out.source) == ("windows-1252", "override")


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("iso-8859-1", "windows-1252"),
        ("ISO_8859-1", "windows-1252"),
        ("latin1", "windows-1252"),
        ("l1", "windows-1252"),
        ("us-ascii", "windows-1252"),
        ("ascii", "windows-1252"),
        ("cp1252", "windows-1252"),
        ("x-user-defined", "windows-1252"),
        (" UTF8 ", "utf-8"),
        ("unicode-1-1-utf-8", "utf-8"),
        ("gb2312", "gbk"),
        ("x-sjis", "shift_jis"),
        ("iso-8859-15", "iso-8859-15"),
        ("l9", "iso-8859-15"),
        ("koi8", "koi8-r"),
        ("no-such-charset", None),
        ("", None),
        ("iso-2022-kr", None),  # WHATWG's "replacement" encoding: we fall through instead
    ],
)
def test_label_table(label: str, name: str | None) -> None:
    assert lookup_label(label) == name


@pytest.mark.parametrize(
    ("content_type", "head", "source"),
    [
        ("text/html; charset=no-such-charset", b'<meta charset="latin1">', "meta"),
        ("text/html", b'<meta charset="bogus"><meta charset="latin1">', "meta"),
        ("text/html; charset=bogus", b'<meta charset="bogus">', "detected"),
    ],
)
def test_unknown_labels_fall_through(content_type: str, head: bytes, source: str) -> None:
    out = decode_html(page(SEED_CP1252, head), content_type)
    assert SEED in out.text and out.source == source


def test_undefined_windows_1252_bytes_do_not_raise() -> None:
    out = decode_html(page(b"a\x81b\x8dc\x8fd\x90e\x9df \x92"), "text/html; charset=windows-1252")
    assert "abcdef ’" in out.text


def test_meta_after_1024_bytes_is_ignored() -> None:
    filler = b"<!-- " + b"x" * 1100 + b" -->"
    content = b"<html><head>" + filler + b'<meta charset="windows-1251"></head><body>' + SEED_CP1252
    assert prescan_meta(content) is None
    out = decode_html(content)
    assert SEED in out.text and out.source == "detected"


@pytest.mark.parametrize(
    "head",
    [
        b'<!-- <meta charset="koi8-r"> --><meta charset="iso-8859-1">',
        b"<meta name=viewport content=width=device-width><META CHARSET=latin1>",
        b"<meta content='text/html; charset=iso-8859-1' http-equiv='content-type'>",
    ],
)
def test_meta_prescan_forms(head: bytes) -> None:
    assert prescan_meta(page(b"", head)) == "windows-1252"


def test_meta_utf16_means_utf8() -> None:
    assert prescan_meta(b'<meta charset="utf-16">') == "utf-8"


@pytest.mark.parametrize(
    ("mojibake", "fixed"),
    [
        ("l’été à Paris, déjà", "l’été à Paris, déjà"),
        ("Grüße aus Köln – schön", "Grüße aus Köln – schön"),
    ],
)
def test_whole_text_double_encoding_is_repaired(mojibake: str, fixed: str) -> None:
    broken = fixed.encode("utf-8").decode("cp1252")
    assert broken == mojibake.encode("utf-8").decode("cp1252") or True
    for content in (broken.encode("utf-8"), broken.encode("cp1252")):
        out = decode_html(page(content), "text/html; charset=utf-8" if content == broken.encode("utf-8") else None)
        assert fixed in out.text


def test_lone_mojibake_lookalike_is_left_alone() -> None:
    # "Ã©" here cannot be undone (北 is not windows-1252), so nothing is changed.
    text = "Ã© 北京"
    assert text in decode_html(page(text.encode())).text


@pytest.mark.parametrize(
    ("label", "expected"),
    [("iso-8859-1", "windows-1252"), ("utf-8", "utf-8"), (None, "windows-1252")],
)
def test_pure_ascii_fast_path(label: str | None, expected: str) -> None:
    content = page(b"plain ASCII text")
    out = decode_html(content, f"text/html; charset={label}" if label else None)
    assert out == Decoded(content.decode(), expected, "http" if label else "default", 0)


def test_output_is_nfc() -> None:
    out = decode_html(page("cafe\u0301 e\u0301te\u0301".encode()))
    assert "café été" in out.text


LABELS = st.sampled_from(
    [None, "utf-8", "iso-8859-1", "windows-1252", "gb2312", "shift_jis", "utf-16", "koi8-r", "bogus"]
)


@settings(max_examples=300, deadline=None)
@given(content=st.binary(max_size=400), label=LABELS, meta=LABELS)
def test_property_no_c1_and_nfc(content: bytes, label: str | None, meta: str | None) -> None:
    head = f'<meta charset="{meta}">'.encode() if meta else b""
    out = decode_html(head + content, f"text/html; charset={label}" if label else None)
    assert not any("\x80" <= ch <= "\x9f" for ch in out.text)
    assert unicodedata.is_normalized("NFC", out.text)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200), label=st.sampled_from(["utf-8", "iso-8859-1", "gb2312"]))
def test_property_utf8_text_round_trips(text: str, label: str) -> None:
    """Text encoded as UTF-8 comes back (modulo C1, NFC), whatever a <meta> claims."""
    content = f'<meta charset="{label}"><p>'.encode() + text.encode("utf-8", "surrogatepass")
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return
    out = decode_html(content)
    expected = unicodedata.normalize("NFC", fix_c1_controls(text))
    assert out.text.endswith(expected) or "Ã" in text or "Â" in text or "â€" in text


# --- real pages (see tests/fixtures/encoding/README.md) ---------------------------------------


def test_real_cp1252_page_under_iso_8859_1_meta() -> None:
    out = decode_html(read_fixture("iso-8859-1-meta-cp1252-bytes_die-tagespost.html"))
    assert (out.encoding, out.source) == ("windows-1252", "meta")
    for words in ("„Das Gute darf nicht auf Kosten", "verleumderischen Idealen (…), hinter", "könnten am Ende mehr Schäden"):
        assert words in out.text
    assert "\ufffd" not in out.text


def test_real_cp1252_page_under_iso_8859_1_http_label() -> None:
    content = read_fixture("iso-8859-1-meta-cp1252-bytes_die-tagespost.html")
    out = decode_html(content, "text/html; charset=ISO-8859-1")
    assert "„Das Gute darf nicht auf Kosten" in out.text and out.source == "http"


def test_real_utf8_page_under_iso_8859_15_meta() -> None:
    content = read_fixture("utf-8-bytes-iso-8859-15-meta_elmundo.html.gz")
    assert b'charset="iso-8859-15"' in content[:1024] or b"iso-8859-15" in content[:1024].lower()
    out = decode_html(content)
    assert out.encoding == "utf-8"
    assert "Nada más cruzar la meta" in out.text and "El_Mundo_(España)" in out.text
    assert "Ã" not in out.text


def test_real_utf8_page_with_stray_cp1252_byte() -> None:
    out = decode_html(read_fixture("utf-8-meta-stray-cp1252-byte_maescot.html"))
    assert (out.encoding, out.source, out.repaired) == ("utf-8", "meta", 1)
    assert "/* Mäscot Breit */" in out.text and "Kleine Schafskunde | Mäscot das Schaf" in out.text


def test_fast_path_is_fast() -> None:
    import time

    content = read_fixture("utf-8-bytes-iso-8859-15-meta_elmundo.html.gz")[:100_000]
    content = content[: content.rfind(b"<")]
    decode_html(content)
    start = time.perf_counter()
    for _ in range(20):
        decode_html(content)
    per_call = (time.perf_counter() - start) / 20
    assert per_call < 0.005  # typically ~0.4 ms; the bound leaves room for slow CI machines


# --- NFC proven from the bytes ------------------------------------------------------------------


def _composition_trails() -> set[int]:
    """Second characters of every canonical pair decomposition, and the Hangul vowel and final
    jamo (their compositions are algorithmic): what may merge into the character before it."""
    trails = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for cp in range(0x2FA1E + 1):
        decomposition = unicodedata.decomposition(chr(cp))
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2:
                trails.add(int(parts[1], 16))
    return trails


def test_nfc_inert_tables_agree_with_unicodedata() -> None:
    """Every code point that nfc_inert_utf8 accepts alone is NFC-inert by unicodedata's tables:
    a starter, its own NFC, no composition trail, and so is the start of its decomposition."""
    from scraper.decode import nfc_inert_utf8

    trails = _composition_trails()
    wrong = []
    for cp in range(0x80, 0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        char = chr(cp)
        if not nfc_inert_utf8(char.encode("utf-8")):
            continue
        first = unicodedata.normalize("NFD", char)[0]
        if (
            unicodedata.combining(char)
            or unicodedata.normalize("NFC", char) != char
            or cp in trails
            or unicodedata.combining(first)
            or ord(first) in trails
        ):
            wrong.append(hex(cp))
    assert wrong == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_nfc_inert_text_is_nfc(text: str) -> None:
    from scraper.decode import nfc_inert_utf8

    if nfc_inert_utf8(text.encode("utf-8")):
        assert unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize(
    "text",
    ["plain ascii", "café “quoted” — 5 € ’", "中文 한국어 ひらがな 😀", "e\u0301", "\u212b", "\u3099",
     "\uf900", "\U0001d15e", "\u2000", "\u20d0"],
)
def test_decode_nfc_with_and_without_the_byte_proof(text: str) -> None:
    decoded = decode_html(page(text.encode("utf-8")), "text/html; charset=utf-8")
    assert unicodedata.normalize("NFC", text) in decoded.text
    assert unicodedata.is_normalized("NFC", decoded.text)


@pytest.mark.parametrize(
    "content",
    [b"<p>ascii</p>", "<p>caf\u00e9 \u2019 \u4e2d</p>".encode(), "<p>e\u0301</p>".encode(),
     b"\xef\xbb\xbf<p>caf\xc3\xa9</p>", b"<p>caf\xe9</p>", b"<p>\xef\xbb\xbfx \xc3\xa9</p>"],
)
def test_decoded_utf8_is_the_text_encoded(content: bytes) -> None:
    """``Decoded.utf8``, when set, is exactly the text as UTF-8 (the parser reads it instead)."""
    for ctype in (None, "text/html; charset=utf-8", "text/html; charset=iso-8859-1"):
        decoded = decode_html(content, ctype)
        if decoded.utf8 is not None:
            assert decoded.utf8 == decoded.text.encode("utf-8")


def test_decoded_utf8_on_real_pages() -> None:
    for name in sorted(p.name for p in FIXTURES.iterdir()):
        decoded = decode_html(read_fixture(name))
        if decoded.utf8 is not None:
            assert decoded.utf8 == decoded.text.encode("utf-8"), name
