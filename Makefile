# The two commands a new user runs:
#   make run    set up and run the shop at http://127.0.0.1:8000 (SQLite, demo data, staff login printed)
#   make test   set up and run the whole test suite (PostgreSQL and Redis on 127.0.0.1 by default)

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/shop
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
PYTEST_ARGS ?=
## Tests run in parallel, one pytest-xdist worker per core (each with its own PostgreSQL
## test database and Redis database: tests/xdist_services.py).
PYTEST_WORKERS ?= auto

.PHONY: run test test-sqlite install install-test translations browser gettext node promtool clients lint format migrate seed check-deploy bench bench-scale clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

## The translations (locale/*/LC_MESSAGES/*.po) compiled to the .mo files Django reads,
## with Babel (no GNU gettext needed); only what changed.
translations: $(VENV)/.installed
	@$(PY) -m core.translations

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations

## Installs Debian's package $(1) when the command $(2) is missing (needs root and apt-get);
## $(3) says what needs it.
define apt_install
	@if ! command -v $(2) >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's $(1) for $(3)"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1) >/dev/null \
			|| { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1) >/dev/null; }; \
		else \
			echo "$(3) need $(2): sudo apt-get install $(1)"; exit 1; \
		fi; \
	fi
endef

## The browser tests (tests/e2e) drive Debian's Chromium; Playwright's own browser download
## does not work on these machines.
CHROMIUM ?= /usr/bin/chromium
browser:
	$(call apt_install,chromium,$(CHROMIUM),the browser tests)

## The translation test runs makemessages, which needs GNU gettext's xgettext.
gettext:
	$(call apt_install,gettext,xgettext,the translation tests)

## The TypeScript generator and compiler (clients/package-lock.json), for `make clients` and
## the tests of the generated clients, with Debian's Node.js and npm.
clients/node_modules/.package-lock.json: clients/package-lock.json
	$(call apt_install,npm,npm,the TypeScript client)
	cd clients && npm ci --no-audit --no-fund --loglevel=error
node: clients/node_modules/.package-lock.json

## promtool, Prometheus's own checker, for the test of deploy/'s alert rules and dashboard:
## taken out of Debian's prometheus package into .tools/ without installing it (no server
## is set up or started).
PROMTOOL := .tools/promtool
$(PROMTOOL):
	@rm -rf .tools/prometheus-deb && mkdir -p .tools/prometheus-deb
	cd .tools/prometheus-deb && { apt-get download prometheus >/dev/null 2>&1 \
		|| { apt-get update -q >/dev/null && apt-get download prometheus >/dev/null 2>&1; }; } \
		&& dpkg-deb -x prometheus_*.deb .
	cp .tools/prometheus-deb/usr/bin/promtool $@ && rm -rf .tools/prometheus-deb
promtool: $(PROMTOOL)

## The API's clients from this checkout's schema (clients/generate.py): a Python client
## (openapi-python-client) and TypeScript types (openapi-typescript) in clients/generated/
## (git-ignored). Fails if a generator warns, a module does not import or `tsc --strict`
## finds an error.
clients: install-test node
	$(PY) -m clients.generate

## The quickstart: embedded defaults (SQLite, local media, console email, eager Celery,
## dummy payments), DEBUG on, demo data and a staff login printed.
## PAYMENTS_ALLOW_DUMMY lets the dummy provider take (pretend) payments: never in production.
QUICKSTART_ENV := DJANGO_DEBUG=true PAYMENTS_ALLOW_DUMMY=true
run: install
	$(QUICKSTART_ENV) $(PY) manage.py migrate --noinput
	$(QUICKSTART_ENV) $(PY) manage.py seed_demo
	$(QUICKSTART_ENV) $(PY) manage.py seed_promotions
	@# Orders with shopping patterns, counted into "frequently bought together".
	$(QUICKSTART_ENV) $(PY) manage.py seed_orders --patterns --orders 1000
	$(QUICKSTART_ENV) $(PY) manage.py update_recommendations --settle 0
	@echo "Serving the shop at http://$(HOST):$(PORT)/ and its live socket at ws://$(HOST):$(PORT)/ws/  (Ctrl+C to stop)"
	@# No Celery beat runs here: unpaid orders' reservations expire by this loop instead.
	@$(QUICKSTART_ENV) $(PY) manage.py expire_reservations --every 60 & loop=$$!; \
		trap 'kill $$loop 2>/dev/null' EXIT; \
		$(QUICKSTART_ENV) $(PY) -m uvicorn config.asgi:application --host $(HOST) --port $(PORT) --lifespan off

## The whole test suite with coverage, against PostgreSQL and Redis. DATABASE_URL and
## REDIS_URL from the environment win over the local defaults.
test: install-test browser gettext node promtool
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
		$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --cov --cov-report=term $(PYTEST_ARGS)

## The same suite on SQLite (the quickstart's database); PostgreSQL-only tests, the
## browser journeys, the schema fuzzing and the generated clients (all ran against
## PostgreSQL in `make test`; they test pages and the API contract, not the database) are
## left out.
test-sqlite: install-test gettext promtool
	DATABASE_URL="sqlite:///$(CURDIR)/.test-sqlite.db" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
		$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not postgresql and not e2e and not fuzz and not clients" -p no:cacheprovider $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: install
	DJANGO_DEBUG=true $(PY) manage.py migrate --noinput

## Demo data again (idempotent); e.g. `make seed SEED_ARGS="--products 100000"` for a
## large catalog (see `manage.py seed_demo --help`).
SEED_ARGS ?=
seed: install
	DJANGO_DEBUG=true $(PY) manage.py seed_demo $(SEED_ARGS)

## The benchmark (issue 10; bench/README.md): seeds or reuses a 100,000-product PostgreSQL
## database (BENCH_DATABASE_URL, default shop_bench), serves the shop with gunicorn and
## production settings, loads each endpoint with wrk (installed when missing) and prints
## the table; e.g. `make bench BENCH_ARGS="--reseed"` or BENCH_DURATION=3 for a trial.
BENCH_ARGS ?=
bench: install
	$(PY) -m bench.run $(BENCH_ARGS)

## The catalog's reads at 10,000, 100,000 and 1,000,000 products (BENCH_SCALES), each size
## in its own database; writes bench/scale.md (issue 23).
bench-scale: install
	$(PY) -m bench.scale $(BENCH_ARGS)

## What production must pass: `check --deploy` with production-like settings.
check-deploy: install
	DJANGO_DEBUG=false DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		DJANGO_ALLOWED_HOSTS=shop.example.com \
		STRIPE_SECRET_KEY=sk_live_check STRIPE_PUBLISHABLE_KEY=pk_live_check \
		STRIPE_WEBHOOK_SECRET=whsec_check \
		$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) .pytest_cache .coverage htmlcov staticfiles .test-sqlite.db clients/generated clients/node_modules .tools
