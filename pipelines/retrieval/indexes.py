"""Each owner's two derived search indexes (FAISS vectors, BM25 words), kept in step with the
catalog. A change is built aside and swapped in: a search holds one snapshot from start to end
and never sees a half-updated index, and no owner's search can reach another's passages."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.logs import get_logger
from pipelines.storage.catalog import OwnerCatalog
from pipelines.storage.files import atomic_write, sha256_file

if TYPE_CHECKING:
    import numpy as np

    from pipelines.retrieval.lexical import LexicalIndex
    from pipelines.retrieval.vectors import VectorIndex

log = get_logger(__name__)
_OWNER_ID = re.compile(r"^[a-z0-9_-]{1,64}$")
IDS_DIGESTS = "ids.json"  # digests of the ids in each index (``ids_digest``), for checks at start
LEGACY_VECTOR_IDS = "vectors.ids.npy"  # what an older release kept for those checks
CHECKSUMS = "checksums.json"  # each index file's size and SHA-256, written after the files


def ids_digest(ids: Iterable[int]) -> str:
    """SHA-256 of chunk ids in increasing order, written in decimal and joined by commas: what
    the catalog's ``chunk_digest`` computes in SQL. Equal digests, equal id sets."""
    text = ",".join(str(i) for i in sorted(int(i) for i in ids))
    return hashlib.sha256(text.encode()).hexdigest()


EMPTY_DIGEST = ids_digest(())


class IndexDamaged(Exception):
    """An index file is not what was written (size or checksum): rebuild from the catalog."""


def _index_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.name != CHECKSUMS and not p.name.endswith(".part")
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
        path = folder / name
        if not path.is_file() or path.stat().st_size != size or sha256_file(path) != digest:
            raise IndexDamaged(f"{path} is not the file that was written")


def _sizes_as_recorded(folder: Path) -> bool:
    """Every index file recorded is there at its recorded size: a look at each, no reading
    (``verify_checksums`` reads them all when they are loaded)."""
    record = folder / CHECKSUMS
    if not record.exists():  # written last: a write that did not finish, or an older release
        return False
    sums = json.loads(record.read_text())
    return all(
        (folder / name).is_file() and (folder / name).stat().st_size == size
        for name, (size, _) in sums.items()
    )


@dataclass(frozen=True)
class IndexSnapshot:
    """One owner's indexes at one moment. Never changed after it is published."""

    vectors: VectorIndex
    lexical: LexicalIndex

    def digests(self) -> tuple[str, str]:
        """``ids_digest`` of the ids in the (vector, word) index."""
        return ids_digest(self.vectors.ids()), ids_digest(self.lexical.ids())


