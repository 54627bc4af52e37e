# Everything runs from a local virtualenv (.venv), created on first use. npm packages
# (infra/node_modules: the Cosmos-protocol server and Azurite) are installed only by the
# targets that need them (test, soak, emulators), never by the default `make run`
# (which builds only the console assets from web/, five packages).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TRAIN_VENV := .venv-train
TRAIN_PY := $(TRAIN_VENV)/bin/python
TRAIN_STAMP := $(TRAIN_VENV)/.installed
NODE_STAMP := infra/node_modules/.installed
WEB_STAMP := web/node_modules/.installed
WEB_DIST := web/dist/console.html
CHROMIUM := /usr/bin/chromium

.PHONY: setup setup-node run emulators test test-fast bench soak lint format openapi train train-ablations clean web chromium

PORT ?= 7071

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(NODE_STAMP): infra/package.json infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

## Python only: the virtualenv with runtime and test packages.
setup: $(STAMP)

## Debian's chromium for the console's browser tests (Playwright cannot download its own here).
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: $(CHROMIUM) is missing; the console's browser tests need it: sudo apt-get install -y chromium"; fi

## The console and API reference assets (web/dist) from web/'s npm packages.
$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

$(WEB_DIST): $(WEB_STAMP) web/build.mjs $(wildcard web/src/*)
	cd web && node build.mjs

web: $(WEB_DIST)


## The npm peers for the tests and the local Azure stand-ins (infra/node_modules).
setup-node: $(NODE_STAMP)

## Start the function app locally on its embedded defaults (SQLite, in-process queue):
## http://127.0.0.1:$(PORT)/api (make run PORT=8080 for another port). npm only for the
## console assets (web/, five packages), never the Azure peers.
## With AzureWebJobsStorage exported (make emulators prints it) the queue is Azurite.
run: setup web local.settings.json
	$(PY) -m infra.devhost --port $(PORT) $(if $(AzureWebJobsStorage),,--queue-backend inprocess)

## Start the Cosmos-protocol server and Azurite and print the exports that use them.
emulators: setup setup-node
	$(PY) -m infra.emulators

## Created once from the example, with a fresh random HMAC key (the example's is a placeholder).
local.settings.json:
	$(PY) -c 'import json, secrets; s = json.load(open("local.settings.example.json", encoding="utf-8")); s["Values"]["PSS_SECRET_PROMPT_HMAC_KEY"] = secrets.token_urlsafe(48); f = open("local.settings.json", "x", encoding="utf-8"); json.dump(s, f, indent=2); f.write("\n"); f.close()'
	@echo "Created local.settings.json with a random PSS_SECRET_PROMPT_HMAC_KEY"

## The whole test suite (unit, contract, end-to-end through the dev host, infra checks) and lint.
test: setup setup-node web chromium
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m shared.openapi --check
	$(PY) -m infra.openapi_gateway --check
	$(PY) -m pytest

test-fast: setup setup-node web chromium
	$(PY) -m pytest -x -q -m "not slow and not emulator"

## Benchmarks: latency percentiles, throughput, cold start, detection quality (prints figures).
bench: setup
	$(PY) tests/bench/run.py

## Longer load and fault runs (not part of CI).
soak: setup setup-node
	RELIABILITY_SCALE=10 $(PY) -m pytest tests/reliability
	$(PY) tests/bench/run.py --soak

lint: setup
	$(PY) -m ruff check .

format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

openapi: setup
	$(PY) -m shared.openapi
	$(PY) -m infra.openapi_gateway

## Training-only virtualenv (CPU torch, transformers, onnx, the base weights); never used by test, CI or the app.
$(TRAIN_STAMP): requirements.txt requirements-dev.txt requirements-train.txt
	$(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_PY) -m pip install --quiet --upgrade pip
	$(TRAIN_PY) -m pip install --quiet -r requirements-train.txt
	touch $(TRAIN_STAMP)

## Retrain both shipped models from ../shared/datasets/dev.jsonl + extra.jsonl (+ generated data) on two cores:
## the linear classifier and its family-wise out-of-fold scores (about 15 minutes), the layer combiner (written only
## if it beats the noisy-OR), the transformer: 4 held-out-fold models for out-of-fold scores, then the shipped one
## (see infra/training/README.md for the time), and the blend of the two models fitted on the out-of-fold scores.
train: setup $(TRAIN_STAMP)
	$(PY) -m infra.training.train_classifier
	$(PY) -m infra.training.train_fusion --write
	$(TRAIN_PY) -m infra.training.base_model --out .bench/base-minilm
	$(TRAIN_PY) -m infra.training.train_encoder --base .bench/base-minilm --folds
	$(PY) -m infra.training.fit_blend --write

## The transformer's ablations on held-out fold 0 (make bench's encoder section compares them with the shipped
## recipe): the first 3 layers only, and 3 layers without synthetic.py. About 20 and 17 minutes on one core each;
## they run side by side.
ABLATION := $(TRAIN_PY) -m infra.training.train_encoder --base .bench/base-minilm --only-fold 0 --threads 1
train-ablations: setup $(TRAIN_STAMP)
	$(TRAIN_PY) -m infra.training.base_model --out .bench/base-minilm
	$(ABLATION) --layers 3 --work .bench/ablation/l3 --oof-out .bench/ablation/oof_l3_f0.json & shallow=$$!; \
	$(ABLATION) --layers 3 --no-synthetic --work .bench/ablation/nosyn --oof-out .bench/ablation/oof_nosyn_f0.json; \
	status=$$?; wait $$shallow && exit $$status

clean:
	rm -rf $(VENV) .venv-checkov infra/node_modules web/node_modules web/dist .artifacts .pytest_cache .ruff_cache .hypothesis .data
