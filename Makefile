# learncom — the commands the README names.
#
#   make run      venv + install, migrate, load the demo data (only into an empty database),
#                 serve on http://127.0.0.1:5000 (SQLite and the search index under instance/)
#   make test     venv + install, the whole suite on SQLite, then again on a PostgreSQL server
#                 that the test run starts itself; fails if either fails
#   make lint     ruff and bandit (security lint, medium and high findings)
#   make migration m="add follows"   a new Alembic migration from the models
#   make clean    caches, compiled catalogs, test artefacts (keeps .venv and instance/)
#   make distclean   clean + remove .venv

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TRANSLATIONS := learncom/translations
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
PYTEST_ARGS ?=
# The suite runs in parallel, one pytest-xdist worker per core, whole test files per worker
# (each worker has its own SQLite file or PostgreSQL server, and its own search index).
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile
BANDIT = $(BIN)/bandit -c pyproject.toml -ll -q -r learncom bench wsgi.py

export FLASK_APP := wsgi

.PHONY: venv install catalogs run test test-sqlite test-postgres lint migration clean distclean \
	bench-search bench-pages bench-load soak bench-markdown bench-search-bounds translations

N ?= 100000
QUERIES ?= 200
PROCS ?= 2
ENGINE ?= whoosh

venv: $(BIN)/python

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11+ not found (apt-get install python3 python3-venv)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

install: $(STAMP) catalogs

# Compile the message catalogs the app reads (.mo files are not kept in git). `pybabel compile`
# fails when there is no catalog at all, so only run it when one exists.
catalogs: $(STAMP)
	@if ls $(TRANSLATIONS)/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel -q compile -d $(TRANSLATIONS); \
	fi

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask learncom rerender --missing
	$(BIN)/flask learncom load-demo
	@$(BIN)/flask search check >/dev/null 2>&1 || $(BIN)/flask search rebuild
	@echo "learncom: http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --no-control-socket \
		--access-logfile - wsgi:app

# Both runs always happen; the target fails if either failed.
test: install
	@status=0; \
	echo "==> ruff"; \
	$(BIN)/ruff check . || status=1; \
	echo "==> bandit"; \
	$(BANDIT) || status=1; \
	echo "==> pytest on SQLite"; \
	$(PYTEST) $(PYTEST_ARGS) || status=1; \
	echo "==> pytest on PostgreSQL"; \
	$(PYTEST) --postgres $(PYTEST_ARGS) || status=1; \
	if [ $$status -ne 0 ]; then echo "==> make test: FAILED" >&2; else echo "==> make test: passed on SQLite and PostgreSQL"; fi; \
	exit $$status

test-sqlite: install
	$(PYTEST) $(PYTEST_ARGS)

test-postgres: install
	$(PYTEST) --postgres $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BANDIT)

# Seeds a deterministic Dutch corpus of N posts and prints index and search figures beside an
# SQLite FTS5 reference on the same corpus (`make bench-search N=10000` for a quicker run;
# ENGINE=postgres or ENGINE=both for the PostgreSQL engine, on a server the benchmark starts).
bench-search: install
	$(BIN)/python -m bench.search --posts $(N) --queries $(QUERIES) --procs $(PROCS) \
		--engine $(ENGINE)

# Page timings (p50/p95) and SQL statements per page on the demo data, via the test client.
bench-pages: install
	$(BIN)/python -m bench.pages

# Seeds 100,000 posts and 1,000,000 comments into SQLite and into PostgreSQL, serves each with
# gunicorn (2 workers) and drives it with locust: req/s and p50/p95/p99 per page kind beside a
# bare /hello of the same app (`make bench-load N=10000 COMMENTS=100000` for a quicker run).
COMMENTS ?= 1000000
CLIENTS ?= 8
DURATION ?= 60
bench-load: install
	$(BIN)/python -m bench.load --posts $(N) --comments $(COMMENTS) --clients $(CLIENTS) \
		--duration $(DURATION)

# Writes under load while a worker, then the whole server, is SIGKILLed: every acknowledged write
# must be in the database and searchable, and `flask search check` clean within 10 s after the
# restart; on SQLite + Whoosh and on PostgreSQL.
soak: install
	$(BIN)/python -m bench.soak --clients 20 --workers 4 --seconds 60
# Render times of hostile Markdown (refused or fast), and page times with it stored.
bench-markdown: install
	$(BIN)/python -m bench.markdown

# 33 nasty search queries on the demo data, each against the 300 ms goal.
bench-search-bounds: install
	$(BIN)/python -m bench.search_bounds

# Extract the interface strings and update the Dutch catalog (then translate what is empty).
# `--ignore-dirs ".*"`: Babel skips folders starting with "_" by default (templates/_macros).
translations: install
	$(BIN)/pybabel extract --ignore-dirs ".*" -F babel.cfg -k _l -o /tmp/learncom-messages.pot .
	$(BIN)/pybabel update -i /tmp/learncom-messages.pot -d $(TRANSLATIONS) -l nl --no-fuzzy-matching

migration: install
	@test -n "$(m)" || { echo 'usage: make migration m="what changed"' >&2; exit 1; }
	$(BIN)/flask db migrate -m "$(m)"

clean:
	rm -rf .pytest_cache .ruff_cache .hypothesis test-results *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	find $(TRANSLATIONS) -name '*.mo' -delete 2>/dev/null || true

distclean: clean
	rm -rf $(VENV)
