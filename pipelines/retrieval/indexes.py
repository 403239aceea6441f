"""Each owner's two derived search indexes (FAISS vectors, BM25 words), kept in step with the
catalog. A change is built aside and swapped in: a search holds one snapshot from start to end
and never sees a half-updated index, and no owner's search can reach another's passages.

A small library's indexes are rebuilt whole on every change (under a second). A large one's
are layered (pipelines/retrieval/layered.py): a change rebuilds only the delta, and the whole
is rebuilt in the background once the delta outgrows ``COMPACT_SHARE`` of the base."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.logs import get_logger
from pipelines.retrieval.index_files import (
    DELTA,
    HIDDEN,
    IDS_DIGESTS,
    sizes_as_recorded,
    verify_checksums,
    write_checksums,
)
from pipelines.storage.catalog import OwnerCatalog
from pipelines.storage.files import atomic_write

if TYPE_CHECKING:
    import numpy as np

    from pipelines.retrieval.layered import LayeredVectors, LayeredWords

log = get_logger(__name__)
_OWNER_ID = re.compile(r"^[a-z0-9_-]{1,64}$")
# Below this many passages a change rebuilds the indexes whole (BM25 over 50,000 passages
# builds in about a second); from it, a change rebuilds the delta only.
LAYERED_FROM = 50_000
# The delta (its passages plus the base's hidden ids) is folded into a new base once it is
# this share of the base: searches ask a small second index, and BM25's mean passage length
# and the base's own document frequencies stay close to the library's.
COMPACT_SHARE = 0.1
# How long closing waits for a running compaction (one whole rebuild: about a minute at 10^6
# passages on 2 cores) before leaving it; one left publishes nothing.
CLOSE_WAIT_S = 30.0
LEGACY_VECTOR_IDS = "vectors.ids.npy"  # what an older release kept for those checks


def ids_digest(ids: Iterable[int]) -> str:
    """SHA-256 of chunk ids in increasing order, written in decimal and joined by commas: what
    the catalog's ``chunk_digest`` computes in SQL. Equal digests, equal id sets."""
    text = ",".join(str(i) for i in sorted(int(i) for i in ids))
    return hashlib.sha256(text.encode()).hexdigest()


EMPTY_DIGEST = ids_digest(())


@dataclass(frozen=True)
class IndexSnapshot:
    """One owner's indexes at one moment. Never changed after it is published."""

    vectors: LayeredVectors
    lexical: LayeredWords

    def digests(self) -> tuple[str, str]:
        """``ids_digest`` of the ids in the (vector, word) index."""
        return ids_digest(self.vectors.ids()), ids_digest(self.lexical.ids())


