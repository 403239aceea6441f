"""The audit trail: security events (sign-ups, logins, token reuse, uploads, deletes...)."""

from __future__ import annotations

import json
from typing import Any

from pipelines.storage.catalog.db import Database


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
