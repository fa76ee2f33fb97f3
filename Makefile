# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON312 ?= $(shell command -v python3.12 2>/dev/null || echo $(HOME)/.pyenv/shims/python3.12)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean setup

setup: $(STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c requirements/constraints.txt -e ".[dev,dashboard,batch]"
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/diplomacy-sim run integrated_discharge --out runs/default

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) benchmarks/bench_core.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
