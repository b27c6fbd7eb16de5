# Two commands on a fresh machine (README): `make run` and `make test`.
# Both create what they need: a virtual environment in .venv (from the lock file) and the database.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock

.PHONY: setup run test lint lock demo clean

# Exact versions from the lock file, then Casebot itself (editable, no dependency resolution).
$(STAMP): $(LOCK) pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Casebot needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)
	@bash scripts/ensure-fonts

## Set up, bring the database to the latest schema, and start the bot.
run: setup
	$(BIN)/casebot db upgrade
	$(BIN)/casebot run

## Set up and run the whole test suite (SQLite and PostgreSQL; CI=true requires PostgreSQL).
test: setup
	bash scripts/ensure-postgres
	bash scripts/ensure-chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## Re-resolve the lock file after changing a dependency in pyproject.toml (README: "Dependencies").
lock: setup
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml

## Load the fictional demo data set into the configured database.
demo: setup
	$(BIN)/casebot db upgrade
	$(BIN)/casebot demo-data

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
