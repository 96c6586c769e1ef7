# Groundwork: `make demo` serves a demo site with nothing running; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO := DJANGO_SETTINGS_MODULE=marketplace.settings.local

.PHONY: install demo test lint bench crowdkit-venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# localstripe (a fake Stripe, from the dev extras) on loopback takes the demo's card
# top-ups; if it can't start, the demo uses the manual provider. It stops with the server.
LOCALSTRIPE_PORT := 8420

demo: $(STAMP)
	@$(VENV)/bin/localstripe --port $(LOCALSTRIPE_PORT) >localstripe.log 2>&1 & \
	localstripe=$$!; trap 'kill $$localstripe 2>/dev/null' EXIT INT TERM; \
	for attempt in 1 2 3 4 5 6 7 8 9 10; do \
		$(PY) -c "import socket; socket.create_connection(('127.0.0.1', $(LOCALSTRIPE_PORT)), 1)" \
			2>/dev/null && break; sleep 0.5; \
	done; \
	$(DEMO) $(PY) manage.py migrate --noinput && \
	$(DEMO) $(PY) manage.py demo_data && \
	$(DEMO) $(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .

# crowd-kit, for bench_consolidation's comparison, in its own environment: it needs an older
# scikit-learn than anything else would get.
CROWDKIT_VENV := .venv-crowdkit
CROWDKIT_STAMP := $(CROWDKIT_VENV)/.installed
CROWDKIT_REQUIREMENTS := tests/benchmarks/crowdkit-requirements.txt

$(CROWDKIT_STAMP): $(CROWDKIT_REQUIREMENTS)
	$(PYTHON) -m venv $(CROWDKIT_VENV)
	$(CROWDKIT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CROWDKIT_VENV)/bin/python -m pip install --quiet -r $(CROWDKIT_REQUIREMENTS)
	touch $(CROWDKIT_STAMP)

crowdkit-venv: $(CROWDKIT_STAMP)

# Every tests/benchmarks/bench_*.py (pytest collects only test_*.py), against PostgreSQL.
# Without crowd-kit's environment (say, no network to build it) bench_consolidation still
# reports Groundwork's figures.
bench: $(STAMP)
	@$(MAKE) --no-print-directory crowdkit-venv || \
		echo "crowd-kit's environment could not be built: the consolidation benchmark runs without it"
	@for module in $(patsubst %.py,%,$(subst /,.,$(wildcard tests/benchmarks/bench_*.py))); do \
		echo "== $$module"; \
		DJANGO_SETTINGS_MODULE=marketplace.settings.test $(PY) -m $$module || exit 1; \
	done

clean:
	rm -rf $(VENV) $(CROWDKIT_VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache localstripe.log
