# Groundwork: `make demo` serves a demo site with nothing running; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO := DJANGO_SETTINGS_MODULE=marketplace.settings.local

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(DEMO) $(PY) manage.py migrate --noinput
	$(DEMO) $(PY) manage.py demo_data
	$(DEMO) $(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .

# Every tests/benchmarks/bench_*.py (pytest collects only test_*.py), against PostgreSQL.
bench: $(STAMP)
	@for module in $(patsubst %.py,%,$(subst /,.,$(wildcard tests/benchmarks/bench_*.py))); do \
		echo "== $$module"; \
		DJANGO_SETTINGS_MODULE=marketplace.settings.test $(PY) -m $$module || exit 1; \
	done

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
