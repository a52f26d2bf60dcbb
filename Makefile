# The two commands (see README): `make run` and `make test`. Both set everything up first;
# running either again is quick and changes nothing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Reinstall only when the declared dependencies change.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test setup install lint messages worker beat bench

run: setup
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

setup: install
	@mkdir -p var/mail var/staticfiles
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py load_campaign

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

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
