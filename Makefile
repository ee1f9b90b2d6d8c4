# Jemput Bola: the two commands are `make demo` and `make test`.
# Python 3.11 or newer: python3.11 when present, else python3 (checked below).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_DATE ?= $(shell date -d tomorrow +%F)

.PHONY: messages migration-reset demo test lint typecheck pytest serve install browser bench clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	  || { echo "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

# Debian's Chromium for the browser tests; Playwright drives it (it never downloads a browser).
browser:
	@if [ -x "$(CHROMIUM)" ]; then echo "chromium: $(CHROMIUM)"; else \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	  || { echo "ERROR: could not install chromium (apt-get install chromium); the browser tests need it." >&2; exit 1; }; \
	  [ -x "$(CHROMIUM)" ] || { echo "ERROR: $(CHROMIUM) missing after install" >&2; exit 1; }; \
	fi

demo: $(VENV)/.installed
	$(FLASK) outreach init-db
	$(FLASK) outreach region import kota-yogyakarta
	$(FLASK) outreach seed-demo
	$(FLASK) outreach plan --date $(DEMO_DATE) --days 5
	@echo "Open http://$(HOST):$(PORT)/  (coordinator: koordinator / jemputbola)"
	$(FLASK) run --host $(HOST) --port $(PORT)

serve: $(VENV)/.installed
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(VENV)/bin/mypy

pytest: $(VENV)/.installed-test browser
	$(PY) -m pytest

test: lint typecheck pytest

bench: $(VENV)/.installed-test
	$(PY) -m pip install -q -e '.[test,bench]'
	$(PY) bench/region_import.py
	$(PY) bench/matrix.py
	$(PY) bench/day_plan.py
	$(PY) bench/solomon.py

# Regenerate the single initial migration from models.py (allowed until the first release:
# no database outside development exists yet). Later schema changes get migrations of their own.
migration-reset: $(VENV)/.installed-test
	rm -f outreach/migrations/versions/0001_initial_schema.py /tmp/outreach-migration.db
	$(PY) -c "from alembic import command; from outreach.db import alembic_config; \
	command.revision(alembic_config('sqlite:////tmp/outreach-migration.db'), message='initial schema', autogenerate=True, rev_id='0001')"
	$(VENV)/bin/ruff format -q outreach/migrations/versions

# Collect the UI strings (Indonesian source text) into a catalogue template for translators.
messages: $(VENV)/.installed
	mkdir -p outreach/translations
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k lazy_gettext -o outreach/translations/messages.pot .

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
