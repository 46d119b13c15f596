# Two commands set everything up on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k amount"`.
PYTEST_ARGS ?=

.PHONY: run serve chat test test-fast lint format bench clean browser postgres haproxy

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -e '.[test]'
	touch $@

## Start the one server (the web chat at /, /healthz, staff web, Telegram as configured) and
## print its URLs: with no configuration, open the web chat's URL in a browser. Without
## STAFF_WEB_TOKEN, on loopback, the staff web opens through a one-time link printed here.
run: $(VENV)/.installed
	$(PY) -m bot

## The same server (for a service manager).
serve: $(VENV)/.installed
	$(PY) -m bot serve

## Console chat only.
chat: $(VENV)/.installed
	$(PY) -m bot chat

# The browser tests drive Debian's Chromium (with CJK fonts so Korean renders).
# As root (CI) it is installed when missing; elsewhere those tests say so and skip.
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium and fonts-noto-cjk for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# The PostgreSQL store's tests start a throw-away server of their own (initdb in a temporary
# directory, on a free port, as a non-root user: tests/support/postgres_server.py) from
# Debian's postgresql package. As root (CI) it is installed when missing (its own cluster is
# not started); elsewhere those tests say so and skip, and under CI they fail.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null \
	  && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing postgresql for the PostgreSQL store's tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

# The two-instance test (tests/bot/test_two_instances.py) puts Debian's HAProxy in front of
# two bot processes; as root it is installed when missing (its own service is not started),
# elsewhere that test says so and skips, and under CI it fails.
haproxy:
	@if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ] \
	  && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing haproxy for the two-instance test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
	fi

## Lint, format check, type check (mypy, config in pyproject.toml) and the whole test suite.
test: $(VENV)/.installed-test browser postgres haproxy
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	@# pytest exits 5 when nothing is collected: a failure for the whole suite,
	@# but fine when PYTEST_ARGS deliberately selects nothing.
	$(PY) -m pytest $(PYTEST_ARGS) || { rc=$$?; \
	  if [ $$rc -eq 5 ] && [ -n "$(PYTEST_ARGS)" ]; then echo "no test selected by PYTEST_ARGS"; exit 0; fi; \
	  exit $$rc; }

# test-fast keeps its temporary data directories in memory when the machine has a tmpfs:
# each TinyDB data directory is a thousand directories and fsyncs, about 5x slower on disk
# (the hostile corpus does the same; `make test` keeps them on disk).
FAST_TMPDIR ?= $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm)

## Lint, format check and the tests not marked `slow` (no kill soak, crash test, hostile
## corpus, benchmarks or browser): under a minute, for between edits. `make test` runs all.
test-fast: $(VENV)/.installed-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(if $(FAST_TMPDIR),TMPDIR=$(FAST_TMPDIR) )$(PY) -m pytest -m "not slow" $(PYTEST_ARGS) || { rc=$$?; \
	  if [ $$rc -eq 5 ] && [ -n "$(PYTEST_ARGS)" ]; then echo "no test selected by PYTEST_ARGS"; exit 0; fi; \
	  exit $$rc; }

lint: $(VENV)/.installed-test
	$(PY) -m ruff check .

format: $(VENV)/.installed-test
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(VENV)/.installed
	$(PY) bench/flow.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
