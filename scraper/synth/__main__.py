"""python -m scraper.synth: the paywall verdict on synthetic variants (see report.py)."""

import sys

from scraper.synth.report import main

sys.exit(main())
