# Two set-up commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WEB := web/verifier
WEB_STAMP := $(WEB)/node_modules/.installed

.PHONY: demo test bench notebooks install clean lint web browser

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml setup.py solvency/tree/_mst.c
	$(PY) -m pip install --quiet -e '.[prover,dev,notebooks]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/solvency demo --out demo-out

test: lint $(STAMP) $(WEB_STAMP) browser
	$(PY) -m pytest -q -m "not slow" -p no:cacheprovider

# The verifier page (web/verifier, issue 15): its locked JavaScript dependencies (npm ci from
# package-lock.json), and `make web` rebuilds web/verifier/dist/verify.html (commit the result;
# a test checks it equals a fresh build, and the README lists its SHA-256).

$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	@if command -v npm >/dev/null; then cd $(WEB) && npm ci --no-audit --no-fund && touch node_modules/.installed; \
	else echo "npm is missing: the verifier page's tests will say so"; fi

web: $(WEB_STAMP)
	cd $(WEB) && node build.mjs && sha256sum dist/verify.html

# The headless browser of the page's tests: Debian's chromium and chromium-driver, installed when
# missing and running as root (as CI does); otherwise the browser tests print why they skip.
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver; \
	  else echo "chromium or chromium-driver is missing (not root): the browser tests will skip"; fi; \
	fi

# The guards of the structure: import contracts (no circle, no arrow back up), ruff, mypy
# (strict on verifier/). Configuration in pyproject.toml.
lint: $(STAMP)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m benchmarks

# Jupyter refuses to start as root ("Running as root is not recommended") unless told: containers
# and CI often run as root, so pass --allow-root there.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

notebooks: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $(ALLOW_ROOT) $(JUPYTER_ARGS)

clean:
	rm -rf $(VENV) demo-out build *.egg-info $(WEB)/node_modules
