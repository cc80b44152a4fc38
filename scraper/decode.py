"""Bytes + Content-Type -> NFC text, in the WHATWG order, with the repairs real pages need.

The label is chosen as the Encoding Standard says browsers do, with a source's override first:

    override -> BOM -> HTTP charset -> <meta> prescan (first 1024 bytes) -> detection

Every label goes through the WHATWG label table (``webencodings.lookup``), so ``iso-8859-1``,
``latin1``, ``us-ascii`` and ``ascii`` all mean windows-1252; an unknown label falls through to
the next step. Then three departures from a browser, each for a failure seen on real pages:

* Bytes that are entirely valid UTF-8 (and not pure ASCII) stay UTF-8 whatever an HTTP or
  ``<meta>`` label claims: pages re-encoded to UTF-8 keep their old ``gb2312``/``iso-8859-15``
  meta. Only an override or a BOM beats the bytes.
* Mixed pages. Under a windows-1252 label, multi-byte UTF-8 sequences are decoded as UTF-8 and
  the other bytes as windows-1252 (Developpez mixes UTF-8 paragraphs into cp1252 ones). Under a
  UTF-8 label, the bytes that are not valid UTF-8 are decoded as windows-1252.
* Afterwards: whole-text double encoding ("Ã©", "â€™") is undone when re-encoding proves it,
  C1 controls (U+0080-U+009F) are mapped through windows-1252 or dropped, and the text is NFC.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field

import webencodings

__all__ = ["Decoded", "decode_html", "lookup_label"]

Source = str  # "override" | "bom" | "http" | "meta" | "detected" | "default"


@dataclass(frozen=True)
class Decoded:
    text: str  # NFC, no C1 controls
    encoding: str  # WHATWG name of the main encoding: "utf-8", "windows-1252", "gbk"...
    source: str  # where the encoding came from: override|bom|http|meta|detected|default
    repaired: int = 0  # bytes decoded by the fallback encoding (mixed pages) or repaired
    # ``text`` encoded as UTF-8 when that is the input itself (ASCII, or clean UTF-8 that NFC left
    # alone), else None: the parser takes these bytes instead of encoding the text again.
    utf8: bytes | None = field(default=None, repr=False, compare=False)


# --- windows-1252 as browsers decode it ------------------------------------------------------
# Python's cp1252 raises on 0x81, 0x8D, 0x8F, 0x90 and 0x9D; the WHATWG index maps them to the
# code points of the same value. We decode them so, then drop them with the other C1 controls.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_CP1252_TABLE = "".join(
    chr(b) if b in _CP1252_UNDEFINED else bytes([b]).decode("cp1252") for b in range(256)
)
_CP1252_ENCODING_MAP = codecs.charmap_build(_CP1252_TABLE)


def _decode_cp1252(data: bytes) -> str:
    return codecs.charmap_decode(data, "strict", _CP1252_TABLE)[0]


# C1 control U+0080..U+009F -> the windows-1252 character of that byte, or "" when undefined.
_C1_MAP = {
    cp: ("" if cp in _CP1252_UNDEFINED else _CP1252_TABLE[cp]) for cp in range(0x80, 0xA0)
}
_C1 = re.compile("[\x80-\x9f]")
_C1_UTF8 = re.compile(b"\xc2[\x80-\x9f]")  # a C1 control encoded in UTF-8
# "Ã", "Â" or "â€" encoded in UTF-8 (C3 83, C3 82, C3 A2 E2 82 AC): one regex pass over the
# bytes, keyed on the C3 lead byte, is several times faster than three substring searches.
_MOJIBAKE_UTF8 = re.compile(b"\xc3(?:[\x82\x83]|\xa2\xe2\x82\xac)")


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    """Codec error handler: decode the offending bytes as windows-1252 (undefined ones dropped)."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    bad = err.object[err.start : err.end]
    return _decode_cp1252(bad).translate(_C1_MAP), err.end


