"""WARC: export read back with warcio, re-imported into a fresh archive; imports of crawler WARCs."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import Result
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from scraper.archive import Archive, decompress_body
from scraper.tools.warc import import_warcs
from tests.tools.conftest import PAGES, SITES, query

ARTICLE_FIELDS = "canonical_url, source, article_key, title, text, access, word_count, authors"


def export_warc(run: Callable[..., Result], out: Path, *args: str) -> None:
    result = run("export", "--format", "warc", *args, str(out))
    assert result.exit_code == 0, result.output


def read_records(path: Path) -> list[dict[str, object]]:
    records = []
    with path.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            records.append({
                "type": rec.rec_type,
                "uri": rec.rec_headers.get_header("WARC-Target-URI"),
                "id": rec.rec_headers.get_header("WARC-Record-ID"),
                "date": rec.rec_headers.get_header("WARC-Date"),
                "concurrent": rec.rec_headers.get_header("WARC-Concurrent-To"),
                "refers": rec.rec_headers.get_header("WARC-Refers-To"),
                "version": rec.rec_headers.protocol,
                "http": rec.http_headers,
                "raw": rec.raw_stream.read(),
            })
    return records


def test_export_writes_response_and_metadata_records(
    archive: Archive, run: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "archive.warc.gz"
    export_warc(run, out)
    with out.open("rb") as fh:
        assert fh.read(2) == b"\x1f\x8b"
    records = read_records(out)
    assert [r["type"] for r in records] == ["warcinfo"] + ["response", "metadata"] * 5
    assert {r["version"] for r in records} == {"WARC/1.1"}

    stored = query(archive, "SELECT final_url, codec, body, fetched_at FROM responses ORDER BY article_id")
    responses = [r for r in records if r["type"] == "response"]
    assert [r["uri"] for r in responses] == [s[0] for s in stored]
    for rec, (_url, codec, body, fetched_at) in zip(responses, stored, strict=True):
        raw = decompress_body(str(codec), bytes(body))  # type: ignore[arg-type]
        assert rec["raw"] == raw
        http = rec["http"]
        assert http.get_statuscode() == "200"  # type: ignore[union-attr]
        assert http.get_header("Content-Length") == str(len(raw))  # type: ignore[union-attr]
        assert http.get_header("Content-Encoding") is None  # type: ignore[union-attr]
        assert http.get_header("Set-Cookie") is None  # stored redacted, not replayed
        assert http.get_header("Content-Type").startswith("text/html")  # type: ignore[union-attr]
        assert rec["date"] == fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    for response, meta in zip(records[1::2], records[2::2], strict=True):
        assert meta["concurrent"] == response["id"] and meta["refers"] == response["id"]
        assert meta["uri"] == response["uri"]
        fields = json.loads(meta["raw"])  # type: ignore[arg-type]
        assert fields["scraper"]["record"] == "article"
    first = json.loads(records[2]["raw"])  # type: ignore[arg-type]
    row = query(archive, f"SELECT {ARTICLE_FIELDS} FROM articles WHERE id = 1")[0]
    assert (first["canonical_url"], first["title"], first["text"], first["access"]) == (
        row[0], row[3], row[4], row[5])
    assert isinstance(first["paywall_evidence"], list)


def test_reimport_into_a_fresh_archive_gives_the_same_articles(
    archive: Archive, run: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "archive.warc.gz"
    export_warc(run, out)
    fresh = tmp_path / "fresh.duckdb"
    monkeypatch.setenv("SCRAPER_DB", str(fresh))
    result = run("import", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == "archived 5 page(s) from 1 file(s) (new 5)\n"
    sql = f"SELECT {ARTICLE_FIELDS} FROM articles ORDER BY canonical_url"
    assert query(Archive(fresh), sql) == query(archive, sql)
    dates = "SELECT canonical_url, fetched_at FROM articles ORDER BY 1"
    assert query(Archive(fresh), dates) == query(archive, dates)
    # importing the same file again changes nothing
    again = run("import", str(out))
    assert again.output == "archived 5 page(s) from 1 file(s) (unchanged 5)\n"
    assert query(Archive(fresh), "SELECT count(*) FROM article_versions") == [(5,)]


def test_export_keeps_every_stored_revision(
    archive: Archive, run: Callable[..., Result], tmp_path: Path
) -> None:
    from scraper.archive import store_captures
    from scraper.pipeline import capture_page
    from tests.tools.conftest import fetch_result

    site_path, url = PAGES[4]
    result = fetch_result(site_path, url, datetime(2026, 4, 1, tzinfo=UTC))
    changed = result.__class__(**{**result.__dict__, "content": result.content.replace(
        b"</article>", b"<p>Update: the council published the final budget on Friday.</p></article>")})
    archive.write(lambda con: store_captures(con, [capture_page(url, changed, None)]))
    out = tmp_path / "all.warc.gz"
    export_warc(run, out, "--source", "dailyledger")
    records = read_records(out)
    assert [r["type"] for r in records] == ["warcinfo"] + ["response", "metadata"] * 3
    kinds = [json.loads(r["raw"])["scraper"]["record"] for r in records if r["type"] == "metadata"]  # type: ignore[arg-type]
    assert sorted(kinds) == ["article", "article", "article_version"]


# -- importing WARCs written by crawlers ------------------------------------------------------


def chunked(data: bytes, size: int = 1000) -> bytes:
    out = b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size])
                   for i in range(0, len(data), size))
    return out + b"0\r\n\r\n"


def http(status: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers)
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode("latin-1") + body


def crawler_warc(path: Path, page: bytes, url: str) -> None:
    """What wget --warc-file writes: warcinfo, request/response pairs, gzip + chunked bodies."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.0")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "Wget/1.21"}))

        def write(uri: str, raw: bytes, rtype: str = "response") -> None:
            writer.write_record(writer.create_warc_record(
                uri, rtype, payload=BytesIO(raw), length=len(raw),
                warc_headers_dict={"WARC-Date": "2025-01-02T03:04:05Z"}))

        write(url, f"GET {url} HTTP/1.1\r\nHost: dailyledger.test\r\n\r\n".encode(), "request")
        write(url, http("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                   ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
                        chunked(gzip.compress(page))))
        write("https://dailyledger.test/missing", http("404 Not Found",
              [("Content-Type", "text/html")], b"<html>gone</html>"))
        write("https://dailyledger.test/logo.png", http("200 OK",
              [("Content-Type", "image/png")], b"\x89PNG\r\n\x1a\n...."))
        write("https://dailyledger.test/fake.html", http("200 OK",
              [("Content-Type", "text/html")], b"%PDF-1.4 not a page"))
        writer.write_record(writer.create_revisit_record(
            url, digest="sha1:AAAA", refers_to_uri=url, refers_to_date="2025-01-01T00:00:00Z"))


