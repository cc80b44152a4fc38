"""Archive tools: what can be done with an archive years later.

    reextract.py  stored raw responses -> pipeline.capture_page -> store_captures (no network)
    export.py     articles -> Parquet (Hive-partitioned) | JSONL | CSV ; responses -> WARC
    warc.py       WARC files <-> the archive (import through the pipeline; WARC 1.1 writing)
    stats.py      a summary per source
    selection.py  which articles or responses: --source, --since, --until, --access

Each tool is one library function taking an :class:`~scraper.archive.Archive`; ``cli/tools.py``
wires them to commands. Writes go through ``store.py`` in batches, one transaction each.
"""
