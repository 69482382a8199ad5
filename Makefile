# Two commands a person needs: `make run` and `make test`. Both set up .venv on first use.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: run test lint messages demo-check clean bench

run: $(VENV)/.installed
	@$(BIN)/vertaisbot run

test: $(VENV)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

# Refresh the catalogues after changing messages in the code; then translate what is new.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract --no-location --omit-header --no-wrap -o locales/vertaisbot.pot bot handlers
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --no-wrap -i locales/vertaisbot.pot -d locales -D vertaisbot
	rm locales/vertaisbot.pot

clean:
	rm -rf $(VENV) build *.egg-info

# Try the real bot in your browser, without Telegram: everything stays on 127.0.0.1.
.PHONY: demo
demo: $(VENV)/.installed
	$(BIN)/python -m bot.playground

# The benchmarks (slow; never part of `make test`). See bench/README.md. They get their own
# environment: the aiogram peer bot they compare with pins its own pydantic.
BENCH_VENV ?= .venv-bench
$(BENCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e '.[bench]'
	@touch $@

bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python -m bench.interactive
	$(BENCH_VENV)/bin/python -m bench.fanout round
	$(BENCH_VENV)/bin/python -m bench.fanout startup --rounds 3
