"""Administration: the accounts, the audit trail, backups and the doctor, for the local
administrator. The CLI calls it in-process (no server running) and the admin routes call it
for the CLI beside a running server, so both faces change accounts the same way and audit the
same events."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the public models load when an account is shown: a clip's audit needs none
    from pipelines.accounts import Accounts
    from pipelines.config import Settings
    from pipelines.public import UserPublic
    from pipelines.retrieval.indexes import SearchIndexes
    from pipelines.storage.catalog import Catalog


class Administration:
    def __init__(
        self, catalog: Catalog, accounts: Accounts, settings: Settings, indexes: SearchIndexes
    ) -> None:
        self._catalog = catalog
        self._accounts = accounts
        self._settings = settings
        self._layout = settings.layout
        self._indexes = indexes

    def doctor(self, *, fix: bool = False) -> dict[str, Any]:
        """The library's health (``pipelines.doctor``) while it is open here; ``fix`` repairs
        what can be repaired and reports what is left."""
        from pipelines.doctor import examine, examine_and_repair

        # The server writes while it is examined: a partial file counts as left behind only
        # when nothing touched it for ten minutes (uploads in progress are partial files).
        check = examine_and_repair if fix else examine
        report = check(self._settings, self._catalog, self._indexes, untouched_for_s=600.0)
        if fix:
            self.audit("library.doctor_fixed", fixed="; ".join(report.fixed))
        return report.to_dict()

    def backup(self, dest: Path) -> dict[str, Any]:
        """A consistent backup of the whole library into the new folder ``dest`` (on this
        machine), taken while it is in use (``storage.backup``)."""
        from pipelines.storage.backup import make_backup

        report = make_backup(self._catalog, self._layout, dest)
        self.audit("library.backed_up", dest=str(report.path), files=report.files)
        return {
            "path": str(report.path),
            "files": report.files,
            "bytes": report.bytes,
            "videos": report.videos,
            "seconds": round(report.seconds, 2),
        }

    def users(self) -> list[UserPublic]:
        """Every account."""
        from pipelines.public import UserPublic

        return [UserPublic.of(u) for u in self._catalog.list_users()]

    def create_user(
        self,
        username: str,
        password: str,
        *,
        admin: bool,
        ip: str | None = None,
        request_id: str | None = None,
    ) -> UserPublic:
        user = self._accounts.register(username, password, role="admin" if admin else "user")
        self.audit("user.created", user_id=user.id, ip=ip, request_id=request_id)
        from pipelines.public import UserPublic

        return UserPublic.of(user)

    def change_user(
        self,
        username: str,
        *,
        disabled: bool | None = None,
        password: str | None = None,
        ip: str | None = None,
        request_id: str | None = None,
    ) -> UserPublic:
        """Resets the password and/or disables (or enables) an account; each change audited."""
        user = self._accounts.user_named(username)
        if password is not None:
            user = self._accounts.reset_password(username, password)
            self.audit("user.password_reset", user_id=user.id, ip=ip, request_id=request_id)
        if disabled is not None:
            user = self._accounts.set_disabled(username, disabled)
            event = "user.disabled" if disabled else "user.enabled"
            self.audit(event, user_id=user.id, ip=ip, request_id=request_id)
        from pipelines.public import UserPublic

        return UserPublic.of(user)

    # -- the audit trail: the one place a face records an event and reads them back ----------
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
        """Records a security event: an account's (``user_id``; its username is looked up
        when not given), the library's own (neither), or a failed sign-in's, which may name
        only the ``username`` tried. ``ip`` and ``request_id`` say where it came from."""
        if user_id is not None and username is None:
            user = self._catalog.find_user_by_id(user_id)
            username = user.username if user else None
        self._catalog.audit(
            event, user_id=user_id, username=username, ip=ip, request_id=request_id, **detail
        )

    def audit_events(self, limit: int) -> list[dict[str, Any]]:
        """Security events, newest first, every account's."""
        return self._catalog.system().audit_events(limit=limit)
