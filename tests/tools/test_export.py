"""scraper export: Parquet partitions read back by DuckDB, JSONL and CSV read back."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
from click.testing import Result

from scraper.archive import Archive
from scraper.tools.export import EXPORT_COLUMNS
from tests.tools.conftest import query


def stored(archive: Archive) -> dict[str, tuple[object, ...]]:
    rows = query(archive, "SELECT canonical_url, source, title, text, access, word_count FROM articles")
    return {str(r[0]): r[1:] for r in rows}


def test_parquet_is_hive_partitioned_by_source_and_month(
    archive: Archive, run: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "dataset"
    result = run("export", "--format", "parquet", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == f"exported 5 article(s) as parquet to {out}\n"
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.parquet"))
    assert [f.rsplit("/", 1)[0] for f in files] == [
        "source=dailyledger/month=2024-06",
        "source=developpez/month=2024-10",
        "source=developpez/month=2024-11",
    ]
    con = duckdb.connect()
    rows = con.execute(
        "SELECT canonical_url, source, title, text, access, word_count, month, authors "
        f"FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true)"
    ).fetchall()
    assert {str(r[0]): r[1:6] for r in rows} == stored(archive)
    assert {(r[1], r[6]) for r in rows} == {
        ("dailyledger", "2024-06"), ("developpez", "2024-10"), ("developpez", "2024-11"),
    }
    assert all(isinstance(r[7], list) for r in rows)
    columns = [d[0] for d in con.execute(
        f"SELECT * FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true) LIMIT 0"
    ).description]
    assert set(columns) == set(EXPORT_COLUMNS) | {"month"}


def test_parquet_with_filters(archive: Archive, run: Callable[..., Result], tmp_path: Path) -> None:
    out = tmp_path / "paid"
    result = run("export", "--format", "parquet", "--access", "truncated", "--source", "developpez",
                 str(out))
    assert result.exit_code == 0, result.output
    rows = duckdb.connect().execute(
        f"SELECT source, access, article_key FROM read_parquet('{out}/**/*.parquet', "
        "hive_partitioning = true)"
    ).fetchall()
    assert rows == [("developpez", "truncated", "developpez:363891")]


def test_parquet_refuses_a_non_empty_directory(
    archive: Archive, run: Callable[..., Result], tmp_path: Path
) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "keep.txt").write_text("x")
    result = run("export", "--format", "parquet", str(tmp_path / "old"))
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {tmp_path / 'old'} exists and is not an empty directory")
    assert sorted(p.name for p in (tmp_path / "old").iterdir()) == ["keep.txt"]


def test_jsonl_reads_back(archive: Archive, run: Callable[..., Result], tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    result = run("export", "--format", "jsonl", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text("utf-8").splitlines()
    objects = [json.loads(line) for line in lines]
    assert len(objects) == 5
    assert list(objects[0]) == list(EXPORT_COLUMNS)
    assert {o["canonical_url"]: (o["source"], o["title"], o["text"], o["access"], o["word_count"])
            for o in objects} == {k: tuple(v) for k, v in stored(archive).items()}
    paid = next(o for o in objects if o["article_key"] == "developpez:363891")
    assert isinstance(paid["paywall_evidence"], list) and paid["paywall_evidence"]
    assert {"rules:notice", "notice:meaning"} <= set(paid["paywall_signals"])
    # oldest publication first
    assert [o["published_at"] for o in objects] == sorted(o["published_at"] for o in objects)


def test_csv_reads_back(archive: Archive, run: Callable[..., Result], tmp_path: Path) -> None:
    out = tmp_path / "articles.csv"
    result = run("export", "--format", "csv", "--source", "dailyledger", str(out))
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    expected = {k: v for k, v in stored(archive).items() if v[0] == "dailyledger"}
    assert {r["canonical_url"]: (r["source"], r["title"], r["text"], r["access"], int(r["word_count"]))
            for r in rows} == {k: tuple(v) for k, v in expected.items()}
    assert all(isinstance(json.loads(r["tags"]), list) for r in rows)


def test_since_and_until_compare_with_the_fetch_date(archive: Archive, run: Callable[..., Result]) -> None:
    # the same meaning as reextract's --since; the Grocery article was published 2024-06-13
    result = run("export", "--format", "jsonl", "--since", "2024-06-13", "--until", "2024-06-13", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert len(run("export", "--format", "jsonl", "--since", "2026-03-01", "-").stdout.splitlines()) == 5


def test_jsonl_to_stdout_with_a_date_range(archive: Archive, run: Callable[..., Result]) -> None:
    result = run("export", "--format", "jsonl", "--since", "2026-03-01T11:00:00Z", "--until",
                 "2026-03-01T11:30:00Z", "-")
    assert result.exit_code == 0, result.output
    assert result.stderr == "exported 1 article(s) as jsonl to stdout\n"
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["title"].startswith("Grocery chains blamed suppliers")


def test_bad_date(archive: Archive, run: Callable[..., Result], tmp_path: Path) -> None:
    result = run("export", "--format", "csv", "--until", "2024-13-01", str(tmp_path / "x.csv"))
    assert result.exit_code == 2
    assert result.output.startswith("error: bad date '2024-13-01' for --until")
    assert not (tmp_path / "x.csv").exists()


def test_unknown_source(archive: Archive, run: Callable[..., Result], tmp_path: Path) -> None:
    result = run("export", "--format", "jsonl", "--source", "lemonde", str(tmp_path / "x.jsonl"))
    assert result.exit_code == 2
    assert result.output == (
        "error: unknown source 'lemonde': no article of the archive belongs to it "
        "(sources in the archive: dailyledger, developpez)\n"
    )
    assert list(tmp_path.glob("*x.jsonl*")) == []


def test_missing_archive(run: Callable[..., Result], db_path: Path, tmp_path: Path) -> None:
    result = run("export", "--format", "parquet", str(tmp_path / "out"))
    assert result.exit_code == 6
    assert result.output.startswith(f"error: no archive at {db_path}")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
