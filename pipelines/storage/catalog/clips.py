"""Clips the server cut for an owner."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from pipelines.errors import NotFoundError
from pipelines.records import Clip
from pipelines.storage.catalog.db import Database

CLIP_COLUMNS = 'id, owner_id, video_id, start, "end", status, path, size_bytes, created_at'


def clip_record(row: Sequence[Any]) -> Clip:
    return Clip(*row)


class ClipTables(Database):
    def add_clip(self, *, owner_id: str, video_id: str, start: float, end: float) -> str:
        clip_id = secrets.token_hex(8)
        with self.transaction():
            self.con.execute(
                'INSERT INTO clips (id, owner_id, video_id, start, "end", status) '
                "VALUES (?, ?, ?, ?, ?, 'pending')",
                [clip_id, owner_id, video_id, start, end],
            )
        return clip_id

    def get_clip(self, clip_id: str, *, owner_id: str) -> Clip:
        row = self.con.execute(
            f"SELECT {CLIP_COLUMNS} FROM clips WHERE id = ? AND owner_id = ?",  # nosec B608  # constant columns; values bound
            [clip_id, owner_id],
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no clip with id {clip_id!r}", code="clip.not_found")
        return clip_record(row)

    def finish_clip(self, clip_id: str, *, path: str | None, size_bytes: int | None) -> None:
        """Marks a clip ready (with its file) or, with ``path=None``, failed."""
        with self.transaction():
            self.con.execute(
                "UPDATE clips SET status = ?, path = ?, size_bytes = ? WHERE id = ?",
                ["ready" if path else "failed", path, size_bytes, clip_id],
            )

    def clips_of_video(self, video_id: str) -> list[Clip]:
        rows = self.con.execute(
            f"SELECT {CLIP_COLUMNS} FROM clips WHERE video_id = ?",  # nosec B608  # constant columns; values bound
            [video_id],
        ).fetchall()
        return [clip_record(r) for r in rows]

    def delete_clips_of_video(self, video_id: str) -> None:
        with self.transaction():
            self.con.execute("DELETE FROM clips WHERE video_id = ?", [video_id])
