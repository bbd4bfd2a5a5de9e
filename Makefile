# The two set-up commands are `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-history demo-backfill test test-fast lint mutate bench samples clean help

# The tests start many Python processes (two workers, CLI runs, kernels): let them share
# compiled bytecode and pytest's rewritten test modules, even where the shell turns that off.
unexport PYTHONDONTWRITEBYTECODE

help:
	@echo "make demo    create $(VENV), install pipereview, run the weekly job on data/samples/"
	@echo "make demo-history  the same on a two-year sample with seasons and planted cases"
	@echo "make demo-backfill  the first review on day one: a quarter rebuilt from change histories"
	@echo "make test    install what the tests need and run the whole suite"
	@echo "make test-fast  the suite without slow tests (kernels, batches, browser, notebooks)"
	@echo "make lint    ruff (checks and format) and mypy (strict on src/)"
	@echo "make mutate  mutation testing of the core, continuing where the last run stopped (SAMPLE=400: a random sample)"
	@echo "             (AREA=ingest|history|diagnostics|coaching or MODULE=ingest._builder: judge that part again)"
	@echo "make bench   run the benchmarks in bench/"
	@echo "make samples regenerate data/samples/ from the default seed"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pipereview needs Python 3.11 or newer; run make PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

demo: $(STAMP)
	$(BIN)/pipereview demo --samples data/samples --out demo-output

# the two-year sample (seasons, year over year, planted cases; not committed: written
# into demo-history/samples) and the weekly job on it
demo-history: $(STAMP)
	$(BIN)/pipereview demo --years 2 --out demo-history

# the first review on day one: the last week's exports stored, the quarter before rebuilt
# from each team's change history (written into demo-backfill/samples/history)
demo-backfill: $(STAMP)
	$(BIN)/pipereview demo --backfill --out demo-backfill

# a CJK font for the browser tests only (Chromium reads it through its own fontconfig
# file, tests/conftest.py): Chinese pages are checked with real glyphs, while the rest of
# the machine, and what the package renders, keeps the fonts it has
CJK_FONTS := .cache/cjk-fonts
$(CJK_FONTS):
	@mkdir -p .cache/deb && cd .cache/deb && (apt-get download fonts-noto-cjk >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get download fonts-noto-cjk >/dev/null 2>&1)) \
		&& dpkg -x fonts-noto-cjk_*.deb ../../$(CJK_FONTS) && rm -f fonts-noto-cjk_*.deb \
		|| echo "fonts-noto-cjk could not be fetched: Chinese pages are checked without CJK glyphs"

test: $(STAMP) $(CJK_FONTS)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "chromium could not be installed: the browser tests will be skipped"
	$(BIN)/python -m pytest -m "not serial" -n 2 --dist worksteal -q
	$(BIN)/python -m pytest -m serial

# the quick loop while working: everything but the tests marked slow (see tests/conftest.py)
test-fast: $(STAMP)
	PIPEREVIEW_TEST_FAST=1 $(BIN)/python -m pytest tests -m "not slow" -n 2 --dist worksteal -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# mutation testing of the core (docs/testing.md); incremental: a second run tests only the
# functions changed since, and AREA=ingest|history|diagnostics|coaching runs one area
# SAMPLE=400 judges 400 mutants drawn at random instead, and prints the score with its margin;
# every mutant stopped at mutmut's time limit is judged again without a clock before the score
mutate: $(STAMP)
ifdef SAMPLE
	$(BIN)/python tests/mutation_sample.py --size $(SAMPLE) $(if $(SEED),--seed $(SEED))
	$(BIN)/python tests/mutation_rejudge.py --sample mutants/sample.txt
	$(BIN)/python tests/mutation_report.py --sample mutants/sample.txt
else
	rm -f mutants/rejudged.txt
	$(BIN)/mutmut run --max-children 2 $(if $(AREA),"pipereview.$(AREA).*") $(if $(MODULE),"pipereview.$(MODULE).*")
	$(BIN)/python tests/mutation_rejudge.py
	$(BIN)/python tests/mutation_report.py
endif

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/backfill.py
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/diagnostics.py
	$(BIN)/python bench/forecast.py
	$(BIN)/python bench/batch.py --cold
	$(BIN)/python bench/profile_review.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/dashboard_capacity.py
	$(BIN)/python bench/dashboard_prepare.py
	$(BIN)/python bench/scale.py

samples: $(STAMP)
	$(BIN)/pipereview sample --out data/samples --seed 2026

clean:
	rm -rf $(VENV) demo-output demo-history pipereview-data mutants .pytest_cache .mypy_cache .ruff_cache
