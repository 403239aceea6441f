"""Accounts and their refresh tokens. Passwords and tokens are stored only as hashes, made by
the caller (``pipelines.accounts``); this module only keeps rows."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pipelines.errors import NotFoundError, VidscopeError
from pipelines.records import User
from pipelines.storage.catalog.db import Database

_USER_COLUMNS = "id, username, role, disabled, created_at"


def _user(row: Sequence[Any]) -> User:
    return User(*row)


class UserTables(Database):
    def add_user(self, *, username: str, password_hash: str, role: str = "user") -> User:
        user_id = uuid.uuid4().hex[:16]
        with self.transaction():
            if self.find_user(username) is not None:
                raise VidscopeError(
                    f"the username {username!r} is taken; choose another",
                    code="auth.username_taken",
                )
            self.con.execute(
                "INSERT INTO users (id, username, password_hash, role) VALUES (?, ?, ?, ?)",
                [user_id, username, password_hash, role],
            )
        return self.get_user(user_id)

    def get_user(self, user_id: str) -> User:
        row = self.con.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?",  # nosec B608  # constant columns; values bound
            [user_id],
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no user with id {user_id!r}", code="user.not_found")
        return _user(row)

    def find_user_by_id(self, user_id: str) -> User | None:
        row = self.con.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?",  # nosec B608  # constant columns; values bound
            [user_id],
        ).fetchone()
        return _user(row) if row else None

    def find_user(self, username: str) -> User | None:
        row = self.con.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE username = ?",  # nosec B608  # constant columns; values bound
            [username],
        ).fetchone()
        return _user(row) if row else None

    def password_hash(self, user_id: str) -> str | None:
        row = self.con.execute("SELECT password_hash FROM users WHERE id = ?", [user_id]).fetchone()
        return None if row is None else row[0]

    def list_users(self) -> list[User]:
        rows = self.con.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY created_at, username")  # nosec B608  # constant columns; values bound
        return [_user(r) for r in rows.fetchall()]

    def update_user(
        self, user_id: str, *, disabled: bool | None = None, password_hash: str | None = None
    ) -> None:
        with self.transaction():
            if disabled is not None:
                self.con.execute(
                    "UPDATE users SET disabled = ?, updated_at = now() WHERE id = ?",
                    [disabled, user_id],
                )
            if password_hash is not None:
                self.con.execute(
                    "UPDATE users SET password_hash = ?, updated_at = now() WHERE id = ?",
                    [password_hash, user_id],
                )

    # -- refresh tokens ---------------------------------------------------------------------
    def add_refresh_token(
        self, *, token_hash: str, user_id: str, family: str, expires_at: datetime
    ) -> None:
        with self.transaction():
            self.con.execute(
                "INSERT INTO refresh_tokens (token_hash, user_id, family, expires_at) "
                "VALUES (?, ?, ?, ?)",
                [token_hash, user_id, family, expires_at],
            )

    def use_refresh_token(self, token_hash: str) -> tuple[str, str, str]:
        """Marks a refresh token used; returns (outcome, user id, family) where outcome is
        'ok', 'reused' (it was used before: the caller revokes the family), 'revoked',
        'expired' or 'unknown'."""
        with self.transaction():
            row = self.con.execute(
                "SELECT user_id, family, used_at IS NOT NULL, revoked_at IS NOT NULL, "
                "expires_at < now() FROM refresh_tokens WHERE token_hash = ?",
                [token_hash],
            ).fetchone()
            if row is None:
                return "unknown", "", ""
            user_id, family, used, revoked, expired = row
            if revoked:
                return "revoked", user_id, family
            if used:
                return "reused", user_id, family
            if expired:
                return "expired", user_id, family
            self.con.execute(
                "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = ?", [token_hash]
            )
            return "ok", user_id, family

    def refresh_family(self, token_hash: str, *, user_id: str) -> str | None:
        """The family of a user's refresh token (None: not theirs, or unknown)."""
        row = self.con.execute(
            "SELECT family FROM refresh_tokens WHERE token_hash = ? AND user_id = ?",
            [token_hash, user_id],
        ).fetchone()
        return None if row is None else str(row[0])

    def revoke_family(self, family: str) -> None:
        with self.transaction():
            self.con.execute(
                "UPDATE refresh_tokens SET revoked_at = now() "
                "WHERE family = ? AND revoked_at IS NULL",
                [family],
            )

    def revoke_user_tokens(self, user_id: str) -> None:
        """Ends every session of the user: refresh tokens, and access tokens issued so far."""
        now_ms = int(time.time() * 1000)
        with self.transaction():
            self.con.execute(
                "UPDATE refresh_tokens SET revoked_at = now() "
                "WHERE user_id = ? AND revoked_at IS NULL",
                [user_id],
            )
            self.con.execute(
                "INSERT INTO session_cutoffs VALUES (?, ?) ON CONFLICT (user_id) "
                "DO UPDATE SET not_before_ms = excluded.not_before_ms",
                [user_id, now_ms],
            )

    def revoke_session(self, *, jti: str, user_id: str, expires_at: datetime) -> None:
        """Ends one access token before it expires (a sign-out); forgets expired ones."""
        with self.transaction():
            self.con.execute("DELETE FROM revoked_sessions WHERE expires_at < now()")
            self.con.execute(
                "INSERT INTO revoked_sessions VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [jti, user_id, expires_at],
            )

    def session_revoked(self, *, jti: str, user_id: str, issued_ms: int) -> bool:
        row = self.con.execute(
            "SELECT EXISTS (SELECT 1 FROM revoked_sessions WHERE jti = ?) OR EXISTS "
            "(SELECT 1 FROM session_cutoffs WHERE user_id = ? AND not_before_ms > ?)",
            [jti, user_id, issued_ms],
        ).fetchone()
        return bool(row and row[0])
