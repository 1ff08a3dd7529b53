# Two set-up commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench notebooks install clean lint

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml setup.py solvency/tree/_mst.c
	$(PY) -m pip install --quiet -e '.[prover,dev,notebooks]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/solvency demo --out demo-out

test: lint $(STAMP)
	$(PY) -m pytest -q -m "not slow" -p no:cacheprovider

# The guards of the structure: import contracts (no circle, no arrow back up), ruff, mypy
# (strict on verifier/). Configuration in pyproject.toml.
lint: $(STAMP)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m benchmarks

notebooks: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $(JUPYTER_ARGS)

clean:
	rm -rf $(VENV) demo-out build *.egg-info
