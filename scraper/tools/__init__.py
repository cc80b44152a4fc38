"""Archive tools: what can be done with an archive years later.

    reextract.py  stored raw responses -> pipeline.capture_page -> archive.record.store (no network)
    export.py     articles -> Parquet (Hive-partitioned) | JSONL | CSV ; responses -> WARC
    warc.py       WARC files <-> the archive (import through the pipeline; WARC 1.1 writing)
    stats.py      a summary per source
    selection.py  which articles or responses: --source, --since, --until, --access

Each tool is one library function taking an :class:`~scraper.archive.Archive`; ``cli/tools.py``
wires them to commands. Writes go through the one write path (``archive.record.store``: re-check
dates, the on_commit hook) in batches, one transaction each.
"""
