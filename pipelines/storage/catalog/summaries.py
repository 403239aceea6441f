"""What is made from a video's transcript and kept beside it: its sentence embeddings read back
in order, and its summaries (summary, key points, chapters), each stored with the fingerprint
of the transcript it was made from. Re-ingesting a video removes its summaries
(``VideoTables._delete_children``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.storage.catalog.db import Database

if TYPE_CHECKING:
    import numpy as np


class SummaryTables(Database):
    def segment_vectors(self, video_id: str) -> np.ndarray:
        """The video's sentence embeddings, in sentence order (one row per segment)."""
        import numpy as np

        rows = self.con.execute(
            "SELECT embedding FROM segments WHERE video_id = ? ORDER BY idx", [video_id]
        ).fetchall()
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        blob = b"".join(bytes(r[0]) for r in rows)
        return np.frombuffer(blob, dtype=np.float32).reshape(len(rows), -1)

    def transcript_fingerprint(self, video_id: str) -> str:
        """Changes whenever the video's transcript is replaced (segment ids are never reused)."""
        row = self.con.execute(
            "SELECT count(*), coalesce(max(id), 0) FROM segments WHERE video_id = ?", [video_id]
        ).fetchone()
        return "-".join(str(v) for v in row) if row else "0-0"

    def stored_summary(self, video_id: str, *, method: str, fingerprint: str) -> str | None:
        row = self.con.execute(
            "SELECT payload FROM summaries WHERE video_id = ? AND method = ? AND fingerprint = ?",
            [video_id, method, fingerprint],
        ).fetchone()
        return str(row[0]) if row else None

    def store_summary(self, video_id: str, *, method: str, fingerprint: str, payload: str) -> None:
        with self.transaction():
            self.con.execute(
                "INSERT OR REPLACE INTO summaries (video_id, method, fingerprint, payload) "
                "VALUES (?, ?, ?, ?)",
                [video_id, method, fingerprint, payload],
            )