def test_import_a_crawler_warc(tmp_path: Path, run: Callable[..., Result], db_path: Path) -> None:
    site_path, url = PAGES[4]
    page = (SITES / site_path / "index.html").read_bytes()
    warc = tmp_path / "crawl.warc.gz"
    crawler_warc(warc, page, url)
    result = run("import", str(warc))
    assert result.exit_code == 0, result.output
    assert result.output == (
        "archived 1 page(s) from 1 file(s) (new 1)\n"
        "skipped 4 response(s): not-200 1, not-html 2, revisit 1\n"
    )
    rows = query(Archive(db_path), "SELECT a.url, a.source, a.title, a.fetched_at, r.body_bytes, "
                                   "r.headers FROM articles a JOIN responses r ON r.id = a.response_id")
    assert len(rows) == 1
    assert rows[0][:3] == (url, "dailyledger", "City council approves $1.2 billion "
                           "light-rail expansion after two-year fight")
    assert rows[0][3] == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert rows[0][4] == len(page)  # the decoded body, not the gzip + chunked bytes


def test_unreadable_warc_is_one_line_and_keeps_the_archive_whole(
    archive: Archive, tmp_path: Path, run: Callable[..., Result]
) -> None:
    out = tmp_path / "good.warc.gz"
    export_warc(run, out)
    before = query(archive, "SELECT count(*), sum(version) FROM articles")
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(b"this is not a WARC file at all\n" * 20)
    result = run("import", str(out), str(bad))
    assert result.exit_code == 2
    assert result.output == (
        f"error: {bad} is not a WARC file (it does not start with a WARC/1.x record); "
        "give the .warc or .warc.gz a crawler wrote\n"
    )
    assert query(archive, "SELECT count(*), sum(version) FROM articles") == before


