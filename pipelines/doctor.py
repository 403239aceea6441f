"""``vidscope doctor``: checks a library without changing it, and says how to fix each finding.

Each check reads only: the catalog (every table scanned, so DuckDB verifies each block's
checksum), every ready video's media file, the indexes against the catalog (ids and a real
load), stray partial files, free space against VIDSCOPE_MIN_FREE_BYTES, and the folder's
permissions. ``repair`` (``doctor --fix``) then does what can be done without a person:
rebuild indexes, remove partial files, make the folder private. A damaged catalog and missing
media need a person: their findings name the backup to restore or the file to put back."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.config import Settings
from pipelines.errors import VidscopeError
from pipelines.retrieval.indexes import SearchIndexes
from pipelines.storage import faults
from pipelines.storage.catalog import Catalog

# Written beside a file and renamed over it (atomic_write, uploads, batch shards; clips as
# ".name.<pid>.part.mp4"): a leftover one is what a crash or a full disk left.
PARTIAL_SUFFIXES = (".part", ".upload")


@dataclass(frozen=True)
class Finding:
    check: str
    problem: str
    fix: str
    fixable: bool = False  # ``repair`` fixes it without a person


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # checks that need a readable catalog
    findings: list[Finding] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, object]:
        return {
            "healthy": self.healthy,
            "checked": self.checked,
            "skipped": self.skipped,
            "findings": [f.__dict__ for f in self.findings],
            "fixed": self.fixed,
        }


def examine(
    settings: Settings,
    catalog: Catalog | None,
    indexes: SearchIndexes,
    *,
    untouched_for_s: float = 0.0,
) -> Report:
    """Every check of the library; ``catalog`` is None when it would not open (then the
    caller adds that finding). Reads only. ``untouched_for_s``: beside a running server, a
    partial file counts as left behind only when nothing wrote to it for that long (an upload
    in progress is a partial file too)."""
    report = Report(checked=["catalog"])
    report.findings.extend(_catalog_findings(catalog))
    if any(f.problem.startswith("[library.damaged]") for f in report.findings):
        catalog = None  # what reads it next would only meet the same damage
    if catalog is None:
        report.skipped += ["media", "indexes"]
    else:
        for name, findings in (
            ("media", _media_findings(catalog, settings)),
            ("indexes", _index_findings(catalog, indexes)),
        ):
            report.checked.append(name)
            report.findings.extend(findings)
    for name, findings in (
        ("partial files", _partial_findings(settings.home, untouched_for_s)),
        ("free space", _space_findings(settings)),
        ("permissions", _permission_findings(settings)),
    ):
        report.checked.append(name)
        report.findings.extend(findings)
    return report


def catalog_finding(error: VidscopeError) -> Finding:
    """The finding for a catalog that would not open."""
    return Finding("catalog", f"[{error.code}] {error.message}", _CATALOG_FIX.get(error.code, ""))


_REBUILD_FIX = "the doctor's repair (or a reindex) rebuilds them from the catalog"
_CATALOG_FIX = {
    "library.damaged": "restore the newest backup into a new library folder",
    "library.locked": "stop the process that holds it, or ask the server holding it for its doctor",
}


def _catalog_findings(catalog: Catalog | None) -> Iterator[Finding]:
    if catalog is None:
        return
    tables = [
        str(row[0])
        for row in catalog.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    ]
    unreadable: list[str] = []
    reason = ""
    for table in tables:
        try:
            # A full scan reads every block of the table: DuckDB checks each one's checksum.
            catalog.con.execute(f'SELECT * FROM "{table}"').fetchall()  # nosec B608  # a catalog table name
        except Exception as exc:
            unreadable.append(table)
            reason = reason or str(exc).splitlines()[0][:200]
    if unreadable:
        yield Finding(
            "catalog",
            f"[library.damaged] {len(unreadable)} of {len(tables)} tables cannot be read "
            f"({', '.join(unreadable)}): {reason}",
            _CATALOG_FIX["library.damaged"],
        )
        return
    # Invariant: a video 'processing' has a job queued or running (start-up repair purges
    # what a crash left; one found here means this library was not opened since).
    stranded = catalog.con.execute(
        "SELECT count(*) FROM videos v WHERE v.status = 'processing' AND NOT EXISTS "
        "(SELECT 1 FROM jobs j WHERE j.video_id = v.id AND j.status IN ('queued','running'))"
    ).fetchone()
    if stranded and stranded[0]:
        yield Finding(
            "catalog",
            f"{stranded[0]} video(s) left 'processing' by an interrupted ingest",
            "open the library once: start-up repair removes them",
        )


def _media_findings(catalog: Catalog | None, settings: Settings) -> Iterator[Finding]:
    if catalog is None:
        return
    for video in catalog.system().videos("ready"):
        path = settings.home / video.media_path
        if not path.is_file():
            yield Finding(
                "media",
                f"{video.title!r} ({video.id}): media file {video.media_path} is missing",
                f"put the file back at {video.media_path}, or delete the video ({video.id}) and "
                "upload it again",
            )
        elif path.stat().st_size != video.size_bytes:
            yield Finding(
                "media",
                f"{video.title!r} ({video.id}): media file is {path.stat().st_size} bytes, "
                f"the catalog recorded {video.size_bytes}",
                "restore the file from a backup, or delete the video and upload it again",
            )


def _index_findings(catalog: Catalog | None, indexes: SearchIndexes) -> Iterator[Finding]:
    if catalog is None:
        return
    owners = sorted(set(catalog.system().owners()) | set(indexes.stored_owners()))
    probe = SearchIndexes(indexes.directory)  # loads from disk afresh, shares nothing
    for owner_id in owners:
        owner = catalog.for_owner(owner_id)
        if not probe.in_step_with(owner):
            yield Finding(
                "indexes",
                f"owner {owner_id}: the search indexes disagree with the catalog",
                _REBUILD_FIX,
                fixable=True,
            )
            continue
        if not (indexes.directory / "owners" / owner_id).exists():
            continue
        try:
            probe.snapshot(owner_id)
        except Exception as exc:  # FAISS and bm25s raise their own kinds
            yield Finding(
                "indexes",
                f"owner {owner_id}: an index file will not load ({type(exc).__name__})",
                _REBUILD_FIX,
                fixable=True,
            )


def _partial_files(home: Path, untouched_for_s: float = 0.0) -> list[Path]:
    before = time.time() - untouched_for_s
    return sorted(
        p
        for p in home.rglob("*")
        if p.is_file()
        and (p.name.endswith(PARTIAL_SUFFIXES) or ".part." in p.name)
        and p.stat().st_mtime <= before
    )


def _partial_findings(home: Path, untouched_for_s: float) -> Iterator[Finding]:
    partial = _partial_files(home, untouched_for_s)
    if partial:
        size = sum(p.stat().st_size for p in partial)
        yield Finding(
            "partial files",
            f"{len(partial)} partial file(s) left by an interrupted write ({size} bytes): "
            + ", ".join(str(p.relative_to(home)) for p in partial[:3]),
            "the doctor's repair removes them (nothing refers to them)",
            fixable=True,
        )


def _space_findings(settings: Settings) -> Iterator[Finding]:
    free = faults.free_bytes(settings.home)
    margin = settings.limits.min_free_bytes
    if free < margin:
        yield Finding(
            "free space",
            f"{free} bytes free on the library's disk, below VIDSCOPE_MIN_FREE_BYTES ({margin})",
            "free some space, or move the library (VIDSCOPE_HOME) to a larger disk",
        )


def _permission_findings(settings: Settings) -> Iterator[Finding]:
    mode = stat.S_IMODE(settings.home.stat().st_mode)
    if mode & 0o077:
        yield Finding(
            "permissions",
            f"the library folder is mode {mode:o}: others may read recordings and transcripts",
            "the doctor's repair makes it private (chmod 700)",
            fixable=True,
        )
    if not os.access(settings.home, os.W_OK):
        yield Finding(
            "permissions",
            "the library folder cannot be written: it opens read-only (changes are refused)",
            "make it writable, or restore it into a writable folder",
        )


def repair(
    report: Report,
    settings: Settings,
    catalog: Catalog,
    indexes: SearchIndexes,
    *,
    untouched_for_s: float = 0.0,
) -> None:
    """Fixes the report's fixable findings (``doctor --fix``); records each in ``fixed``."""
    kinds = {f.check for f in report.findings if f.fixable}
    if "indexes" in kinds:
        owners = sorted(set(catalog.system().owners()) | set(indexes.stored_owners()))
        for owner_id in owners:
            indexes.rebuild(catalog.for_owner(owner_id))
        report.fixed.append(f"rebuilt the search indexes of {len(owners)} owner(s)")
    if "partial files" in kinds:
        partial = _partial_files(settings.home, untouched_for_s)
        for path in partial:
            path.unlink(missing_ok=True)
        report.fixed.append(f"removed {len(partial)} partial file(s)")
    if "permissions" in kinds:
        settings.home.chmod(0o700)
        report.fixed.append("made the library folder private (700)")


def examine_and_repair(
    settings: Settings,
    catalog: Catalog,
    indexes: SearchIndexes,
    *,
    untouched_for_s: float = 0.0,
) -> Report:
    """``doctor --fix``: examines, repairs the fixable findings, and examines again; the
    report holds what is left and, in ``fixed``, what was repaired."""
    found = examine(settings, catalog, indexes, untouched_for_s=untouched_for_s)
    repair(found, settings, catalog, indexes, untouched_for_s=untouched_for_s)
    report = examine(settings, catalog, indexes, untouched_for_s=untouched_for_s)
    report.fixed = found.fixed
    return report
