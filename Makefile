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

test: $(STAMP)
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -m "not slow" -p no:cacheprovider

bench: $(STAMP)
	$(PY) -m benchmarks

notebooks: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $(JUPYTER_ARGS)

clean:
	rm -rf $(VENV) demo-out build *.egg-info
