"""Passages (chunks) read back: with their sentences for answers and search results, and as
ids, texts and vectors for the search indexes, with the digest the indexes are checked
against at every start. Reads take ``owner_id``: another owner's passages are left out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from pipelines.records import Source
from pipelines.storage.catalog.speakers import SpeakerTables

if TYPE_CHECKING:  # loaded where vectors are read: opening a library needs none
    import numpy as np

# Passages read at a time to build an owner's indexes (``all_chunks``): 150 MB of rows.
ALL_CHUNKS_AT_ONCE = 100_000


@dataclass(frozen=True)
class PassageSentence:
    start: float
    end: float
    text: str
    vector: np.ndarray
    speaker: str | None = None  # as transcripts show it (``SpeakerTables.shown_speakers``)
    label: str | None = None  # as the ingest labelled it ("Speaker 2"), whatever its name


@dataclass(frozen=True)
class Passage:
    id: int
    video_id: str
    title: str
    start: float
    end: float
    text: str
    sentences: tuple[PassageSentence, ...]
    source: Source = "speech"


class PassageTables(SpeakerTables):
    def passage_counts(self, *, owner_id: str) -> dict[str, int]:
        """Passages (chunks) per video id of one owner (videos with none are absent)."""
        rows = self.con.execute(
            "SELECT video_id, count(*) FROM chunks WHERE video_id IN "
            "(SELECT id FROM videos WHERE owner_id = ?) GROUP BY video_id",
            [owner_id],
        )
        return {str(video_id): int(n) for video_id, n in rows.fetchall()}

    def passages(self, chunk_ids: Iterable[int], *, owner_id: str) -> dict[int, Passage]:
        """The owner's chunks with their video title and their sentences (with embeddings),
        by chunk id; another owner's chunk ids are left out. Primary-key reads: a join here
        scans whole tables (9 ms at 10^5 chunks)."""
        import numpy as np

        id_list = [int(i) for i in chunk_ids]
        if not id_list:
            return {}
        chunks = self.con.execute(
            'SELECT id, video_id, start, "end", text, segment_ids, source, '
            "CASE WHEN source = 'screen' THEN embedding END FROM chunks "
            "WHERE id IN (SELECT unnest(?))",
            [id_list],
        ).fetchall()
        video_ids = sorted({row[1] for row in chunks})
        titles = dict(
            self.con.execute(
                "SELECT id, title FROM videos WHERE id IN (SELECT unnest(?)) AND owner_id = ?",
                [video_ids, owner_id],
            ).fetchall()
        )
        chunks = [row for row in chunks if row[1] in titles]  # the owner's videos only
        segment_ids = [sid for row in chunks for sid in row[5]]
        shown = self.shown_speakers(titles)
        sentences = {
            sid: PassageSentence(
                start,
                end,
                text,
                np.frombuffer(blob, dtype=np.float32),
                shown.get(vid, {}).get(speaker, speaker),
                speaker,
            )
            for sid, vid, start, end, text, blob, speaker in self.con.execute(
                'SELECT id, video_id, start, "end", text, embedding, speaker FROM segments '
                "WHERE id IN (SELECT unnest(?))",
                [segment_ids],
            ).fetchall()
        }
        return {
            cid: Passage(
                cid,
                vid,
                titles[vid],
                start,
                end,
                text,
                # A screen passage is one "sentence": the text the picture showed.
                (PassageSentence(start, end, text, np.frombuffer(blob, dtype=np.float32)),)
                if source == "screen"
                else tuple(sentences[sid] for sid in sids if sid in sentences),
                source,
            )
            for cid, vid, start, end, text, sids, source, blob in chunks
        }

    def chunk_ids(self, *, owner_id: str, video_id: str | None = None) -> np.ndarray:
        """The owner's chunk ids in id order (``video_id``: that video's only)."""
        query = "SELECT id FROM chunks WHERE video_id IN (SELECT id FROM videos WHERE owner_id = ?)"
        params: list[Any] = [owner_id]
        if video_id is not None:
            query, params = query + " AND video_id = ?", [owner_id, video_id]
        import numpy as np

        rows = self.con.execute(query + " ORDER BY id", params).fetchnumpy()
        return np.asarray(rows["id"], dtype=np.int64)

    def chunk_digest(self, *, owner_id: str) -> str:
        """SHA-256 of the owner's chunk ids in id order, as decimal numbers joined by commas
        (``ids_digest``): computed by DuckDB, so checking an index against the catalog at
        every start loads no NumPy and copies no ids."""
        row = self.con.execute(
            "SELECT sha256(coalesce(string_agg(id::VARCHAR, ',' ORDER BY id), '')) FROM chunks "
            "WHERE video_id IN (SELECT id FROM videos WHERE owner_id = ?)",
            [owner_id],
        ).fetchone()
        assert row is not None  # an aggregate always returns its row
        return str(row[0])

    def fingerprint(self, *, owner_id: str) -> str:
        """The owner's passages as they are now, in a few characters: chunk ids come from a
        sequence and are never reused, so any ingest, re-ingest or delete changes it; so does
        naming a speaker, since answers say who said what they cite, and merging two (every
        speaker counts: one that joined a named one took no name of its own with it)."""
        row = self.con.execute(
            "SELECT count(*), coalesce(max(id), 0), coalesce(sum(id), 0), "
            "(SELECT coalesce(hash(string_agg(video_id || '/' || label || '/' || "
            "coalesce(name, ''), '|' ORDER BY video_id, label)), 0) FROM speakers "
            "WHERE video_id IN (SELECT id FROM videos WHERE owner_id = $owner)) "
            "FROM chunks WHERE video_id IN (SELECT id FROM videos WHERE owner_id = $owner)",
            {"owner": owner_id},
        ).fetchone()
        return "-".join(str(v) for v in row) if row else "0-0-0-0"

    def chunk_texts(
        self, *, owner_id: str, among: np.ndarray | None = None
    ) -> tuple[np.ndarray, list[str]]:
        """(ids, texts) of the owner's chunks by id; ``among``: of those ids only (a search
        index's delta layer: the batch, not the library)."""
        import numpy as np

        if among is not None:
            rows = self.con.execute(
                "SELECT id, text FROM chunks WHERE id IN (SELECT unnest($ids)) AND video_id IN "
                "(SELECT id FROM videos WHERE owner_id = $owner) ORDER BY id",
                {"ids": [int(i) for i in among], "owner": owner_id},
            ).fetchnumpy()
        else:
            rows = self.con.execute(
                "SELECT id, text FROM chunks WHERE video_id IN "
                "(SELECT id FROM videos WHERE owner_id = ?) ORDER BY id",
                [owner_id],
            ).fetchnumpy()
        return np.asarray(rows["id"], dtype=np.int64), [str(t) for t in rows["text"]]

    def all_chunks(self, *, owner_id: str) -> tuple[np.ndarray, list[str], np.ndarray]:
        """(ids, texts, embeddings) of an owner's chunks by id: what its indexes are built from.
        Read ``ALL_CHUNKS_AT_ONCE`` rows at a time into arrays sized by a count, and put in id
        order here: DuckDB sorting 10^6 rows of 1.5 KB held them all, and numpy columns of
        BLOBs, joined, held the vectors twice. 10^6 passages read through the Library: peak
        RSS 5.2 GB against 8.5 GB, ~8 CPU s against 12.1."""
        import numpy as np

        cursor = self.con
        where = "FROM chunks WHERE video_id IN (SELECT id FROM videos WHERE owner_id = ?)"
        (count,) = cursor.execute(f"SELECT count(*) {where}", [owner_id]).fetchone() or (0,)
        cursor.execute(f"SELECT id, text, embedding {where}", [owner_id])
        ids = np.empty(count, dtype=np.int64)
        texts: list[str] = []
        vectors = np.zeros((0, 0), dtype=np.float32)
        while rows := cursor.fetchmany(ALL_CHUNKS_AT_ONCE):
            got = np.frombuffer(b"".join(map(itemgetter(2), rows)), dtype=np.float32)
            got = got.reshape(len(rows), -1)
            first, end = len(texts), len(texts) + len(rows)
            if not first:
                vectors = np.empty((count, got.shape[1]), dtype=np.float32)
            if end > len(ids):  # passages added between the count and the rows
                ids = np.concatenate([ids, np.empty(end - len(ids), dtype=np.int64)])
                vectors = np.concatenate([vectors, got[len(vectors) - end :]])
            ids[first:end] = list(map(itemgetter(0), rows))
            texts.extend(map(itemgetter(1), rows))
            vectors[first:end] = got
        ids, vectors = ids[: len(texts)], vectors[: len(texts)]
        if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
            order = np.argsort(ids, kind="stable")
            ids, vectors, texts = ids[order], vectors[order], [texts[i] for i in order]
        return ids, texts, vectors
