# Everything runs from a local virtualenv (.venv) and local npm packages (infra/node_modules),
# created on first use, so a fresh machine with Python 3.11 and Node.js needs nothing else.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := infra/node_modules/.installed

.PHONY: setup run test test-fast bench soak lint format openapi train clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(NODE_STAMP): infra/package.json infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

setup: $(STAMP) $(NODE_STAMP)

## Start the function app locally on its embedded defaults (SQLite, in-process queue) at :7071.
run: setup local.settings.json
	$(PY) -m infra.devhost

local.settings.json:
	cp local.settings.example.json local.settings.json

## The whole test suite (unit, contract, end-to-end through the dev host, infra checks) and lint.
test: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m shared.openapi --check
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -x -q -m "not slow and not emulator"

## Benchmarks: latency percentiles, throughput, cold start, detection quality (prints figures).
bench: setup
	$(PY) tests/bench/run.py

## Longer load and fault runs (not part of CI).
soak: setup
	RELIABILITY_SCALE=10 $(PY) -m pytest tests/reliability
	$(PY) tests/bench/run.py --soak

lint: setup
	$(PY) -m ruff check .

format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

openapi: setup
	$(PY) -m shared.openapi

## Retrain the shipped classifier from ../shared/datasets/dev.jsonl + extra.jsonl (+ generated data); about 15 minutes on two cores.
train: setup
	$(PY) -m infra.training.train_classifier

clean:
	rm -rf $(VENV) .venv-checkov infra/node_modules .pytest_cache .ruff_cache .hypothesis .data
