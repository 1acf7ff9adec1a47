# The two commands: `make run` serves the demo, `make test` runs every check CI runs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Local commands default to DEBUG=1 (a development key, SQLite, in-process tasks);
# production sets DEBUG=0 and real values through the environment.
MANAGE := DEBUG=$${DEBUG:-1} $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint worker beat clean prereqs

prereqs:
	@scripts/check-prereqs

# A fresh environment whenever the pins change, so a package dropped from the
# requirements cannot linger here and hide a missing pin.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: prereqs $(VENV)/.installed

run: install
	$(MANAGE) migrate --noinput
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(MANAGE) seed_demo
	$(MANAGE) runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install lint
	@scripts/ensure-chromium
	$(MANAGE) makemigrations --check --dry-run
	$(PY) -m pytest

worker: install
	$(VENV)/bin/celery -A handover worker --loglevel=INFO --queues=celery,reports \
		--max-tasks-per-child=50 --max-memory-per-child=600000

beat: install
	$(VENV)/bin/celery -A handover beat --loglevel=INFO --schedule=.celerybeat-schedule

clean:
	rm -rf $(VENV) .pytest_cache media db.sqlite3 .test-db.sqlite3 test-artifacts \
		.celerybeat-schedule*
