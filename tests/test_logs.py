"""Log set-up: one line per event; libraries' own noise only with -vv."""

from __future__ import annotations

import io
import json
import logging

from scraper.logs import THIRD_PARTY, setup_logging


def test_library_noise_is_quiet_unless_very_verbose() -> None:
    stream = io.StringIO()
    setup_logging(0, stream=stream)
    logging.getLogger("trafilatura.utils").error("lxml parsing failed: Document is empty")
    assert all(logging.getLogger(n).getEffectiveLevel() == logging.CRITICAL for n in THIRD_PARTY)
    setup_logging(2, stream=stream)
    assert logging.getLogger("trafilatura").getEffectiveLevel() == logging.DEBUG
    setup_logging(0, stream=stream)


def test_json_lines_carry_the_event_fields() -> None:
    stream = io.StringIO()
    setup_logging(1, "json", stream=stream)
    logging.getLogger("scraper.test").info("fetch", extra={"url": "https://a.test/", "status": 200})
    setup_logging(0)
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert (line["event"], line["url"], line["status"], line["level"]) == ("fetch", "https://a.test/", 200, "info")
