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

## Created once from the example, with a fresh random HMAC key (the example's is a placeholder).
local.settings.json:
	$(PY) -c 'import json, secrets; s = json.load(open("local.settings.example.json", encoding="utf-8")); s["Values"]["PSS_SECRET_PROMPT_HMAC_KEY"] = secrets.token_urlsafe(48); f = open("local.settings.json", "x", encoding="utf-8"); json.dump(s, f, indent=2); f.write("\n"); f.close()'
	@echo "Created local.settings.json with a random PSS_SECRET_PROMPT_HMAC_KEY"

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

## Retrain the shipped classifier from ../shared/datasets/dev.jsonl (+ synthetic data).
train: setup
	$(PY) -m infra.training.train_classifier

clean:
	rm -rf $(VENV) .venv-checkov infra/node_modules .pytest_cache .ruff_cache .hypothesis .data
