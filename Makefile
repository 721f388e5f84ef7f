# The commands the README names. Everything a fresh machine needs is installed from here.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

# Development settings for `make run`: SQLite under var/, Celery on kombu's filesystem transport.
RUN_ENV := DEBUG=1 CELERY_BROKER_URL=filesystem:// EMAIL_URL=filemail:///$(CURDIR)/var/mail

.PHONY: help install run test lint security fmt bench drills prod-smoke assets messages clean

help:
	@echo "make run    start Tværs on http://127.0.0.1:8000 (SQLite, demo data, background worker)"
	@echo "make test   the whole suite on a throwaway PostgreSQL and Redis"
	@echo "make lint   ruff, ruff format --check, mypy, makemigrations --check"
	@echo "make security  bandit, check --deploy, pip-audit, schemathesis on a live server"
	@echo "make messages  refresh the English catalogue (locale/en) and compile the .mo files"
	@echo "make drills fault drills on real processes: Redis, a worker, PostgreSQL, the audit write (~3 min)"
	@echo "make bench  the load benchmark at national scale (S=0.1 by default, ~10 min): bench/results.md"
	@echo "make prod-smoke  the production configuration as local processes, checked over HTTP (~3 min)"

install: $(VENV)/.installed

# uv installs exactly what uv.lock pins (hashes included); --inexact keeps uv itself in the venv.
$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv sync --frozen --inexact --python $(BIN)/python
	touch $@

run: install
	mkdir -p var/mail var/celery/queue var/celery/processed var/celery/control
	$(RUN_ENV) $(BIN)/python manage.py migrate --no-input
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	$(RUN_ENV) $(BIN)/python manage.py collectstatic --no-input -v 0
	@# Worker with embedded beat (one process, --pool=solo) beside the web server; both stop together.
	trap 'kill 0' EXIT INT TERM; \
	$(RUN_ENV) $(BIN)/celery -A config worker -B --pool=solo --loglevel=INFO \
		--schedule=var/celerybeat-schedule & \
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/python scripts/with_services.py -- $(BIN)/pytest $(PYTEST_ARGS)

# Fault drills (tests/drills, collected only with TVAERS_DRILLS=1): Redis killed, a worker
# SIGKILLed mid-sweep, PostgreSQL restarted under load, the audit write failing; against real
# gunicorn and Celery processes. -s shows what each drill did and checked as it goes.
drills: install
	TVAERS_DRILLS=1 $(BIN)/python scripts/with_services.py -- \
		$(BIN)/pytest tests/drills -s -rA -p no:cacheprovider $(DRILLS_ARGS)

# The production configuration as local processes (scripts/prod_smoke.py): the README's
# production steps, then exactly what docker-compose.yml and the Dockerfile run, checked over
# HTTP as the TLS proxy forwards it. One line per check; the first failure names what broke.
prod-smoke: install
	$(BIN)/python scripts/with_services.py -- $(BIN)/python scripts/prod_smoke.py

# mypy's Django plugin and makemigrations load the settings: development mode, no database.
LINT_ENV := DEBUG=1 DATABASE_URL=sqlite://:memory:

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(LINT_ENV) $(BIN)/mypy .
	$(LINT_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

# Production settings for `check --deploy`, as the web process gets them: fresh keys from
# config.keys (the audit signing key only as its public half: only beat signs), DEBUG off,
# placeholder hosts (the deployment checks read settings; nothing is contacted).
SECURITY_PROD_ENV := DEBUG=0 ALLOWED_HOSTS=tvaers.example.org \
	DATABASE_URL=postgres://tvaers@db.example.org:5432/tvaers \
	REDIS_URL=redis://redis.example.org:6379/0 EMAIL_URL=smtp+tls://mailer@smtp.example.org:587
# pip-audit asks PyPI's JSON API per release; one well-known release tells whether it answers.
PIP_AUDIT_PROBE := https://pypi.org/pypi/pip/24.0/json

security: install
	$(BIN)/bandit -c pyproject.toml -r . -q
	keys="$$($(BIN)/python -W ignore -m config.keys)"; \
	env $$(echo "$$keys" | grep -v '^AUDIT_SIGNING_KEY=') \
		$(SECURITY_PROD_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING
	@if $(BIN)/python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=20)' \
			$(PIP_AUDIT_PROBE) 2>/dev/null; then \
		$(BIN)/uv export --frozen --all-groups --no-emit-project --quiet \
			| $(BIN)/pip-audit --strict --require-hashes --disable-pip --progress-spinner off -r /dev/stdin; \
	else \
		echo "pip-audit: vulnerability database unreachable — NOT CHECKED"; \
		if [ "$${SECURITY_ALLOW_OFFLINE_AUDIT:-0}" != 1 ]; then \
			echo "pip-audit: failing; SECURITY_ALLOW_OFFLINE_AUDIT=1 accepts an unchecked audit"; \
			exit 1; \
		fi; \
	fi
	$(BIN)/python scripts/with_services.py -- $(BIN)/python scripts/security_api_fuzz.py

# The load harness (bench/run.py) on its own throwaway PostgreSQL and Redis: seeds a national
# dataset, serves it with production settings and measures it with wrk; writes bench/results.md
# and .json. The full run: make bench BENCH_ARGS="--scales 0.1,1.0 --sustained 600".
bench: install
	$(BIN)/python scripts/with_services.py -- $(BIN)/python bench/run.py $(BENCH_ARGS)

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh locale/en/LC_MESSAGES/django.po from the Danish source strings (translate what comes
# out empty or fuzzy; tests/core/test_i18n.py fails until then) and compile every catalogue.
# The .mo files are committed, so install needs no gettext; this target does (apt: gettext).
MESSAGES_IGNORE := --ignore=.venv --ignore=node_modules --ignore=var --ignore=tests --ignore=locale

messages: install
	$(LINT_ENV) $(BIN)/python manage.py makemessages -l en --add-location=file --no-obsolete $(MESSAGES_IGNORE)
	$(LINT_ENV) $(BIN)/python manage.py compilemessages $(MESSAGES_IGNORE)

# Re-copy the front-end packages pinned in package-lock.json into static/vendor/ (committed).
assets:
	npm ci --ignore-scripts --no-audit --no-fund
	node scripts/vendor_assets.mjs

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
