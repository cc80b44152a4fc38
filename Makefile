# Set-up is part of every target: .venv is created, and the project installed into it,
# when it is missing or when pyproject.toml changed. Only Python 3.11+ is needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_WORKERS ?= 2
# DuckDB 1.4 (the LTS line) in a directory of its own, never in .venv: the test that checks it
# opens the archive (tests/archive/test_compat.py) runs it in a subprocess.
DUCKDB_LTS := .cache/duckdb-1.4

.PHONY: help demo test faults eval bench clean train-paywall

help:
	@echo "make demo    archive the built-in offline fixture web into archive/demo.duckdb"
	@echo "make test    run the test suite (creates .venv first)"
	@echo "make faults  run the fault-injection table"
	@echo "make eval    evaluate extraction and paywall verdicts on ../shared/corpora, then on synthetic paywall variants"
	@echo "make train-paywall  refit the paywall model's weights (scraper/paywall/weights.json)"
	@echo "make bench   run the benchmark suite"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m scraper.demo --db archive/demo.duckdb

$(DUCKDB_LTS)/.installed: $(STAMP)
	@$(BIN)/python -m pip install --quiet --target $(DUCKDB_LTS) 'duckdb==1.4.*' 2>/dev/null \
		&& touch $@ || echo "note: duckdb 1.4 could not be installed; its compatibility test will be skipped"

test: $(STAMP) $(DUCKDB_LTS)/.installed
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  echo "note: chromium/chromedriver not installed: the browser tests (tests/web/test_browser.py) will be SKIPPED; apt-get install chromium chromium-driver"
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile

faults: $(STAMP)
	$(BIN)/python -m scraper.faults

eval: $(STAMP)
	$(BIN)/python -m scraper.evaluate
	$(BIN)/python -m scraper.synth
	$(BIN)/python -m scraper.paywall.train --check

train-paywall: $(STAMP)
	$(BIN)/python -m scraper.paywall.train

bench: $(STAMP)
	$(BIN)/python -m scraper.bench

clean:
	rm -rf $(VENV) .cache build *.egg-info .pytest_cache archive/demo.duckdb archive/demo.search
