# Two commands a person needs: `make run` and `make test`. Both set up .venv on first use.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: run test lint messages demo-check clean

run: $(VENV)/.installed
	@$(BIN)/vertaisbot run

test: $(VENV)/.installed
	$(BIN)/pytest

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
