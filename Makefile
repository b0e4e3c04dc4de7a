# The team's vocabulary. Every target installs what it needs into .venv first, so a fresh clone just works.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help dev lint format unit integration test clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(INSTALLED): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e .
	@touch $@

dev: $(INSTALLED) ## create .venv with everything installed

lint: $(INSTALLED) ## ruff: lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED) ## ruff: fix what can be fixed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

unit: $(INSTALLED) ## pure-logic tests
	$(BIN)/python -m pytest -m unit

integration: $(INSTALLED) ## tests against moto and the Personalize emulator
	$(BIN)/python -m pytest -m integration

test: lint ## every test (what CI runs)
	$(BIN)/python -m pytest

clean: ## remove the virtualenv, caches and synth output
	rm -rf $(VENV) .pytest_cache .ruff_cache cdk.out node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
