"""What a batch processes: a folder (walked like ``vidscope ingest``) or a CSV manifest of
videos, and a CSV manifest of clips. Spreadsheets' exports are read as they come. Used by
``vidscope batch``, the batch notebook and anything else that plans a batch."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import VidscopeError
from pipelines.media.inputs import expand_paths


@dataclass(frozen=True)
class BatchItem:
    path: Path
    title: str


def _manifest_error(path: Path, reason: str) -> VidscopeError:
    return VidscopeError(
        f"{path}: {reason}; a manifest is a CSV file with a 'path' column (and optionally "
        "'title'), one video per row, relative paths taken from the manifest's folder",
        code="batch.bad_manifest",
    )


def read_manifest(path: Path, columns: tuple[str, ...] = ("path",)) -> list[dict[str, str]]:
    """The rows of a CSV manifest, each with the ``columns`` it must have. Spreadsheets'
    exports are read as they come: a UTF-8 byte-order mark (Excel's "CSV UTF-8") is
    dropped, and the separator may be a comma, a semicolon (Excel where the decimal mark is
    a comma) or a tab."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header_line = handle.readline()
            handle.seek(0)
            # The separator is whichever of these the header line uses most (column names
            # hold none of them); csv.Sniffer guesses wrong on a one-column file.
            delimiter = max(",;\t", key=header_line.count)
            reader = csv.DictReader(handle, delimiter=delimiter)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in columns if c not in header]
            if missing:
                raise _manifest_error(path, f"no {', '.join(repr(c) for c in missing)} column")
            rows = [
                {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _manifest_error(path, f"cannot be read ({exc})") from exc
    for number, row in enumerate(rows, start=2):
        empty = [c for c in columns if not row.get(c)]
        if empty:
            raise _manifest_error(path, f"row {number} has no {empty[0]!r}")
    return rows


def collect_items(
    source: Path, *, allowed: tuple[str, ...]
) -> tuple[list[BatchItem], list[tuple[Path, str]]]:
    """The files a batch covers: a folder (walked like ``vidscope ingest``) or a CSV manifest.
    Returns (items, skipped with reasons)."""
    if source.suffix.lower() == ".csv" and source.is_file():
        items = []
        for row in read_manifest(source):
            path = Path(row["path"]).expanduser()
            path = path if path.is_absolute() else source.parent / path
            items.append(BatchItem(path, row.get("title") or path.stem))
        return items, []
    if not source.is_dir():
        raise VidscopeError(
            f"{source} is neither a folder nor a .csv manifest", code="batch.bad_source"
        )
    expanded = expand_paths([source], allowed)
    return [BatchItem(p, p.stem) for p in expanded.files], expanded.skipped


@dataclass(frozen=True)
class ClipRequest:
    """One row of a clip manifest: [start, end) seconds of a video, cut to ``output``."""

    video_id: str
    start: float
    end: float
    output: str


def read_clip_manifest(path: Path) -> list[ClipRequest]:
    """The clips a CSV manifest asks for (columns video_id, start, end, output); a relative
    output is taken from the manifest's folder."""
    rows = read_manifest(path, ("video_id", "start", "end", "output"))
    try:
        return [
            ClipRequest(
                video_id=row["video_id"],
                start=float(row["start"]),
                end=float(row["end"]),
                output=str((path.parent / Path(row["output"]).expanduser()).resolve()),
            )
            for row in rows
        ]
    except ValueError as exc:
        raise VidscopeError(
            f"{path}: start and end must be seconds ({exc})", code="batch.bad_manifest"
        ) from exc
