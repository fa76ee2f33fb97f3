# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
# pyenv's python3.12 (the shim only answers when 3.12 is the selected version, so look in
# pyenv's versions folder directly), else a system python3.12.
PYTHON312 ?= $(shell for p in "$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)"/versions/3.12*/bin/python3.12 \
	$$(command -v python3.12 2>/dev/null); do "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' \
	2>/dev/null && { echo "$$p"; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run run-cli test lint bench bench-dashboard clean setup frontend chromium validation

setup: $(STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found: install it with 'pyenv install 3.12'"; exit 1; }
	@test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c requirements/constraints.txt -e ".[dev,dashboard,batch,ema]"
	@touch $(STAMP)

# Solara's front-end files served offline from the venv (idempotent, instant when done).
frontend: $(STAMP)
	@bash scripts/install_frontend.sh $(VENV)

# Debian chromium for the browser tests (apt-get only if /usr/bin/chromium is missing).
chromium:
	@bash scripts/install_chromium.sh

# The dashboard on http://127.0.0.1:8765/ (the default scenario, integrated_discharge).
run: frontend
	$(VENV)/bin/diplomacy-sim dashboard --host 127.0.0.1 --port 8765

# The default scenario headless, with a progress bar, written to runs/default.
run-cli: $(STAMP)
	$(VENV)/bin/diplomacy-sim run integrated_discharge --out runs/default

test: $(STAMP) frontend chromium
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) benchmarks/bench_core.py

bench-dashboard: frontend chromium
	$(PY) benchmarks/bench_dashboard.py

# The whole pattern-oriented validation in one command (docs/validation.md, "How to
# reproduce"): experiment files from the pre-registration, every sweep on 2 workers into a
# fresh $(VALIDATION_RUNS), the analysis, the figures, results.json and the page's tables.
VALIDATION_RUNS ?= runs/validation
validation: $(STAMP)
	rm -rf $(VALIDATION_RUNS)
	nice $(VENV)/bin/diplomacy-sim validate-patterns $(VALIDATION_RUNS) --run --workers 2 --docs docs --quiet

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
