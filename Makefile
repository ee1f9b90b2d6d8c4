# Jemput Bola: the two commands are `make demo` and `make test`.
# Python 3.11 or newer: python3.11 when present, else python3 (checked below).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 5000
# The demo plans from today in the office's timezone (the planner skips Sundays and holidays)
# and approves the plan, so the team leads' field page and the route sheets have a day to show.
DEMO_DATE ?= $(shell TZ=Asia/Jakarta date +%F)

NODE_MODULES := node_modules

.PHONY: messages migration-reset demo test lint typecheck pytest pytest-postgresql serve install browser pdf-libs frontend services bench clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	  || { echo "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test,production]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed frontend pdf-libs

# Front-end packages the app serves itself (package.json / package-lock.json; never a CDN).
$(NODE_MODULES)/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "ERROR: npm is needed for the front-end packages (apt-get install npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend: $(NODE_MODULES)/.installed

# WeasyPrint (route-sheet PDFs) needs Pango from Debian; installed here, failing loudly.
pdf-libs: $(VENV)/.installed
	@if $(PY) -c 'import weasyprint' >/dev/null 2>&1; then echo "weasyprint: system libraries present"; else \
	  echo "Installing Pango for WeasyPrint..."; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
	  || { echo "ERROR: could not install WeasyPrint's system libraries (libpango-1.0-0 libpangoft2-1.0-0); route-sheet PDFs need them." >&2; exit 1; }; \
	  $(PY) -c 'import weasyprint' || { echo "ERROR: weasyprint still does not import" >&2; exit 1; }; \
	fi

# Debian's Chromium for the browser tests; Playwright drives it (it never downloads a browser).
browser:
	@if [ -x "$(CHROMIUM)" ]; then echo "chromium: $(CHROMIUM)"; else \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	  || { echo "ERROR: could not install chromium (apt-get install chromium); the browser tests need it." >&2; exit 1; }; \
	  [ -x "$(CHROMIUM)" ] || { echo "ERROR: $(CHROMIUM) missing after install" >&2; exit 1; }; \
	fi

demo: install
	$(FLASK) outreach init-db
	$(FLASK) outreach region import kota-yogyakarta
	$(FLASK) outreach seed-demo
	$(FLASK) outreach programme import-demo
	$(FLASK) outreach coverage import-demo
	$(FLASK) outreach coverage sweeps --top 5
	$(FLASK) outreach plan --date $(DEMO_DATE) --days 5 --approve
	@echo "Open http://$(HOST):$(PORT)/  (password jemputbola for: admin, koordinator, kepala (head of office), ketua.tim1 and ketua.tim2 (team leads))"
	$(FLASK) run --host $(HOST) --port $(PORT)

serve: install
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(VENV)/bin/mypy

# Servers the tests start themselves (throwaway instances): Debian's redis-server (shared rate
# limits, background jobs). Installed here when missing, failing loudly.
services:
	@if command -v redis-server >/dev/null; then echo "redis-server: $$(command -v redis-server)"; else \
	  echo "Installing Debian's redis-server for the tests..."; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server \
	  || { echo "ERROR: could not install redis-server (apt-get install redis-server); the tests need it." >&2; exit 1; }; \
	fi

pytest: $(VENV)/.installed-test browser frontend pdf-libs services
	$(PY) -m pytest

# The same suite on a throwaway PostgreSQL cluster (tests/pg_cluster.py: unix socket in a
# temporary folder, removed afterwards, also on failure; Debian's postgresql is installed when
# initdb/pg_ctl are missing). The whole suite, Chromium tests included; `make test` runs this
# beside the SQLite half, which keeps it well under 20 minutes on 2 cores.
# PG_PYTEST_ARGS='-m "not browser"' leaves the Chromium tests out.
PG_PYTEST_ARGS ?=
pytest-postgresql: $(VENV)/.installed-test browser frontend pdf-libs services
	$(PY) -m tests.pg_cluster -- $(PY) -m pytest $(PG_PYTEST_ARGS)

# The SQLite and PostgreSQL halves run side by side (one core each; their output is kept apart
# by --output-sync): the whole `make test` stays well under 20 minutes on 2 cores.
test: $(VENV)/.installed-test browser frontend pdf-libs services
	$(MAKE) --no-print-directory lint typecheck
	$(MAKE) --no-print-directory -j2 --output-sync=target pytest pytest-postgresql

bench: $(VENV)/.installed-test browser frontend pdf-libs
	$(PY) -m pip install -q -e '.[test,bench]'
	$(PY) bench/region_import.py
	$(PY) bench/matrix.py
	$(PY) bench/day_plan.py
	$(PY) bench/solomon.py
	$(PY) bench/sheets.py
	$(PY) bench/field_page.py

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
	rm -rf $(VENV) $(NODE_MODULES) data .pytest_cache .mypy_cache .ruff_cache
