# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint bench messages format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# `make run` needs the app, not the test and lint tools, and no ahead-of-time bytecode for every
# module of numpy, scipy and OR-Tools (Python compiles what it imports, once): a fresh clone's
# install takes 12 s instead of 40-60 s. Skipped where `make test` already installed everything.
RUN_STAMP := $(VENV)/.installed-run
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	test -f $(STAMP) -a $(STAMP) -nt pyproject.toml || $(BIN)/pip install --quiet --no-compile -e .
	touch $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/tiejun migrate --no-input
	$(BIN)/tiejun demo --if-empty
	$(BIN)/tiejun serve --host $(HOST) --port $(PORT)

# One pytest process per core (pytest-xdist), handed tests two at a time as they finish. Each
# worker keeps the order of tests/conftest.py: the tests without a test database first, the long
# ones (own servers and databases) leading, then pytest-django's: tests that empty the tables
# (live servers) after the others, which still see the rows of the data migrations.
# JOBS=0 runs everything in this process.
# The sources are byte-compiled first: where PYTHONDONTWRITEBYTECODE is set (as on the CI
# machine) every process would otherwise compile the ≈ 190 modules it imports each time it
# starts, 0.6 s of each of the hundreds of `tiejun` commands the suite runs.
JOBS ?= auto
test: $(STAMP)
	$(BIN)/python -m compileall -q -j 0 src tests
	$(BIN)/pytest -n $(JOBS) --maxschedchunk 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check src tests
	$(BIN)/ruff check src tests
	$(BIN)/mypy src tests
	$(BIN)/lint-imports
	$(BIN)/tiejun makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

bench: $(STAMP)
	$(BIN)/tiejun bench board --reps 2000 --months 12

# Needs GNU gettext (apt-get install gettext); the compiled catalogues are committed.
messages: $(STAMP)
	cd src/tiejun && ../../$(BIN)/tiejun makemessages -l zh_Hans --no-obsolete && ../../$(BIN)/tiejun compilemessages

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
