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

# The processed table is a real file target: rebuilt only when the extracts or the code that reads
# them change, so a no-change `make reports` does no data work.
EXTRACTS ?= $(or $(CW_POPHEALTH_EXTRACTS),../shared/fingertips-extracts)
INDICATORS := data/processed/indicators.parquet
SNAPSHOT_SRC := $(wildcard src/cw_pophealth/snapshot/*.py) $(addprefix src/cw_pophealth/,schema.py \
	periods.py geography.py catalogue.py atomic.py fingertips/parse.py)
SNAPSHOT_INPUTS := $(wildcard $(EXTRACTS)/trafford_themes/*.csv $(EXTRACTS)/ons_els/*.csv \
	$(EXTRACTS)/ons_els/*.json $(EXTRACTS)/trafford_dashboard/*.csv \
	$(EXTRACTS)/trafford_dashboard_alcohol/*.csv $(EXTRACTS)/psychty_la_ph_walkthrough/*.json \
	$(EXTRACTS)/psychty_local_health/*.csv $(EXTRACTS)/psychty_gbd2017/*.json \
	$(EXTRACTS)/fphd_pholio_reference/*.csv)

$(INDICATORS): $(STAMP) $(SNAPSHOT_SRC) $(SNAPSHOT_INPUTS)
	$(PY) -m cw_pophealth.cli build

.PHONY: data
data: $(INDICATORS) ## Build data/processed/indicators.parquet from the offline snapshot (no network)

.PHONY: pull
pull: $(STAMP) ## Pull the core indicators from the live Fingertips API into data/raw (needs network)
	$(PY) -m cw_pophealth.cli pull

.PHONY: reports
reports: data ## Run every notebook through papermill into reports/ (skips unchanged ones)
	$(PY) -m cw_pophealth.cli reports --config $(REPORTS_CONFIG) --jobs $(JOBS)

.PHONY: test
test: $(STAMP) ## Run the unit tests, then validate the notebooks with nbval
	$(PY) -m pytest
	$(PY) -m pytest --nbval-lax --nbval-current-env notebooks/

.PHONY: bench
bench: $(STAMP) ## Run the benchmarks in benchmarks/ and print their figures
	$(PY) benchmarks/run_benchmarks.py

.PHONY: lint
lint: $(STAMP) ## Lint the package, tests, benchmarks and notebooks (ruff) and type-check (mypy)
	$(PY) -m ruff check src tests benchmarks notebooks
	$(PY) -m mypy

.PHONY: lab
lab: $(STAMP) ## Open JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab notebooks/

.PHONY: clean
clean: ## Remove build products (data/processed, reports) but keep the raw cache
	rm -rf data/processed/*.parquet data/processed/cache data/processed/.indicators.parquet.inputs.json \
		reports/*/ reports/index.html reports/.state reports/.staging \
		reports/.failed reports/.trash
