"""Highlight reels the server makes for an owner: what they show (parts, fixed when asked,
so a reel does not change with the library while it waits), how, and the file once made."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from pipelines.errors import NotFoundError
from pipelines.records import Reel, ReelPart
from pipelines.storage.catalog.db import Database

REEL_COLUMNS = "id, owner_id, status, parts, options, path, size_bytes, created_at"


def reel_record(row: Sequence[Any]) -> Reel:
    reel_id, owner_id, status, parts, options, path, size_bytes, created_at = row
    return Reel(
        id=reel_id,
        owner_id=owner_id,
        status=status,
        parts=tuple(ReelPart(**p) for p in json.loads(parts)),
        options=json.loads(options),
        path=path,
        size_bytes=size_bytes,
        created_at=created_at,
    )


class ReelTables(Database):
    def add_reel(self, *, owner_id: str, parts: Sequence[ReelPart], options: dict[str, Any]) -> str:
        reel_id = secrets.token_hex(8)
        with self.transaction():
            self.con.execute(
                "INSERT INTO reels (id, owner_id, status, parts, options) "
                "VALUES (?, ?, 'pending', ?, ?)",
                [
                    reel_id,
                    owner_id,
                    json.dumps([asdict(p) for p in parts]),
                    json.dumps(options, sort_keys=True),
                ],
            )
        return reel_id

    def get_reel(self, reel_id: str, *, owner_id: str) -> Reel:
        row = self.con.execute(
            f"SELECT {REEL_COLUMNS} FROM reels WHERE id = ? AND owner_id = ?",  # nosec B608  # constant columns; values bound
            [reel_id, owner_id],
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no reel with id {reel_id!r}", code="reel.not_found")
        return reel_record(row)

    def finish_reel(self, reel_id: str, *, path: str | None, size_bytes: int | None) -> None:
        """Marks a reel ready (with its file) or, with ``path=None``, failed."""
        with self.transaction():
            self.con.execute(
                "UPDATE reels SET status = ?, path = ?, size_bytes = ? WHERE id = ?",
                ["ready" if path else "failed", path, size_bytes, reel_id],
            )

    def reels_of_video(self, video_id: str, *, owner_id: str) -> list[Reel]:
        """The owner's reels that show a part of the video."""
        rows = self.con.execute(
            f"SELECT {REEL_COLUMNS} FROM reels WHERE owner_id = ?",  # nosec B608  # constant columns; values bound
            [owner_id],
        ).fetchall()
        reels = [reel_record(row) for row in rows]
        return [r for r in reels if any(p.video_id == video_id for p in r.parts)]

    def delete_reel(self, reel_id: str, *, owner_id: str) -> None:
        with self.transaction():
            self.con.execute("DELETE FROM reels WHERE id = ? AND owner_id = ?", [reel_id, owner_id])