class SearchIndexes:
    """Per-owner snapshots under ``directory/owners/<owner_id>``. Reads take no lock; updates
    are serialised by one lock and publish a new snapshot with a single assignment."""

    def __init__(
        self,
        directory: Path,
        *,
        layered_from: int = LAYERED_FROM,
        compact_share: float = COMPACT_SHARE,
        compact_in_background: bool = True,
        exact_below: int | None = None,
    ) -> None:
        self.directory = directory
        self._layered_from = layered_from
        self._exact_below = exact_below  # None: the vector index's own (vectors.EXACT_BELOW)
        self._compact_share = compact_share
        self._snapshots: dict[str, IndexSnapshot] = {}
        self._update = threading.RLock()
        self._background = compact_in_background
        self._compactions: dict[str, threading.Thread] = {}
        # Bumped by each whole rebuild: a compaction that began before one is dropped (the
        # rebuild's base is newer than the catalog the compaction read).
        self._generation: dict[str, int] = {}
        self._closed = False  # closing: no compaction starts or publishes any more

    def _folder(self, owner_id: str) -> Path:
        if not _OWNER_ID.match(owner_id):
            raise ValueError(f"not an owner id: {owner_id!r}")
        return self.directory / "owners" / owner_id

    def snapshot(self, owner_id: str) -> IndexSnapshot:
        """The owner's current indexes (loaded from disk on first use)."""
        found = self._snapshots.get(owner_id)
        if found is None:
            with self._update:
                found = self._snapshots.get(owner_id)
                if found is None:
                    folder = self._folder(owner_id)
                    verify_checksums(folder)
                    verify_checksums(folder / DELTA)
                    from pipelines.retrieval.layered import load_layers

                    found = IndexSnapshot(*load_layers(folder))
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
        if not record.exists() or not sizes_as_recorded(folder):
            return "", ""
        digests = json.loads(record.read_text())
        if "delta" in digests:  # layered: the delta's files must be whole too
            if not sizes_as_recorded(folder / DELTA):
                return "", ""
            digests = digests["delta"]
        return str(digests["vectors"]), str(digests["words"])

    def _built_whole(self, catalog: OwnerCatalog) -> tuple[LayeredVectors, LayeredWords]:
        from pipelines.retrieval.layered import built_whole

        if self._exact_below is None:
            return built_whole(*catalog.all_chunks())
        return built_whole(*catalog.all_chunks(), exact_below=self._exact_below)

    def rebuild(self, catalog: OwnerCatalog) -> int:
        """Rebuilds the catalog owner's indexes from the catalog (the source of truth), whole,
        with no delta; returns the number of passages."""
        owner_id = catalog.owner_id
        with self._update:
            self._generation[owner_id] = self._generation.get(owner_id, 0) + 1
            snapshot = IndexSnapshot(*self._built_whole(catalog))
            self._publish(owner_id, snapshot, base=True)
        log.info("index.rebuilt", owner_id=owner_id, chunks=len(snapshot.vectors))
        return len(snapshot.vectors)

    def replace(
        self,
        catalog: OwnerCatalog,
        *,
        old_ids: np.ndarray | Sequence[int],
        new_ids: Sequence[int],
        vectors: np.ndarray | None,
    ) -> None:
        """Takes a change of the catalog into the owner's indexes: ``old_ids`` are gone (a
        video deleted or re-ingested), ``new_ids`` with their ``vectors`` are new. A small
        library's vectors change in place and its BM25 is rebuilt whole (under a second); a
        large one's delta only, compacted once it is large."""
        import numpy as np

        from pipelines.retrieval.layered import (
            LayeredVectors,
            LayeredWords,
            delta_size,
            delta_words,
        )
        from pipelines.retrieval.lexical import LexicalIndex

        owner_id = catalog.owner_id
        with self._update:
            current = self.usable_snapshot(catalog)
            base = current.vectors.base
            gone = np.asarray(old_ids, dtype=np.int64)
            if len(base) + len(current.vectors.delta) + len(new_ids) < self._layered_from:
                if len(current.vectors.delta) or len(current.vectors.hidden) or not base.exact:
                    self.rebuild(catalog)  # shrunk below the layers' size: made whole again
                    return
                whole = base.copy()  # the vectors changed in place; BM25 rebuilt whole
                whole.remove(gone)
                if vectors is not None and len(new_ids):
                    whole.add(np.asarray(new_ids, dtype=np.int64), vectors)
                words = LexicalIndex.build(*catalog.chunk_texts())
                self._publish(
                    owner_id, IndexSnapshot(LayeredVectors(whole), LayeredWords(words)), base=True
                )
                return
            delta = current.vectors.delta.copy()
            delta.remove(gone)
            if vectors is not None and len(new_ids):
                delta.add(np.asarray(new_ids, dtype=np.int64), vectors)
            # Every removed id, not only the base's: a compaction running now read the catalog
            # before some of these went, and hides them in its new base by this list.
            hidden = np.union1d(current.vectors.hidden, gone)
            words = delta_words(catalog, delta, current.lexical.base)
            layered = IndexSnapshot(
                LayeredVectors(base, delta, hidden),
                LayeredWords(current.lexical.base, words, hidden),
            )
            self._publish(owner_id, layered, base=False)
            if delta_size(layered.vectors) > self._compact_share * len(base):
                self._compact(catalog)

    def _compact(self, catalog: OwnerCatalog) -> None:
        """Folds the delta into a new base: built from the catalog aside (in the background
        unless told otherwise), then reconciled with what changed meanwhile, and published."""
        owner_id = catalog.owner_id
        running = self._compactions.get(owner_id)
        if self._closed or (running is not None and running.is_alive()):
            return
        generation = self._generation.get(owner_id, 0)

        def compact() -> None:
            try:
                started = time.perf_counter()
                whole = IndexSnapshot(*self._built_whole(catalog))
                self._fold(catalog, whole, generation)
                log.info(
                    "index.compacted",
                    owner_id=owner_id,
                    chunks=len(whole.vectors),
                    seconds=round(time.perf_counter() - started, 2),
                )
            except Exception as exc:  # the next change tries again; the delta still serves
                log.warning("index.compaction_failed", owner_id=owner_id, error=f"{exc}"[:300])

        if not self._background:
            compact()
            return
        thread = threading.Thread(target=compact, name=f"compact-{owner_id}", daemon=True)
        self._compactions[owner_id] = thread
        thread.start()

    def _fold(self, catalog: OwnerCatalog, whole: IndexSnapshot, generation: int) -> None:
        """Publishes ``whole`` (built from the catalog as it was when the compaction began) as
        the new base, keeping what changed since: passages added since stay in the delta,
        those removed since stay hidden."""
        import numpy as np

        from pipelines.retrieval.layered import LayeredVectors, LayeredWords, delta_words

        owner_id = catalog.owner_id
        with self._update:
            if self._closed or self._generation.get(owner_id, 0) != generation:
                return  # closed, or rebuilt whole meanwhile from a newer catalog
            current = self._snapshots[owner_id]
            base_ids = whole.vectors.base.ids()
            delta = current.vectors.delta.copy()
            delta.remove(base_ids)  # in the new base already
            hidden = np.intersect1d(current.vectors.hidden, base_ids)
            words = delta_words(catalog, delta, whole.lexical.base)
            folded = IndexSnapshot(
                LayeredVectors(whole.vectors.base, delta, hidden),
                LayeredWords(whole.lexical.base, words, hidden),
            )
            self._publish(owner_id, folded, base=True)

    def wait(self, timeout: float | None = None) -> None:
        """Waits for the compactions running now (a benchmark, a test)."""
        for thread in list(self._compactions.values()):
            thread.join(timeout)

    def close(self, timeout: float = CLOSE_WAIT_S) -> bool:
        """For a closing library: no compaction starts or publishes from now on, and those
        running are waited for up to ``timeout`` s in all (they read the catalog, which
        closes next). True when none is left running; one that is, is left to fail or to
        finish unpublished (a daemon thread: it does not hold the process open)."""
        with self._update:  # a compaction publishing now finishes first
            self._closed = True
        deadline = time.monotonic() + timeout
        for thread in list(self._compactions.values()):
            thread.join(max(0.0, deadline - time.monotonic()))
        running = sorted(t.name for t in self._compactions.values() if t.is_alive())
        if running:
            log.warning("index.compaction_left", compactions=running, waited_s=timeout)
        return not running

    def _publish(self, owner_id: str, snapshot: IndexSnapshot, *, base: bool) -> None:
        # Files first (each written aside and renamed), then the one assignment searches see.
        # The base's files only when it is new: a delta's change writes the delta's.
        import numpy as np

        folder = self._folder(owner_id)
        layers = snapshot.vectors
        if base:
            layers.base.save(folder / "vectors.faiss")
            snapshot.lexical.base.save(folder / "lexical")
            write_checksums(folder)
        delta = folder / DELTA
        vectors, words = snapshot.digests()
        record: dict[str, object] = {"vectors": vectors, "words": words}
        if len(layers.delta) or len(layers.hidden):
            layers.delta.save(delta / "vectors.faiss")
            snapshot.lexical.delta.save(delta / "lexical")
            with atomic_write(delta / HIDDEN) as partial, partial.open("wb") as handle:
                np.save(handle, layers.hidden)
            write_checksums(delta)
            # Digests a release without layers cannot match (it would read the base alone
            # as the whole): it rebuilds instead of serving a library without its delta.
            record = {"vectors": "layered", "words": "layered", "delta": record}
        else:
            shutil.rmtree(delta, ignore_errors=True)
        with atomic_write(folder / IDS_DIGESTS) as partial:
            partial.write_text(json.dumps(record))
        (folder / LEGACY_VECTOR_IDS).unlink(missing_ok=True)
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
