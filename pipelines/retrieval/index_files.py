"""The names of the files and folders an owner's search indexes are kept in, shared by the
indexes (pipelines/retrieval/indexes.py, which reads and writes them) and their layers
(pipelines/retrieval/layered.py, which loads the delta); and the checksums of those files."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.storage.files import atomic_write, sha256_file

DELTA = "delta"  # the folder of the delta layer, beside the base's files
HIDDEN = "hidden.npy"  # in DELTA: ids removed since the base was built
IDS_DIGESTS = "ids.json"  # digests of the ids in each index (``ids_digest``), for checks at start
CHECKSUMS = "checksums.json"  # each index file's size and SHA-256, written after the files


class IndexDamaged(Exception):
    """An index file is not what was written (size or checksum): rebuild from the catalog."""


def _index_files(folder: Path) -> list[Path]:
    """The index files a checksum record covers: the base's (in ``folder``) without the
    delta's, or the delta's (``folder`` the delta's own), each layer recording its own, so a
    change of the delta never reads the base's gigabyte again. Not the id digests: every
    change rewrites them, and they are checked against the catalog itself (an older
    release's record lists them: skipped when checked)."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.name not in (CHECKSUMS, IDS_DIGESTS)
        and not p.name.endswith(".part")
        and DELTA not in p.relative_to(folder).parts
    )


def write_checksums(folder: Path) -> None:
    """Records the size and SHA-256 of the owner's index files (published whole, as they are)."""
    sums = {
        str(p.relative_to(folder)): [p.stat().st_size, sha256_file(p)] for p in _index_files(folder)
    }
    with atomic_write(folder / CHECKSUMS) as partial:
        partial.write_text(json.dumps(sums, sort_keys=True))


def verify_checksums(folder: Path) -> None:
    """Raises ``IndexDamaged`` when a recorded file is missing, resized or changed (bytes
    overwritten in the middle of a FAISS file still load, as wrong vectors). Indexes an older
    release wrote have no record and are not checked."""
    record = folder / CHECKSUMS
    if not record.exists():
        return
    try:
        sums = json.loads(record.read_text())
    except ValueError as exc:
        raise IndexDamaged(f"{record} is not readable") from exc
    for name, (size, digest) in sums.items():
        if name == IDS_DIGESTS:
            continue  # rewritten by every change; what it says is checked against the catalog
        path = folder / name
        if not path.is_file() or path.stat().st_size != size or sha256_file(path) != digest:
            raise IndexDamaged(f"{path} is not the file that was written")


def sizes_as_recorded(folder: Path) -> bool:
    """Every index file recorded is there at its recorded size: a look at each, no reading
    (``verify_checksums`` reads them all when they are loaded)."""
    record = folder / CHECKSUMS
    if not record.exists():  # written last: a write that did not finish, or an older release
        return False
    sums = json.loads(record.read_text())
    return all(
        (folder / name).is_file() and (folder / name).stat().st_size == size
        for name, (size, _) in sums.items()
        if name != IDS_DIGESTS
    )
