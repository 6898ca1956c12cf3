# The two commands of the quick start: `make serve` and `make test`.
# Each creates .venv with pinned dependencies on first use; only Python 3.11+ is needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint bench

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "bastion needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

## Run the HTTP service on 127.0.0.1:8000 (first run: prints an admin API key, seeds a demo bank).
serve: $(STAMP)
	$(BIN)/bastion serve

## Lint, type-check and run the whole test suite (PostgreSQL too when BASTION_TEST_POSTGRES_URL is set).
test: lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Benchmarks (need the bench extra: pdqhash compiles with a C++ compiler).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python benchmarks/hashing.py
	$(BIN)/python benchmarks/import_csv.py
