# ivrkit: every target makes its own virtual environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Exact versions (with hashes) of every dependency, dev tools included, resolved from PyPI alone;
# pyproject.toml keeps the ranges that `pip install ivrkit` uses. Regenerate with `make lock`.
LOCK := requirements.lock
LOCK_FLAGS ?=
# The installer (uv, pinned with its hashes): it installs the lock in seconds where pip takes half
# a minute, so a fresh clone's `make test` spends its time on the tests. Unlike pip, uv writes no
# bytecode unless asked (--compile-bytecode): without it, where PYTHONDONTWRITEBYTECODE is set (CI
# containers often set it) every process the tests start compiles its dependencies again.
INSTALLER_LOCK := requirements-installer.lock
UV := $(BIN)/uv

.PHONY: demo test check lint typecheck unit fast bench lock dist clean

$(STAMP): pyproject.toml $(LOCK) $(INSTALLER_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(INSTALLER_LOCK)
	$(UV) pip install --quiet --no-config --compile-bytecode --python $(BIN)/python \
		--require-hashes -r $(LOCK)
	$(UV) pip install --quiet --no-config --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# `make lock` keeps today's pins where the ranges allow; `make lock LOCK_FLAGS=--upgrade` takes the
# newest releases. uv ignores pip's configuration, so no local index or wheel folder leaks in.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(BIN)/pip install --quiet 'uv>=0.5'
	$(UV) pip compile pyproject.toml --extra dev --extra bench --universal --python-version 3.11 \
		--generate-hashes --no-config --default-index https://pypi.org/simple \
		--custom-compile-command "make lock" --quiet $(LOCK_FLAGS) -o $(LOCK)
	echo "uv==$$($(UV) --version | cut -d' ' -f2)" | $(UV) pip compile - --universal \
		--python-version 3.11 --generate-hashes --no-config \
		--default-index https://pypi.org/simple --custom-compile-command "make lock" --quiet \
		-o $(INSTALLER_LOCK)

# The demo's calls are kept in the store `ivrkit serve` and `ivrkit dashboard` read by default, so
# the dashboard shows them afterwards (`make demo DEMO_DB=` runs on a throwaway store).
DEMO_DB ?= sqlite:///ivrkit.db

demo: $(STAMP)
	$(BIN)/ivrkit demo $(if $(DEMO_DB),--db $(DEMO_DB))

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Tests run in parallel (pytest-xdist, one worker more than the machine has cores: many tests
# wait on servers, sockets, PostgreSQL or the browser, and the extra worker fills those waits;
# PYTEST_WORKERS=0 runs them in this process). Tests that share a session resource say so with
# xdist_group (--dist loadgroup).
PYTEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print((os.cpu_count() or 1) + 1)")
PYTEST := $(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup
# The fast loop: no real servers, processes, browser, PostgreSQL or deliberately slow tests.
FAST := not e2e and not browser and not postgres and not slow

unit: $(STAMP)
	$(PYTEST)

fast: $(STAMP)
	$(PYTEST) -m "$(FAST)"

# Everything: set IVRKIT_TEST_POSTGRES_URL to include PostgreSQL. Lint and types run beside the
# tests (their output may land between the tests' dots): while tests wait on servers, sockets and
# the browser a core is idle, and mypy fills it. Any of the three failing fails `make test`.
test: $(STAMP)
	$(MAKE) --no-print-directory -j3 lint typecheck unit

# Lint, types and the unit tests, side by side as in `make test`: under a minute.
check: $(STAMP)
	$(MAKE) --no-print-directory -j3 lint typecheck fast

# `make bench` runs every section; `make bench ONLY="webhooks calls"` some of them; `QUICK=1` short
# runs that do not touch docs/benchmarks.md. PostgreSQL rows need IVRKIT_BENCH_POSTGRES_URL.
ONLY ?=
QUICK ?=
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || apt-get install -y wrk >/dev/null 2>&1 || \
		(apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1) || \
		echo "wrk is not installed (apt-get install wrk); the webhook benchmark falls back to the Python load generator"
	$(BIN)/python bench/run.py $(ONLY) $(if $(QUICK),--quick)

# A wheel and an sdist in dist/, built by the backend pyproject.toml names (setuptools, fetched by
# `build` into an isolated environment): `pip install dist/ivrkit-*.whl` installs ivrkit anywhere
# (docs/install.md). Its own small environment, so packaging never needs the dev tools. The
# egg-info setuptools leaves in src/ goes: on the path of the editable install, its metadata
# (no record of where ivrkit came from) would stand in front of the installed one.
DIST_VENV := build/dist-venv

dist:
	rm -rf dist
	test -x $(DIST_VENV)/bin/python || $(PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/pip install --quiet 'build>=1.2'
	$(DIST_VENV)/bin/python -m build --outdir dist .
	rm -rf src/ivrkit.egg-info

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info
