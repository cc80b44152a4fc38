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
