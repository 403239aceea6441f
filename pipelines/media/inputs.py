"""Turning what a user typed (files and folders) into the files to ingest, without ever
failing on a path: an impossible path is tried as a file, and ingest reports it with a code."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ExpandedPaths:
    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # name too long, a loop of links...: not a folder, ingest says why
        return False


def expand_paths(paths: Iterable[str | Path], allowed: Iterable[str]) -> ExpandedPaths:
    """Folders are walked recursively; inside them, files whose extension is not an allowed
    container, hidden files, and what cannot be read are skipped, each with a reason."""
    suffixes = {f".{c}" for c in allowed}
    result = ExpandedPaths()
    for raw in paths:
        path = Path(raw)
        if not _is_dir(path):
            result.files.append(path)
            continue
        found: list[Path] = []

        def unreadable(error: OSError, top: Path = path) -> None:
            where = Path(error.filename) if error.filename else top
            result.skipped.append((where, f"cannot be read ({error.strerror or error})"))

        for folder, dirs, names in os.walk(path, onerror=unreadable):
            for hidden in sorted(d for d in dirs if d.startswith(".")):
                result.skipped.append((Path(folder) / hidden, "hidden folder"))
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                file = Path(folder) / name
                if name.startswith("."):
                    result.skipped.append((file, "hidden file"))
                elif file.suffix.lower() not in suffixes:
                    kind = f"extension {file.suffix}" if file.suffix else "no extension"
                    result.skipped.append(
                        (file, f"{kind} is not a media type ({', '.join(sorted(suffixes))})")
                    )
                else:
                    found.append(file)
        result.files.extend(sorted(found))
    return result