class SearchIndexes:
    """Per-owner snapshots under ``directory/owners/<owner_id>``. Reads take no lock; updates
    are serialised by one lock and publish a new snapshot with a single assignment."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._snapshots: dict[str, IndexSnapshot] = {}
        self._update = threading.RLock()

    def _folder(self, owner_id: str) -> Path:
        if not _OWNER_ID.match(owner_id):
            raise ValueError(f"not an owner id: {owner_id!r}")
        return self.directory / "owners" / owner_id

    def snapshot(self, owner_id: str) -> IndexSnapshot:
        """The owner's current indexes (loaded from disk on first use)."""
        from pipelines.retrieval.lexical import LexicalIndex
        from pipelines.retrieval.vectors import VectorIndex

        found = self._snapshots.get(owner_id)
        if found is None:
            with self._update:
                found = self._snapshots.get(owner_id)
                if found is None:
                    folder = self._folder(owner_id)
                    verify_checksums(folder)
                    found = IndexSnapshot(
                        VectorIndex.load(folder / "vectors.faiss"),
                        LexicalIndex.load(folder / "lexical"),
                    )
                    self._snapshots[owner_id] = found
        return found

    def stored_owners(self) -> list[str]:
        """Owners with index files on disk."""
        folder = self.directory / "owners"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.exists() else []

    def in_step_with(self, catalog: OwnerCatalog) -> bool:
        """Whether the owner's indexes hold exactly the catalog's passages. Compares digests of
        the ids (recorded when the indexes were written, computed by the catalog), so the
        check every start makes loads neither FAISS, BM25 nor NumPy."""
        try:
            vectors, words = self.stored_digests(catalog.owner_id)
        except (OSError, ValueError, EOFError, KeyError, TypeError) as exc:  # a damaged record
            log.warning("index.unreadable", owner_id=catalog.owner_id, error=str(exc))
            return False
        truth = catalog.chunk_digest()
        return vectors == truth and words == truth

    def usable_snapshot(self, catalog: OwnerCatalog) -> IndexSnapshot:
        """The owner's snapshot. Index files are derived data: one that will not load
        (truncated, overwritten) is rebuilt from the catalog instead of failing the search."""
        try:
            return self.snapshot(catalog.owner_id)
        except Exception as exc:  # FAISS and bm25s raise their own kinds of error
            log.warning("index.damaged", owner_id=catalog.owner_id, error=f"{exc}"[:300])
            self.rebuild(catalog)
            return self._snapshots[catalog.owner_id]

    def stored_digests(self, owner_id: str) -> tuple[str, str]:
        """``ids_digest`` of the chunk ids in the owner's (vector, word) indexes: of the loaded
        snapshot, else as recorded beside the files. Indexes an older release wrote have no
        record; they read as out of step, so they are rebuilt once."""
        loaded = self._snapshots.get(owner_id)
        if loaded is not None:
            return loaded.digests()
        folder = self._folder(owner_id)
        if not folder.exists():
            return EMPTY_DIGEST, EMPTY_DIGEST
        record = folder / IDS_DIGESTS
        if not record.exists() or not _sizes_as_recorded(folder):
            return "", ""
        digests = json.loads(record.read_text())
        return str(digests["vectors"]), str(digests["words"])

    def rebuild(self, catalog: OwnerCatalog) -> int:
        """Rebuilds the catalog owner's indexes from the catalog (the source of truth);
        returns the number of passages."""
        from pipelines.retrieval.lexical import LexicalIndex
        from pipelines.retrieval.vectors import VectorIndex

        owner_id = catalog.owner_id
        with self._update:
            ids, texts, vectors = catalog.all_chunks()
            fresh = VectorIndex()
            fresh.add(ids, vectors)
            self._publish(owner_id, IndexSnapshot(fresh, LexicalIndex.build(ids, texts)))
        log.info("index.rebuilt", owner_id=owner_id, chunks=len(ids))
        return len(ids)

    def replace(
        self,
        catalog: OwnerCatalog,
        *,
        old_ids: np.ndarray | Sequence[int],
        new_ids: Sequence[int],
        vectors: np.ndarray | None,
    ) -> None:
        """Swaps one video's vectors in a copy of the owner's vector index; BM25 is not
        incremental, so it is rebuilt from the catalog. Then the copy is published."""
        import numpy as np

        from pipelines.retrieval.lexical import LexicalIndex

        owner_id = catalog.owner_id
        with self._update:
            current = self.usable_snapshot(catalog)
            fresh = current.vectors.copy()
            fresh.remove(np.asarray(old_ids, dtype=np.int64))
            if vectors is not None and len(new_ids):
                fresh.add(np.asarray(new_ids, dtype=np.int64), vectors)
            ids, texts = catalog.chunk_texts()
            self._publish(owner_id, IndexSnapshot(fresh, LexicalIndex.build(ids, texts)))

    def _publish(self, owner_id: str, snapshot: IndexSnapshot) -> None:
        # Files first (each written aside and renamed), then the one assignment searches see.
        folder = self._folder(owner_id)
        snapshot.vectors.save(folder / "vectors.faiss")
        snapshot.lexical.save(folder / "lexical")
        vectors, words = snapshot.digests()
        with atomic_write(folder / IDS_DIGESTS) as partial:
            partial.write_text(json.dumps({"vectors": vectors, "words": words}))
        (folder / LEGACY_VECTOR_IDS).unlink(missing_ok=True)
        write_checksums(folder)
        self._snapshots[owner_id] = snapshot

    def remove_legacy_files(self) -> bool:
        """Removes the one shared index an older release kept; True when there was one."""
        found = False
        for name in ("vectors.faiss", "lexical"):
            legacy = self.directory / name
            if legacy.is_dir():
                shutil.rmtree(legacy, ignore_errors=True)
                found = True
            elif legacy.exists():
                legacy.unlink()
                found = True
        return found