def test_damaged_warc_stores_whole_batches_only(archive: Archive, tmp_path: Path,
                                                run: Callable[..., Result], db_path: Path) -> None:
    out = tmp_path / "good.warc.gz"
    export_warc(run, out)
    damaged = tmp_path / "damaged.warc.gz"
    data = out.read_bytes()
    damaged.write_bytes(data + b"\x1f\x8b\x08\x00garbage that is not gzip")
    fresh = Archive(tmp_path / "fresh.duckdb")
    with pytest.raises(Exception) as err:
        import_warcs(fresh, [damaged], None, batch_size=2)
    assert "cannot read WARC file" in str(err.value)
    # everything read before the damage is archived, each batch whole: articles and versions agree
    assert query(fresh, "SELECT count(*) FROM articles") == [(5,)]
    assert query(fresh, "SELECT count(*) FROM article_versions") == [(5,)]


def test_missing_warc_file(run: Callable[..., Result], tmp_path: Path, db_path: Path) -> None:
    result = run("import", str(tmp_path / "nope.warc.gz"))
    assert result.exit_code == 2
    assert result.output == f"error: no WARC file at {tmp_path / 'nope.warc.gz'}\n"
    assert not db_path.exists()


# -- damaged WARC files: refused records, never partial articles --------------------------------


