"""The administrator's calls of ``RemoteLibrary`` (app/client.py): accounts, the audit trail,
doctor and backup, made through the REST API of the server that owns the library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from pipelines.public import UserPublic


class RemoteAdministration:
    """``AdminPort`` over HTTP; ``RemoteLibrary`` gives it ``_call``."""

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        raise NotImplementedError

    def users(self) -> list[UserPublic]:
        return [
            UserPublic.model_validate(u) for u in self._call("GET", "/api/v1/admin/users").json()
        ]

    def create_user(self, username: str, password: str, *, admin: bool) -> UserPublic:
        body = {"username": username, "password": password, "admin": admin}
        return UserPublic.model_validate(
            self._call("POST", "/api/v1/admin/users", json=body).json()
        )

    def change_user(
        self, username: str, *, disabled: bool | None = None, password: str | None = None
    ) -> UserPublic:
        change = {"disabled": disabled, "password": password}
        response = self._call(
            "PATCH",
            f"/api/v1/admin/users/{username}",
            json={k: v for k, v in change.items() if v is not None},
        )
        return UserPublic.model_validate(response.json())

    def audit_events(self, limit: int) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self._call(
            "GET", "/api/v1/admin/audit", params={"limit": limit}
        ).json()
        return events

    def doctor(self, *, fix: bool = False) -> dict[str, Any]:
        """The server examines the library it holds open (and repairs it, with ``fix``)."""
        path = "/api/v1/admin/doctor/fix" if fix else "/api/v1/admin/doctor"
        report: dict[str, Any] = self._call("POST" if fix else "GET", path, timeout=None).json()
        return report

    def backup(self, dest: Path) -> dict[str, Any]:
        """The server writes the backup (it owns the library), into ``dest`` on its machine."""
        report: dict[str, Any] = self._call(
            "POST",
            "/api/v1/admin/backup",
            json={"dest": str(Path(dest).expanduser().resolve())},
            timeout=None,
        ).json()
        return report
