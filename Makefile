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

.PHONY: help install run test lint fmt bench assets clean

help:
	@echo "make run    start Tværs on http://127.0.0.1:8000 (SQLite, demo data, background worker)"
	@echo "make test   the whole suite on a throwaway PostgreSQL and Redis"
	@echo "make lint   ruff, ruff format --check, mypy, makemigrations --check"

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

# mypy's Django plugin and makemigrations load the settings: development mode, no database.
LINT_ENV := DEBUG=1 DATABASE_URL=sqlite://:memory:

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(LINT_ENV) $(BIN)/mypy .
	$(LINT_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-copy the front-end packages pinned in package-lock.json into static/vendor/ (committed).
assets:
	npm ci --ignore-scripts --no-audit --no-fund
	node scripts/vendor_assets.mjs

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
