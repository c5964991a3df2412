# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv when it is
# missing and install the pinned dependencies; a second run only checks a stamp file.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.driftline-installed
PYTEST_WORKERS ?= 2

.PHONY: demo test bench bench-quality lint typecheck system-deps screenshots clean help

help:
	@echo "make demo   - driftline demo: serve a loan model, drift it, retrain it in four stages"
	@echo "make test   - lint, type-check and run the whole test suite (what CI runs)"
	@echo "make bench  - benchmarks against the peers (see bench/README.md)"
	@echo "make screenshots - screenshots of the dashboards into docs/img/"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"

$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/driftline demo --out demo-output

system-deps:
	bash scripts/install-system-deps.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

typecheck: lint

test: $(STAMP) system-deps
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(PY) ../shared/tools/layers.py src/driftline || [ ! -f ../shared/tools/layers.py ]
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -q

# Screenshots of every dashboard page (docs/img/ui-*.png), from a simulated day of history.
screenshots: $(STAMP) system-deps
	$(PY) scripts/screenshots.py --out docs/img

bench: $(STAMP)
	$(PY) bench/run.py

bench-quality: $(STAMP)
	$(PY) bench/quality/grid.py

clean:
	rm -rf $(VENV) demo-output
