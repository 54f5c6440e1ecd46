# cw-pophealth: `make help` lists the targets. Everything runs inside .venv, which the first
# target that needs it creates from pyproject.toml (so a fresh clone needs only `make reports`).
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON_BOOT ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
REPORTS_CONFIG ?= config/reports.yaml
JOBS ?= 2
# Processes for the unit tests (pytest-xdist): auto is one per core; 0 runs them in this one.
TEST_JOBS ?= auto
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

.PHONY: env
env: $(STAMP) ## Create .venv and install cw-pophealth with its dev tools

# The processed table is rebuilt only when it is not the one `build` made from the extracts and
# the code as they are now. `build --if-stale` checks by content (the table's stamp records the
# sha256 of every input file, of the code and of the table itself), not by file times, so a
# damaged or replaced table is rebuilt even when it is newer than its inputs.
.PHONY: data
data: $(STAMP) ## Build data/processed/indicators.parquet from the offline snapshot (no network)
	$(PY) -m cw_pophealth.cli build --if-stale

.PHONY: pull
pull: $(STAMP) ## Pull the core indicators from the live Fingertips API into data/raw (needs network)
	$(PY) -m cw_pophealth.cli pull

.PHONY: reports
reports: data ## Run every notebook through papermill into reports/ (skips unchanged ones)
	$(PY) -m cw_pophealth.cli reports --config $(REPORTS_CONFIG) --jobs $(JOBS)

.PHONY: test
test: $(STAMP) ## Run the unit tests, then validate the notebooks with nbval
	$(PY) -m pytest -n $(TEST_JOBS)
	$(PY) -m pytest --nbval-lax --nbval-current-env notebooks/

.PHONY: bench
bench: $(STAMP) ## Run the benchmarks in benchmarks/ and print their figures
	$(PY) benchmarks/run_benchmarks.py

.PHONY: lint
lint: $(STAMP) ## Lint the package, tests, benchmarks and notebooks (ruff) and type-check (mypy)
	$(PY) -m ruff check src tests benchmarks notebooks
	$(PY) -m mypy

LAB_STAMP := $(VENV)/.lab-stamp

$(LAB_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,lab]'
	@touch $(LAB_STAMP)

.PHONY: lab
lab: $(LAB_STAMP) ## Install JupyterLab (the [lab] extra) and open it on the notebooks
	$(VENV)/bin/jupyter lab notebooks/

.PHONY: clean
clean: ## Remove build products (data/processed, reports) but keep the raw cache
	rm -rf data/processed/*.parquet data/processed/cache data/processed/.indicators.parquet.inputs.json \
		reports/*/ reports/index.html reports/.state reports/.staging \
		reports/.failed reports/.trash
