# runwatch — the two commands a newcomer needs:
#   make up     set up everything, then run the dashboard on the embedded ClickHouse with demo runs
#   make test   set up everything, then run every test (what CI runs)
# Both are safe to run again: each step redoes only what changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NPM_STAMP := frontend/node_modules/.installed
NODE_CHECK_STAMP := tests/node/node_modules/.installed
COMPAT_VENV := .venv-compat
COMPAT_STAMP := $(COMPAT_VENV)/.installed
DIST := frontend/dist/index.html
PORT ?= 8000
CH_PORT ?= 8123

.PHONY: up test setup python frontend node-check browser lint typecheck test-python test-frontend test-compat bench wheel clean

up: setup
	$(BIN)/runwatch up --demo --port $(PORT) --ch-port $(CH_PORT)

test: setup browser lint
	$(BIN)/pytest
	cd frontend && npm test

setup: python frontend node-check

python: $(PY_STAMP)
$(PY_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "runwatch needs Python >= 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

frontend: $(DIST)
$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@
$(DIST): $(NPM_STAMP) $(shell find frontend/src frontend/index.html frontend/vite.config.* -type f 2>/dev/null)
	cd frontend && npm run build

# The official Node client, checked against the embedded server (tests/embedded/test_node_client.py).
node-check: $(NODE_CHECK_STAMP)
$(NODE_CHECK_STAMP): tests/node/package.json tests/node/package-lock.json
	cd tests/node && npm ci --no-audit --no-fund
	touch $@

# clickhouse-connect's own integration suite against the embedded server. The suite is not
# shipped anywhere a package manager reaches (its sdists carry no tests): clone
# clickhouse-connect at the tag of the installed client and point RUNWATCH_CHC_TESTS at its
# tests/ (README, "Compatibility"). Runs in its own venv with the suite's test dependencies.
test-compat: python
	@test -n "$(RUNWATCH_CHC_TESTS)" || { echo "set RUNWATCH_CHC_TESTS=/path/to/clickhouse-connect/tests (see README)"; exit 2; }
	@test -x $(COMPAT_VENV)/bin/python || $(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/python -m pip install --quiet \
	  "clickhouse-connect==$$($(BIN)/python -c 'import clickhouse_connect; print(clickhouse_connect.__version__)')" \
	  -r tests/compat/requirements.txt
	$(BIN)/python tests/compat/run_clickhouse_connect.py --suite "$(RUNWATCH_CHC_TESTS)"

# Browser tests drive Debian's chromium through playwright (no browser download at test time).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

lint: $(PY_STAMP)
	$(BIN)/ruff check agent backend tests hatch_build.py
	$(BIN)/mypy
	cd frontend && npm run typecheck && npm run lint

test-python: setup browser
	$(BIN)/pytest

test-frontend: frontend
	cd frontend && npm test

bench: setup
	$(BIN)/python tests/benchmarks/bench_schema.py
	$(BIN)/python tests/benchmarks/bench_agent.py
	$(BIN)/python tests/benchmarks/bench_histograms.py
	$(BIN)/python tests/benchmarks/bench_backend.py
	$(BIN)/python tests/benchmarks/bench_browser.py
	$(BIN)/python tests/benchmarks/bench_ingest.py
	$(BIN)/python tests/benchmarks/bench_alerts.py
	$(BIN)/python tests/benchmarks/bench_sql.py
	$(BIN)/python tests/benchmarks/bench_compare.py
	$(BIN)/python tests/benchmarks/bench_run_bar.py
	$(BIN)/python tests/benchmarks/bench_embedded_requests.py

# The product: a wheel with the built page and sql/ inside (hatch_build.py), in dist/.
wheel: $(PY_STAMP) frontend
	$(BIN)/python -m pip wheel --no-deps --quiet -w dist .
	@ls dist/runwatch-*.whl

clean:
	rm -rf $(VENV) $(COMPAT_VENV) tests/node/node_modules frontend/node_modules frontend/dist .runwatch test-artifacts
