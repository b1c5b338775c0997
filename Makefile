# The two commands: `make run` and `make test`. Everything else is a helper they call.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run serve test worker install install-dev translations migrate seed lint format bench bench-pages bench-dashboards load clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations: install
	$(PY) -c "from backoffice.i18n import compile_catalogs; compile_catalogs()"

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo

## Serve the back-office with the Banten demo data on http://$(HOST):$(PORT)
run: translations seed
	$(FLASK) run --host $(HOST) --port $(PORT)

## Production web server: gunicorn with gunicorn.conf.py (BIND, WEB_CONCURRENCY, ... from the
## environment; docs/deployment.md), after the migrations. No demo data.
serve: translations migrate
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

## The background-task consumer for production: TASK_QUEUE=redis://... in the environment
## (the same environment as the web app; with the default "embedded" the web app runs its own)
worker: translations
	$(VENV)/bin/huey_consumer backoffice.tasks.huey -w 2 -k thread

## The whole test suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
test: install-dev translations
	$(PY) -m pytest $(PYTEST_ARGS)

## Ruff, and import-linter's contracts of the layering (pyproject.toml [tool.importlinter])
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check backoffice models views tests bench
	$(VENV)/bin/lint-imports --no-cache

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format backoffice models views tests bench

## The benchmarks (scripts that print their figures, never timed tests), 25-35 minutes on 2 cores:
## import throughput and memory, a 50,000-row batch in the database (SQLite, and PostgreSQL when
## BENCH_DATABASE_URL is set or a server answers on 127.0.0.1:5432), a payer's contributions file
## of 1,000 and 10,000 rows (PostgreSQL), then the list pages at scale
bench: install-dev translations
	$(PY) bench/bench_import.py
	$(PY) bench/bench_batches.py
	$(PY) bench/bench_payer.py
	$(PY) bench/bench_pages.py $(BENCH_PAGES_ARGS)
	$(PY) bench/bench_dashboards.py $(BENCH_DASHBOARDS_ARGS)

## The coverage dashboards' p95 at scale only (1,000,000 members by default; PostgreSQL):
## BENCH_DASHBOARDS_ARGS="--members 100000" for a quick run
bench-dashboards: install-dev translations
	$(PY) bench/bench_dashboards.py $(BENCH_DASHBOARDS_ARGS)

## List pages at scale only: a fresh PostgreSQL database (127.0.0.1:5432, or BENCH_DATABASE_URL)
## with 1,000,000 generated members (seed-bulk), this project's screens against plain
## Flask-Admin (15-20 minutes on 2 cores); BENCH_PAGES_ARGS="--members 100000" for a quick run,
## "--members 10000000 --compare bench-1m.json" for the growth at ten million (bench/bench_pages.py)
bench-pages: install-dev translations
	$(PY) bench/bench_pages.py $(BENCH_PAGES_ARGS)

## Load test: 100 users for 60 s against a gunicorn it starts (PostgreSQL on 127.0.0.1:5432 when
## it answers, else SQLite); LOAD_ARGS="--users 50 --duration 30" or "--base-url http://...";
## LOAD_ARGS="--pgbouncer": gunicorn reaches PostgreSQL through PgBouncer in transaction pooling,
## as in docs/deployment.md (installed with apt-get when missing, run on a free port, stopped)
load: install-dev translations
	$(PY) bench/load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
