PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test flakes lint format bench screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: install
	$(BIN)/steady dev

test: install
	$(BIN)/python -m pytest -q

# Not part of `make test`: the suite 5 times on both databases, shuffled, once with the CPU
# busy; lists every test that failed at least once (.ci/flakes.py --help).
flakes: install
	bash -c '. .ci/services.sh && ensure_postgres && ensure_redis'
	$(BIN)/python .ci/flakes.py $(FLAKES_ARGS)

# mypy reads its settings (strict, the files it checks) from pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	bash bench/all.sh $(BENCH_ARGS)

# Phone screenshots (375×812, light and dark) of home, an event, a club and the attendee page,
# from a fresh demo database, into docs/screenshots/ (Playwright + /usr/bin/chromium).
screenshots: install
	$(BIN)/python docs/screenshots.py $(SCREENSHOTS_ARGS)

clean:
	rm -rf $(VENV) steady.sqlite3 .steady