def pages_warc(path: Path, *, gz: bool, digests: bool = True) -> list[int]:
    """The five fixture pages as a crawler's response records; returns each record's offset."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gz, warc_version="1.0")
        for site_path, url in PAGES:
            raw = http("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                       (SITES / site_path / "index.html").read_bytes())
            record = writer.create_warc_record(url, "response", payload=BytesIO(raw), length=len(raw),
                                               warc_headers_dict={"WARC-Date": "2025-01-02T03:04:05Z"})
            if not digests:
                record.rec_headers.remove_header("WARC-Payload-Digest")
                record.rec_headers.remove_header("WARC-Block-Digest")
            writer.write_record(record)
    with path.open("rb") as fh:
        it = ArchiveIterator(fh)
        return [it.get_record_offset() for _ in it]


def words(db: Path) -> list[tuple[object, ...]]:
    return query(Archive(db), "SELECT url, word_count, version FROM articles ORDER BY id")


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_a_warc_cut_short_archives_the_whole_records_only(
    tmp_path: Path, run: Callable[..., Result], db_path: Path, gz: bool
) -> None:
    whole = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    offsets = pages_warc(whole, gz=gz)
    data = whole.read_bytes()
    cut = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    cut.write_bytes(data[: (offsets[2] + offsets[3]) // 2])  # in the middle of the third page
    result = run("import", str(cut))
    assert result.exit_code == 5
    assert result.output == (
        "archived 2 page(s) from 1 file(s) (new 2)\n"
        f"error: refused 1 damaged WARC record(s) (cut-short 1) at {cut} offset {offsets[2]}; "
        "they are not archived (the other records are); import a complete copy of the file to "
        "archive them\n"
    )
    assert [row[0] for row in words(db_path)] == [PAGES[0][1], PAGES[1][1]]
    # the whole file later: the missing pages are new, the others unchanged, no false revision
    before = words(db_path)
    again = run("import", str(whole))
    assert again.exit_code == 0, again.output
    assert again.output == "archived 5 page(s) from 1 file(s) (new 3, unchanged 2)\n"
    assert words(db_path)[:2] == before
    assert query(Archive(db_path), "SELECT count(*), max(version) FROM articles") == [(5, 1)]
    assert query(Archive(db_path), "SELECT count(*) FROM article_versions") == [(5,)]


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_every_cut_of_a_warc_stores_whole_pages_only(tmp_path: Path, gz: bool) -> None:
    """Cut anywhere in a record (WARC headers, HTTP headers, body; in a .warc.gz anywhere in
    its gzip member): the pages before it are archived whole, the cut one is refused at its
    offset, and nothing partial is ever stored."""
    whole = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    offsets = pages_warc(whole, gz=gz)
    data = whole.read_bytes()
    ends = offsets[1:] + [len(data)]
    seen = 0
    for k in (1, 4):
        start, end = offsets[k], ends[k] - 8  # the last bytes: the record's closing CRLFs/gzip trailer
        for n in range(start + 1, end, max(1, (end - start) // 12)):
            cut = tmp_path / f"cut-{n}{''.join(whole.suffixes)}"
            cut.write_bytes(data[:n])
            arc = Archive(tmp_path / f"cut-{n}.duckdb")
            report = import_warcs(arc, [cut], None)
            assert [url for url, _ in query(arc, "SELECT url, word_count FROM articles ORDER BY id")] \
                == [url for _path, url in PAGES[:k]], n
            assert [(r.reason in ("cut-short", "bad-length"), r.offset) for r in report.first_refused] \
                == [(True, start)], n
            seen += 1
    assert seen >= 24


def corrupt(path: Path, offset: int, old: bytes, new: bytes) -> None:
    data = bytearray(path.read_bytes())
    at = data.index(old, offset)
    data[at:at + len(old)] = new
    path.write_bytes(bytes(data))


def test_a_record_whose_digest_does_not_match_is_refused(
    tmp_path: Path, run: Callable[..., Result], db_path: Path
) -> None:
    warc = tmp_path / "crawl.warc"
    offsets = pages_warc(warc, gz=False)
    corrupt(warc, offsets[1], b"<p>", b"<b>")  # same length: only the digests can tell
    result = run("import", str(warc))
    assert result.exit_code == 5
    assert result.output.splitlines() == [
        "archived 4 page(s) from 1 file(s) (new 4)",
        f"error: refused 1 damaged WARC record(s) (block-digest 1) at {warc} offset {offsets[1]}; "
        "they are not archived (the other records are); import a complete copy of the file to "
        "archive them",
    ]
    assert PAGES[1][1] not in [row[0] for row in words(db_path)]


def write_response(path: Path, url: str, raw_http: bytes, headers: dict[str, str]) -> None:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=False, warc_version="1.0")
        record = writer.create_warc_record(url, "response", payload=BytesIO(raw_http),
                                           length=len(raw_http),
                                           warc_headers_dict={"WARC-Date": "2025-01-02T03:04:05Z"})
        for name in ("WARC-Payload-Digest", "WARC-Block-Digest"):
            record.rec_headers.remove_header(name)
        for name, value in headers.items():
            record.rec_headers.add_header(name, value)
        writer.write_record(record)


def _digest(algorithm: str, form: str, data: bytes) -> str:
    import base64
    import hashlib

    raw = hashlib.new(algorithm, data).digest()
    value = {"base32": base64.b32encode(raw).decode(), "hex": raw.hex(),
             "base64": base64.b64encode(raw).decode()}[form]
    return f"{algorithm}:{value}"


@pytest.mark.parametrize(("algorithm", "form"), [("sha1", "base32"), ("sha256", "base32"),
                                                  ("sha256", "hex"), ("sha1", "base64")])
@pytest.mark.parametrize("chunked_digest", ["raw", "dechunked"])
def test_payload_digest_forms(tmp_path: Path, algorithm: str, form: str, chunked_digest: str) -> None:
    """sha1/sha256 in base32, hex or base64; a chunked payload digested as sent (most crawlers)
    or without its transfer encoding (the WARC spec) both match; a wrong one is refused."""
    page = (SITES / PAGES[4][0] / "index.html").read_bytes()
    body = chunked(page)
    raw = http("200 OK", [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")], body)
    digested = body if chunked_digest == "raw" else page
    good, bad = tmp_path / "good.warc", tmp_path / "bad.warc"
    write_response(good, PAGES[4][1], raw, {"WARC-Payload-Digest": _digest(algorithm, form, digested)})
    write_response(bad, PAGES[4][1], raw, {"WARC-Payload-Digest": _digest(algorithm, form, digested + b"!")})
    ok = import_warcs(Archive(tmp_path / "good.duckdb"), [good], None)
    assert (ok.archived, dict(ok.refused)) == (1, {})
    refused = import_warcs(Archive(tmp_path / "bad.duckdb"), [bad], None)
    assert (refused.archived, dict(refused.refused)) == (0, {"payload-digest": 1})
    assert refused.first_refused[0].url == PAGES[4][1] and refused.first_refused[0].offset == 0


def test_a_digest_of_another_algorithm_is_not_checked(tmp_path: Path) -> None:
    page = (SITES / PAGES[4][0] / "index.html").read_bytes()
    warc = tmp_path / "md5.warc"
    write_response(warc, PAGES[4][1], http("200 OK", [("Content-Type", "text/html")], page),
                   {"WARC-Payload-Digest": "md5:AAAA", "WARC-Block-Digest": "crc32:0"})
    report = import_warcs(Archive(tmp_path / "a.duckdb"), [warc], None)
    assert (report.archived, dict(report.refused)) == (1, {})


# -- only articles are articles ---------------------------------------------------------------------


def test_import_skips_what_is_not_an_article(
    tmp_path: Path, run: Callable[..., Result], db_path: Path
) -> None:
    home = (SITES / "dailyledger" / "index.html").read_bytes()  # 17 words of headlines
    article = (SITES / PAGES[4][0] / "index.html").read_bytes()
    long_home = article.replace(b"<title>", b"<title>Home: ")  # an article's text, at /
    warc = tmp_path / "recursive.warc"
    with warc.open("wb") as fh:
        writer = WARCWriter(fh, gzip=False, warc_version="1.0")
        for url, body in [
            ("https://www.developpez.com/", home),  # outside developpez's article_url patterns
            ("https://www.developpez.com/index/rss", home),
            ("https://dailyledger.test/", long_home),  # a source without patterns: its home page
            ("https://elsewhere.test/index.html", long_home),  # no source: a home page
            ("https://elsewhere.test/news/", home),  # no source: no article text
            ("https://elsewhere.test/empty", b""),
            (PAGES[4][1], article),
        ]:
            raw = http("200 OK", [("Content-Type", "text/html; charset=utf-8")], body)
            writer.write_record(writer.create_warc_record(
                url, "response", payload=BytesIO(raw), length=len(raw),
                warc_headers_dict={"WARC-Date": "2025-01-02T03:04:05Z"}))
    result = run("import", str(warc))
    assert result.exit_code == 0, result.output
    assert result.output == (
        "archived 1 page(s) from 1 file(s) (new 1)\n"
        "skipped 6 response(s): not-article 6\n"
    )
    assert query(Archive(db_path), "SELECT url FROM articles") == [(PAGES[4][1],)]
    skips = query(Archive(db_path), "SELECT url, source, reason, detail FROM skips ORDER BY url")
    no_text = ("no article text at {}: 0 letter(s) outside links and the title (an article has at "
               "least 50); an empty page, a home page or an index is not archived")
    assert skips == [
        ("https://dailyledger.test/", "dailyledger", "not-article", "a home page"),
        ("https://elsewhere.test/empty", None, "not-article", no_text.format("https://elsewhere.test/empty")),
        ("https://elsewhere.test/index.html", None, "not-article", "a home page"),
        ("https://elsewhere.test/news/", None, "not-article", no_text.format("https://elsewhere.test/news/")),
        ("https://www.developpez.com/", "developpez", "not-article",
         "does not match the article_url patterns of source developpez"),
        ("https://www.developpez.com/index/rss", "developpez", "not-article",
         "does not match the article_url patterns of source developpez"),
    ]


def test_a_record_too_large_to_keep_is_skipped_whole_and_refused_cut(tmp_path: Path) -> None:
    big = b"<html><body>" + b"<p>filler paragraph of a very long page</p>\n" * 30_000 + b"</body></html>"
    warc = tmp_path / "big.warc"
    write_response(warc, PAGES[4][1], http("200 OK", [("Content-Type", "text/html")], big), {})
    whole = import_warcs(Archive(tmp_path / "a.duckdb"), [warc], None, max_bytes=1000)
    assert (dict(whole.skipped), dict(whole.refused)) == ({"too-large": 1}, {})
    warc.write_bytes(warc.read_bytes()[:-5000])
    cut = import_warcs(Archive(tmp_path / "b.duckdb"), [warc], None, max_bytes=1000)
    assert (dict(cut.skipped), dict(cut.refused)) == ({}, {"cut-short": 1})


@pytest.mark.parametrize("trim", [1, 4, 8, 12])
def test_a_gzip_member_cut_in_its_last_bytes_is_refused(tmp_path: Path, trim: int) -> None:
    """A .warc.gz member cut in its deflate end or CRC trailer may still decompress to its whole
    payload: only the member's end says the record was written whole."""
    whole = tmp_path / "crawl.warc.gz"
    offsets = pages_warc(whole, gz=True)
    data = whole.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[:len(data) - trim])
    arc = Archive(tmp_path / "a.duckdb")
    report = import_warcs(arc, [cut], None)
    assert sum(report.refused.values()) == 1
    assert report.first_refused[0].offset == offsets[-1]
    assert [url for url, _ in query(arc, "SELECT url, word_count FROM articles ORDER BY id")] \
        == [url for _path, url in PAGES[:len(offsets) - 1]]
