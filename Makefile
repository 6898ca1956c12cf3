# The two commands of the quick start: `make serve` and `make test`.
# Each creates .venv with pinned dependencies on first use; only Python 3.11+ is needed.
# `make serve` installs what the service needs; `make test` adds the development tools.

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
# When each install was last made. The development install includes the runtime one, so it
# renews both stamps: `make serve` after `make test` installs nothing.
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev

.PHONY: serve test lint bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "bastion needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(RUNTIME): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install -c constraints.txt -e .
	@touch $@

$(DEV): pyproject.toml constraints.txt tests/plugins/bastion-dhash/pyproject.toml | $(BIN)/python
	$(PIP) install -c constraints.txt -e '.[dev]' -e tests/plugins/bastion-dhash
	@touch $@ $(RUNTIME)

## Run the HTTP service on http://$(HOST):$(PORT) (first run: prints an admin API key, seeds a
## demo bank). Another port or address: make serve PORT=8001 HOST=0.0.0.0
serve: $(RUNTIME)
	$(BIN)/bastion serve --host '$(HOST)' --port '$(PORT)'

## Lint, type-check, check the import layers and run the whole test suite (PostgreSQL too when BASTION_TEST_POSTGRES_URL is set).
test: lint
	$(BIN)/python -m pytest

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo --no-cache

## Benchmarks (need the bench extra: pdqhash compiles with a C++ compiler).
bench: $(DEV)
	$(PIP) install -c constraints.txt -e '.[dev,bench]'
	$(PIP) install -c constraints.txt --no-deps 'perception>=0.9' 'openmined.psi>=2.0.6'
	$(BIN)/python benchmarks/hashing.py
	$(BIN)/python benchmarks/import_csv.py
