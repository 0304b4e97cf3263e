# Two commands matter: `make run` (the service, with a worker) and `make test` (the suite + lint).
# Both install what they need into .venv on first use; Python 3.11 and make are all they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export PORT

.PHONY: install run test lint format bench check-deploy clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_seed
	$(BIN)/python manage.py setup_demo_accounts
	$(BIN)/python -m config.devserver

# The suite runs on PYTEST_WORKERS processes (pytest-xdist; each has its own test database),
# whole files to a worker so module fixtures are built once; PYTEST_WORKERS=0 runs in one.
PYTEST_WORKERS ?= 2
test: install lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@

bench: install $(VENV)/.bench-installed
	$(BIN)/python -m bench $(BENCH_ARGS)

check-deploy: install
	DJANGO_ENV=production DJANGO_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))') \
	DJANGO_ALLOWED_HOSTS=evidence.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var
