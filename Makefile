# Everything runs from .venv/ (uv sync --all-extras --frozen); the first target you run creates it.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# uv installed by scripts/bootstrap.sh with pip --user lands here; the composite actions' bootstrap
# (scripts/run-action.sh, under act in the e2e tests) finds it on PATH too.
export PATH := $(PATH):$(HOME)/.local/bin

VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.bootstrapped

.PHONY: help test lint unit e2e demo demo-cli venv

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

$(READY): pyproject.toml uv.lock scripts/bootstrap.sh
	scripts/bootstrap.sh
	touch $@

venv: $(READY)  ## create or update .venv/ from uv.lock

test: $(READY)  ## lint, then every test (unit, integration, end to end); fails if either fails
	@status=0; scripts/lint.sh || status=1; $(BIN)/pytest || status=1; exit $$status

lint: $(READY)  ## ruff, mypy, front doors in sync, actionlint, zizmor, GitLab CI schema
	scripts/lint.sh

unit: $(READY)  ## unit and integration tests (no act, gitlab-ci-local or docker)
	$(BIN)/pytest -m "not e2e and not buildx"

e2e: $(READY)  ## act, gitlab-ci-local, the console script and docker against the emulator
	$(BIN)/pytest -m e2e tests/e2e

demo: $(READY)  ## example 2's workflow under act against the local emulator; report in .cache/demo/report.html
	$(BIN)/python -m deploy_actions.emulator.demo

demo-cli: $(READY)  ## the in-process demo: the actions through the CLI, no act and no Docker needed
	$(BIN)/python -m deploy_actions.emulator.demo --cli
