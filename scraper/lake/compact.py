"""``scraper lake compact``: rewrite each source's small files into few large ones.

Every publish adds at least one file per (source, month) it touches, so a daemon publishing
every few minutes leaves many small files. Compaction reads the rows of each source with more
than ``min_files`` files and overwrites them in one commit (a delete of that source's files and
an append of the same rows). The commit carries every publisher's watermark forward, so
publishing resumes where it was; a commit that meets a concurrent publish fails and that
source is read and rewritten again.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter

from pyiceberg.exceptions import CommitFailedException
from pyiceberg.expressions import BooleanExpression, EqualTo, IsNull

from scraper.errors import LakeError
from scraper.lake.catalog import Lake
from scraper.lake.publish import MAX_TRIES, WATERMARK, watermarks
from scraper.lake.tables import TABLES

log = logging.getLogger(__name__)


def compact(lake: Lake, *, min_files: int = 2) -> list[dict[str, object]]:
    """One row per (table, source) rewritten: files before and after, rows."""
    report: list[dict[str, object]] = []
    for spec in TABLES:
        table = lake.table(spec)
        counts = Counter(task.file.partition[0] for task in table.scan().plan_files())
        for source, files in sorted(counts.items(), key=lambda kv: str(kv[0])):
            if files < min_files:
                continue
            where: BooleanExpression = IsNull("source") if source is None else EqualTo("source", source)
            for tries in range(1, MAX_TRIES + 1):
                rows = table.scan(row_filter=where).to_arrow()
                marks = {WATERMARK + p: str(m) for p, m in watermarks(table).items()}
                try:
                    table.overwrite(rows, overwrite_filter=where, snapshot_properties=marks)
                    break
                except CommitFailedException:
                    if tries == MAX_TRIES:
                        raise LakeError(f"lake table {spec.name}: compaction kept meeting other "
                                        "commits; try again later", code="lake:conflict") from None
                    time.sleep(random.uniform(0.05, 0.2 * min(tries, 10)))
                    table = lake.catalog.load_table(spec.identifier)
            after = sum(1 for t in table.scan(row_filter=where).plan_files())
            report.append({"table": spec.name, "source": source, "files_before": files,
                           "files_after": after, "rows": rows.num_rows})
            log.info("lake compact", extra=report[-1])
    return report
