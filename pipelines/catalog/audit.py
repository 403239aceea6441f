"""The audit trail: security events (sign-ups, logins, token reuse, uploads, deletes...)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pipelines.catalog.db import Database


class AuditTables(Database):
    def audit(
        self,
        event: str,
        *,
        user_id: str | None = None,
        username: str | None = None,
        ip: str | None = None,
        request_id: str | None = None,
        **detail: Any,
    ) -> None:
        with self.transaction():
            self.con.execute(
                "INSERT INTO audit (event, user_id, username, ip, request_id, detail) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [event, user_id, username, ip, request_id, json.dumps(detail, default=str)],
            )

    def audit_events(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """The newest events first."""
        rows = self.con.execute(
            "SELECT id, occurred_at, event, user_id, username, ip, request_id, detail FROM audit "
            "ORDER BY id DESC LIMIT ?",
            [limit],
        ).fetchall()
        keys = ("id", "occurred_at", "event", "user_id", "username", "ip", "request_id", "detail")
        events = []
        for row in rows:
            event = dict(zip(keys, row, strict=True))
            event["detail"] = json.loads(event["detail"])
            at: datetime = event["occurred_at"]
            event["occurred_at"] = at.isoformat() + "Z"
            events.append(event)
        return events
