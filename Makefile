# The two commands (see README): `make run` and `make test`. Both set everything up first;
# running either again is quick and changes nothing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Reinstall only when the declared dependencies or their lock change.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
LOCK_VENV := var/lock-venv
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: run test setup install lock lint messages worker beat bench

run: setup
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

setup: install
	@mkdir -p var/mail var/staticfiles
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py load_campaign
	@# Sample companies in the tracker, marked as such, on the embedded default only (removed
	@# for good by `manage.py load_tracker_samples --remove`).
	@if [ -z "$$DATABASE_URL" ]; then $(BIN)/python manage.py load_tracker_samples --first-run; fi

install: $(STAMP)

# Exactly the locked versions, each checked against its hash (see README, "Security"); then
# the project itself, whose dependencies are all in the lock. pip check fails when pyproject.toml
# declares a dependency the lock lacks: run `make lock`.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r requirements.lock
	$(PIP) install --quiet --no-deps -e .
	$(PIP) check
	rm -f $(VENV)/.installed-*
	touch $@

# Pin every dependency of pyproject.toml (with the dev extra) and their hashes in
# requirements.lock, with pip-tools in a throwaway venv. Run after changing a dependency.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes \
	  --extra dev --strip-extras --no-emit-find-links --no-emit-index-url \
	  --no-emit-trusted-host --output-file requirements.lock pyproject.toml
	rm -rf $(LOCK_VENV)

lint: install
	$(BIN)/ruff check .

# Extract strings and recompile the committed catalogues (needs GNU gettext).
messages: install
	$(BIN)/python manage.py makemessages -l en -l fr --no-obsolete --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv

worker: install
	$(BIN)/celery -A campaign worker --loglevel=INFO --concurrency=2

beat: install
	$(BIN)/celery -A campaign beat --loglevel=INFO --schedule=var/celerybeat-schedule

# The load benchmark on the production stack (PostgreSQL, Redis, gunicorn, Celery), a few minutes;
# see README, "Performance". Not part of `make test`. BENCH_ARGS=--quick for a smoke run.
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)