codecs.register_error("scraper.cp1252", _cp1252_fallback)

# --- labels ----------------------------------------------------------------------------------

_SINGLE_BYTE = frozenset(
    {"ibm866", "koi8-r", "koi8-u", "macintosh", "x-mac-cyrillic", "windows-874"}
    | {f"iso-8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)}
    | {"iso-8859-8-i"}
    | {f"windows-{n}" for n in range(1250, 1259)}
)
# Python codecs for WHATWG names where webencodings' choice is narrower than the standard.
_PY_CODEC = {"gbk": "gb18030", "windows-1252": "cp1252"}


def lookup_label(label: str | None) -> str | None:
    """The WHATWG encoding name for ``label``, or None when unknown (or not worth honouring)."""
    if not label:
        return None
    enc = webencodings.lookup(label.strip().strip("\"'"))
    if enc is None or enc.name == "replacement":
        return None
    if enc.name == "x-user-defined":
        return "windows-1252"
    return str(enc.name)


_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^\s;"',]+)""", re.I)


def _http_label(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HTTP_CHARSET.search(content_type)
    return lookup_label(m.group(1)) if m else None


_COMMENT = re.compile(rb"<!--.*?(?:-->|\Z)", re.S)
_META_TAG = re.compile(rb"<meta[\s/]([^>]*)", re.I)
_ATTR = re.compile(rb"""([^\s=/>]+)(?:\s*=\s*("[^"]*"?|'[^']*'?|[^\s>]+))?""")
_CONTENT_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([^\s;"']+)""", re.I)


def prescan_meta(content: bytes) -> str | None:
    """The WHATWG name declared by the first usable ``<meta>`` in the first 1024 bytes."""
    head = _COMMENT.sub(b"", content[:1024])
    for tag in _META_TAG.finditer(head):
        attrs: dict[bytes, bytes] = {}
        for name, value in _ATTR.findall(tag.group(1)):
            attrs.setdefault(name.lower(), value.strip(b"\"'"))
        label: bytes | None = None
        if attrs.get(b"charset"):
            label = attrs[b"charset"]
        elif attrs.get(b"http-equiv", b"").lower() == b"content-type" and b"content" in attrs:
            m = _CONTENT_CHARSET.search(attrs[b"content"])
            label = m.group(1) if m else None
        if label is None:
            continue
        name = lookup_label(label.decode("ascii", "replace"))
        if name is None:
            continue
        if name in ("utf-16le", "utf-16be"):  # a page that can say so in ASCII is not UTF-16
            name = "utf-8"
        return name
    return None


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
)

# charset-normalizer guesses we accept (WHATWG names); anything else means windows-1252.
_LATIN_GUESSES = frozenset({"windows-1250", "iso-8859-2"})
_OTHER_SCRIPT_GUESSES = frozenset(
    {"windows-1251", "windows-1253", "windows-1255", "windows-1256", "iso-8859-5", "iso-8859-7"}
    | {"koi8-r", "koi8-u", "gbk", "gb18030", "big5", "shift_jis", "euc-jp", "euc-kr"}
)
_SAMPLE = 65536
_HIGH = re.compile(rb"[\x80-\xff]")
_HIGH_AFTER_LETTER = re.compile(rb"[A-Za-z][\x80-\xff]")
# Bytes that are letters in central-European code pages (š ś ť ź ą ł ľ ...) and rare symbols in
# windows-1252.
_CE_ONLY = re.compile(rb"[\x8a\x8c\x8d\x8e\x8f\x9a\x9c\x9d\x9e\x9f\xa5\xb3\xb9\xbe]")


def _detect(content: bytes) -> str:
    """Guess the encoding of bytes that are not UTF-8 and carry no usable label.

    charset-normalizer's guess is kept only when it is plausible: short Western texts are often
    "detected" as windows-1250, windows-1251 or even GBK. A page whose high bytes mostly follow
    an ASCII letter ("inqui\xe8tent") is in a Latin script, hence windows-1252 unless the bytes
    that only central-European code pages use as letters are frequent.
    """
    sample = content[:_SAMPLE]
    high = len(_HIGH.findall(sample))
    latin_context = len(_HIGH_AFTER_LETTER.findall(sample)) / high if high else 1.0
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return "windows-1252"
    best = from_bytes(sample, steps=5, chunk_size=512).best()
    name = lookup_label(best.encoding) if best is not None else None
    if name in _LATIN_GUESSES and len(_CE_ONLY.findall(sample)) > 0.1 * high:
        return name
    if name in _OTHER_SCRIPT_GUESSES and latin_context < 0.5:
        return name
    return "windows-1252"


# --- decoding --------------------------------------------------------------------------------

_SURROGATE_RUN = re.compile("[\udc80-\udcff]+")
# Two-byte UTF-8 sequences with a lead byte 0xDC-0xDF (Syriac, Thaana, N'Ko: U+0700-U+07FF) are
# not trusted inside a windows-1252 page: there those bytes are "Üß" followed by punctuation
# (German "Fuß“" is DF 93) far more often than real UTF-8.
_UNLIKELY_UTF8 = re.compile("[\u0700-\u07ff]+")


def _surrogates_to_cp1252(m: re.Match[str]) -> str:
    raw = bytes(ord(c) - 0xDC00 for c in m.group())
    return _decode_cp1252(raw)


def _unlikely_to_cp1252(m: re.Match[str]) -> str:
    return _decode_cp1252(m.group().encode("utf-8"))


def _decode_utf8_lenient(content: bytes) -> tuple[str, int]:
    """UTF-8, with the bytes that are not valid UTF-8 decoded as windows-1252.

    Returns the text and the count of bytes decoded as windows-1252. All the scanning is done
    by the C codec (``surrogateescape``); Python only sees each run of bad bytes.
    """
    try:
        return content.decode("utf-8"), 0
    except UnicodeDecodeError:
        pass
    text = content.decode("utf-8", "surrogateescape")
    bad = len(text.encode("utf-8", "surrogateescape")) - len(text.encode("utf-8", "ignore"))
    return _SURROGATE_RUN.sub(_surrogates_to_cp1252, text), bad


_HIGH_BYTES = bytes(range(0x80, 0x100))
_UNLIKELY_LEADS = (b"\xdc", b"\xdd", b"\xde", b"\xdf")
_LEAF = 128  # below this many bytes, a region is decoded sequence by sequence


# Deleting these from the UTF-8 sequences found leaves the lead bytes we believe in.
_NOT_LIKELY_LEADS = bytes(range(0x00, 0xC0)) + b"\xdc\xdd\xde\xdf"


def _no_likely_utf8(data: bytes) -> bool:
    """True when ``data`` holds no multi-byte UTF-8 sequence worth decoding as UTF-8."""
    found = data.decode("utf-8", "ignore")
    if found.isascii():
        return True
    return not found.encode("utf-8").translate(None, _NOT_LIKELY_LEADS)


def _high_count(data: bytes) -> int:
    return len(data) - len(data.translate(None, _HIGH_BYTES))


def _decode_mixed_cp1252(content: bytes) -> tuple[str, int]:
    """windows-1252 bytes whose valid multi-byte UTF-8 sequences are decoded as UTF-8.

    Returns the text and the count of bytes decoded as UTF-8. Real mixed pages switch encoding
    per paragraph, so the page is halved (at an ASCII byte) until each region is all UTF-8 or
    holds no UTF-8 sequence at all; each test is one C-level decode. Pure windows-1252 pages
    take one test and one charmap decode.
    """
    if _no_likely_utf8(content):
        return _decode_cp1252(content), 0
    parts: list[str] = []
    utf8_bytes = _mixed_region(content, parts)
    return "".join(parts), utf8_bytes


def _mixed_region(data: bytes, out: list[str]) -> int:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if any(lead in data for lead in _UNLIKELY_LEADS):
            text = _UNLIKELY_UTF8.sub(_unlikely_to_cp1252, text)
        out.append(text)
        return _high_count(data)
    if _no_likely_utf8(data):
        out.append(_decode_cp1252(data))
        return 0
    if len(data) <= _LEAF:
        text = data.decode("utf-8", "surrogateescape")
        bad = len(text.encode("utf-8", "surrogateescape")) - len(text.encode("utf-8", "ignore"))
        text = _SURROGATE_RUN.sub(_surrogates_to_cp1252, text)
        text = _UNLIKELY_UTF8.sub(_unlikely_to_cp1252, text)
        out.append(text)
        return _high_count(data) - bad
    mid = len(data) // 2
    cut = data.find(b"<", mid)  # an ASCII byte never splits a UTF-8 sequence
    if cut <= 0 or cut >= len(data) - 1:
        cut = mid
        while cut < len(data) and data[cut] >= 0x80:
            cut += 1
        if cut >= len(data):
            cut = mid
            while cut > 0 and data[cut] >= 0x80:
                cut -= 1
            if cut == 0:  # no ASCII byte at all after the middle or before it
                cut = mid
    return _mixed_region(data[:cut], out) + _mixed_region(data[cut:], out)


def _decode_with(content: bytes, encoding: str) -> tuple[str, int]:
    if encoding == "utf-8":
        return _decode_utf8_lenient(content)
    if encoding == "windows-1252":
        if content.isascii():
            return content.decode("ascii"), 0
        return _decode_mixed_cp1252(content)
    if encoding in ("utf-16le", "utf-16be"):
        text = content.decode(encoding.replace("utf-16", "utf-16-"), "replace")
        return text, text.count("\ufffd")
    codec = _PY_CODEC.get(encoding) or webencodings.lookup(encoding).codec_info.name
    try:
        return content.decode(codec), 0
    except UnicodeDecodeError:
        text = content.decode(codec, "replace")
        return text, text.count("\ufffd")


def _utf8_or_none(content: bytes) -> str | None:
    """``content`` decoded as strict UTF-8, or None when it is not valid UTF-8 (the text is kept:
    decoding a page once instead of twice)."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _choose(
    content: bytes, content_type: str | None, override: str | None
) -> tuple[bytes, str, Source, str | None]:
    """(bytes without BOM, WHATWG encoding name, source, the bytes decoded as strict UTF-8 when
    that was tried and succeeded, else None)."""
    name = lookup_label(override)
    if name is not None:
        for bom, _ in _BOMS:
            if content.startswith(bom) and name in ("utf-8", "utf-16le", "utf-16be"):
                content = content[len(bom) :]
                break
        return content, name, "override", None
    for bom, bom_name in _BOMS:
        if content.startswith(bom):
            return content[len(bom) :], bom_name, "bom", None
    if content.isascii():
        # Any ASCII-compatible label decodes ASCII bytes the same way; say what the page said.
        name = _http_label(content_type)
        if name is not None and name not in ("utf-16le", "utf-16be"):
            return content, name, "http", None
        name = prescan_meta(content)
        return content, name or "windows-1252", "meta" if name else "default", None
    http = _http_label(content_type)
    if http in ("utf-16le", "utf-16be"):
        return content, http, "http", None
    utf8 = _utf8_or_none(content)
    valid_utf8 = utf8 is not None
    if http is not None:
        return content, ("utf-8" if valid_utf8 else http), ("detected" if valid_utf8 and http != "utf-8" else "http"), utf8
    meta = prescan_meta(content)
    if meta is not None:
        return content, ("utf-8" if valid_utf8 else meta), ("detected" if valid_utf8 and meta != "utf-8" else "meta"), utf8
    if valid_utf8:
        return content, "utf-8", "detected", utf8
    return content, _detect(content), "detected", None


# ASCII bytes decode identically under these (not under UTF-16 or ISO-2022-JP, for instance).
_ASCII_COMPATIBLE_FAST = frozenset({"utf-8", "windows-1252"}) | _SINGLE_BYTE

# --- repairs ---------------------------------------------------------------------------------

# Sequences that UTF-8 text shows when its bytes were decoded as windows-1252: "Ã©", "â€™", "Â ".
_MOJIBAKE = re.compile("[ÂÃ][\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]|â€|â„¢")


def fix_double_encoding(text: str) -> tuple[str, int]:
    """Undo whole-text UTF-8-read-as-windows-1252 when re-encoding proves it.

    The repair is taken only when every character re-encodes to windows-1252, the bytes then
    decode as strict UTF-8, and the result has fewer mojibake sequences than the input.
    Returns the text and the number of sequences repaired.
    """
    if "Ã" not in text and "Â" not in text and "â€" not in text:  # fast: no candidate at all
        return text, 0
    before = len(_MOJIBAKE.findall(text))
    if before == 0:
        return text, 0
    try:
        raw = codecs.charmap_encode(text, "strict", _CP1252_ENCODING_MAP)[0]
        fixed = raw.decode("utf-8")
    except UnicodeError:
        return text, 0
    after = len(_MOJIBAKE.findall(fixed))
    if after < before:
        return fixed, before - after
    return text, 0


def fix_c1_controls(text: str) -> str:
    """Map each C1 control to the windows-1252 character of that byte; drop undefined ones."""
    if _C1.search(text) is None:
        return text
    # Only the C1 characters are replaced: str.translate with a dict looks up every character.
    return _C1.sub(_c1_replacement, text)


def _c1_replacement(m: re.Match[str]) -> str:
    return _C1_MAP[ord(m.group())]


def clean_text(text: str) -> str:
    """No C1 controls, NFC."""
    return unicodedata.normalize("NFC", fix_c1_controls(text))


def decode_html(
    content: bytes, content_type: str | None = None, *, override: str | None = None
) -> Decoded:
    """Decode an HTML response body.

    ``content_type`` is the HTTP ``Content-Type`` header; ``override`` is a label a source forces
    because its own labels lie. ``repaired`` counts the bytes decoded by the fallback encoding
    (UTF-8 runs in a windows-1252 page, stray windows-1252 bytes in a UTF-8 page, U+FFFD
    replacements in other encodings) plus the mojibake sequences undone.
    """
    body, name, source, utf8 = _choose(content, content_type, override)
    if body.isascii() and name in _ASCII_COMPATIBLE_FAST:
        return Decoded(body.decode("ascii"), name, source, 0, utf8=body)
    if name == "utf-8" and utf8 is not None:
        text, repaired = utf8, 0  # _choose already decoded the bytes, strictly
    else:
        text, repaired = _decode_with(body, name)
    stripped = text.startswith("\ufeff")
    if stripped:  # a BOM left by an override or inside a mixed page
        text = text[1:]
    # The text holds the characters of the bytes, unchanged (clean UTF-8, nothing repaired).
    as_bytes = False
    if name == "utf-8" and repaired == 0:
        # Clean UTF-8: look for C1 controls and mojibake in the bytes, which is ten times faster
        # than scanning the str ("Ã" is C3 83, "Â" C3 82, "â€" C3 A2 E2 82 AC).
        # Each regex has a one-byte prefix that "in" finds with memchr, ten times faster.
        as_bytes = True
        if b"\xc3" in body and _MOJIBAKE_UTF8.search(body) is not None:
            text, fixed = fix_double_encoding(text)
            repaired += fixed
            as_bytes = fixed == 0
        if b"\xc2" in body and _C1_UTF8.search(body) is not None:
            text = fix_c1_controls(text)
            as_bytes = False
    else:
        text, fixed = fix_double_encoding(text)
        repaired += fixed
        text = fix_c1_controls(text)
    # NFC reads every character (~2 ns each); on clean UTF-8 a scan of the bytes usually proves
    # first that no character of the page can change. normalize() returns its argument when its
    # own quick check passes, so it is never dearer than is_normalized() followed by it.
    if as_bytes and nfc_inert_utf8(body):
        unchanged = as_bytes
    else:
        normalized = unicodedata.normalize("NFC", text)
        unchanged = as_bytes and normalized == text
        text = normalized
    utf8_bytes = body if unchanged and not stripped else None
    return Decoded(text, name, source, repaired, utf8=utf8_bytes)


# --- NFC without reading every character -------------------------------------------------------
# A character is *NFC-inert* when NFC leaves it alone next to any other inert character: it is a
# starter (combining class 0), its own NFC, not the second half of a canonical composition (so it
# never merges into what precedes it), and neither is the first character of its decomposition.
# Text made only of inert characters is NFC. Lead bytes of UTF-8 sequences all of whose
# characters are inert (Latin-1 and Latin Extended, most of Greek and Cyrillic, CJK ideographs,
# Hangul syllables, private use): tests/test_decode.py checks these tables against unicodedata.
_NFC_INERT_LEADS = bytes.fromhex("c2c3c4c5c6c7c8c9cacbcfd0d1d3d4d5dadee4e5e6e7e8e9ebecedee")
# Lead bytes checked character by character, with the code points that are not inert there
# (ranges, first and last included): general punctuation and symbols, kana, compatibility forms,
# and the supplementary planes of which only U+1F000-U+1FFFF (emoji) is taken as inert.
_NFC_CHECKED_LEADS = b"\xe2\xe3\xef\xf0"
_NFC_NOT_INERT = (
    (0x2000, 0x2001), (0x20D0, 0x20FF), (0x2126, 0x2126), (0x212A, 0x212B), (0x2329, 0x232A),
    (0x2ADC, 0x2ADC), (0x2CEF, 0x2CF1), (0x2D7F, 0x2D7F), (0x2DE0, 0x2DFF),
    (0x302A, 0x302F), (0x3099, 0x309A),
    (0xF900, 0xFAFF), (0xFB1D, 0xFB4F), (0xFE20, 0xFE2F),
)
_NFC_SKIP_BYTES = bytes(range(0xC0)) + _NFC_INERT_LEADS  # ASCII, continuation bytes, inert leads


def _not_inert_pattern(lead: int) -> re.Pattern[bytes]:
    """The UTF-8 sequences of the non-inert code points whose lead byte is ``lead``."""
    tails: dict[int, set[int]] = {}
    for first, last in _NFC_NOT_INERT:
        for cp in range(first, last + 1):
            seq = chr(cp).encode("utf-8")
            if seq[0] == lead:
                tails.setdefault(seq[1], set()).add(seq[2])
    branches = [
        re.escape(bytes([second])) + b"[" + b"".join(re.escape(bytes([t])) for t in sorted(thirds)) + b"]"
        for second, thirds in sorted(tails.items())
    ]
    return re.compile(re.escape(bytes([lead])) + b"(?:" + b"|".join(branches) + b")")


_NFC_NOT_INERT_SEQ = {lead: _not_inert_pattern(lead) for lead in b"\xe2\xe3\xef"}
_NFC_NOT_INERT_SEQ[0xF0] = re.compile(b"\xf0[^\x9f]")  # outside U+1F000-U+1FFFF


def nfc_inert_utf8(data: bytes) -> bool:
    """True when the valid UTF-8 ``data`` holds only NFC-inert characters, so its text is NFC.
    False means "not proven" (the text may still be NFC). Two C passes over the bytes at most
    for a typical page, four times faster than ``unicodedata.is_normalized`` on its text."""
    leads = data.translate(None, _NFC_SKIP_BYTES)
    if not leads:
        return True
    if leads.translate(None, _NFC_CHECKED_LEADS):
        return False  # a lead byte of combining marks, Hebrew, Arabic, Indic scripts...
    for lead, pattern in _NFC_NOT_INERT_SEQ.items():
        if lead in leads and pattern.search(data) is not None:
            return False
    return True
