# Vidscope's server image. Buildable by Docker and Podman; `make image` builds it here.
#
# BASE is the usual public Python slim image on Debian bookworm. Where no image registry can
# be reached, `make image` builds a base from Debian's packages instead (mmdebstrap minbase
# with python3 and python3-venv, imported as localhost/vidscope-base) and passes it here.
#
# Nothing is downloaded inside: the build context holds a wheelhouse (build/wheelhouse: every
# package of requirements/image.lock; build/app: this project's wheel; both made on the host
# by `make image`), so the build works offline, and installs exactly the lock, hashes checked.
ARG BASE=docker.io/library/python:3.11-slim-bookworm

# The dependencies alone (`make image` tags this stage, so a change of code reuses it). The
# wheels are bind-mounted from the build context rather than copied: a copy would stay in a
# layer, and every layer costs the builder's disk (a CI run once ran out of it here).
# The lock itself is copied (190 KB; the image keeps it): Buildah (Podman 4.3) keys a RUN's
# cache on its text, not on what a bind mount holds, so with the lock only mounted a changed
# lock reused the old layer and its old packages. A COPY is keyed on the file's content.
FROM ${BASE} AS deps
RUN groupadd --system --gid 10001 vidscope \
 && useradd --system --uid 10001 --gid vidscope --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin vidscope \
 && mkdir -p /data && chown vidscope:vidscope /data && chmod 0700 /data
COPY build/wheelhouse/image.lock /opt/vidscope/image.lock
RUN --mount=type=bind,source=build/wheelhouse,target=/wheels \
    python3 -m venv /opt/vidscope \
 && /opt/vidscope/bin/pip install --no-cache-dir --no-index --find-links /wheels \
        --require-hashes -r /opt/vidscope/image.lock

# The server builds on the dependencies' stage itself: copying them into a fresh stage would
# store them twice on the builder and add nothing to the image. The project's wheel (0.7 MB)
# is copied, not mounted, for the same reason as the lock: a new wheel must rebuild the layer.
FROM deps
COPY build/app/ /opt/vidscope/app/
RUN /opt/vidscope/bin/pip install --no-cache-dir --no-index --no-deps /opt/vidscope/app/vidscope-*.whl
# The models are made ready now, inside the image: the multilingual Whisper base joined from
# its two halves, the embedding model's one-time ONNX export. Nothing is fetched at start.
# They are made as root: readable by the server's user, not writable.
ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VIDSCOPE_MODEL_CACHE=/opt/vidscope/models
RUN /opt/vidscope/bin/python -c "from pathlib import Path; \
from pipelines.speech.multilingual import whisper_base_dir; \
from pipelines.retrieval.embed import embed_texts; \
cache = Path('/opt/vidscope/models'); whisper_base_dir(cache); \
embed_texts(['warm up'], model='all-MiniLM-L6-v2', cache_dir=cache)" \
 && chmod -R a+rX /opt/vidscope/models
# Configuration only through VIDSCOPE_* variables; the secret key is given at run time
# (`-e VIDSCOPE_SECRET_KEY=...`), never baked in.
ENV PATH=/opt/vidscope/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    VIDSCOPE_HOME=/data \
    VIDSCOPE_MODEL_CACHE=/opt/vidscope/models \
    VIDSCOPE_LOG_FORMAT=json
USER vidscope
VOLUME /data
EXPOSE 7860
HEALTHCHECK --interval=15s --timeout=3s --start-period=90s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:7860/healthz', timeout=2)"]
# Run with --init (Docker and Podman): SIGTERM then reaches the server, which drains.
ENTRYPOINT ["vidscope"]
CMD ["serve", "--host", "0.0.0.0"]
