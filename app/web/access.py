"""The web page's access, for the guard in front of Gradio and for Gradio's own sign-in check:
which user a session token names, which user the guard verified for a request, and the room a
user has for an upload (their quota, with the page's pending uploads, and the staging disk)."""

from __future__ import annotations

from fastapi import Request

from app.web.guard import VERIFIED_USER
from app.web.ledger import UploadLedger
from pipelines.accounts import WEB_AUDIENCE, Accounts
from pipelines.errors import VidscopeError
from pipelines.library import Library
from pipelines.quota import count_pending
from pipelines.storage.faults import ensure_free_space


class PageAccess:
    """Bound to the server's library and accounts once they are open (:meth:`attach`)."""

    def __init__(self, ledger: UploadLedger) -> None:
        self.ledger = ledger
        self.library: Library | None = None
        self.accounts: Accounts | None = None

    def attach(self, library: Library, accounts: Accounts) -> None:
        self.library, self.accounts = library, accounts
        self.ledger.reset()
        # Files sent to the page and not yet uploaded are stored for their owner too: the
        # quota counts them, on every face (an API upload sees them as well).
        count_pending(library.settings.home, self.ledger.pending_bytes)

    def user_of_token(self, token: str) -> str | None:
        """The user id of a valid session token, else None."""
        if self.accounts is None:
            return None
        try:
            return self.accounts.verify(token, audience=WEB_AUDIENCE).id
        except VidscopeError:
            return None

    @staticmethod
    def session_user(request: Request) -> str | None:
        """Gradio's auth dependency: the user the guard verified for this very request (it
        refuses, before Gradio, every request it cannot attribute), else None."""
        verified = getattr(request.state, VERIFIED_USER, None)
        return verified if isinstance(verified, str) else None

    def room_for_upload(self, user_id: str, size_bytes: int) -> int:
        """The bytes the user may still store, after checking that the staging disk holds
        ``size_bytes`` and keeps ``VIDSCOPE_MIN_FREE_BYTES`` free (``storage.full``)."""
        if self.library is None:
            return 0
        settings = self.library.settings
        ensure_free_space(settings.layout.staging_dir, size_bytes, settings.limits.min_free_bytes)
        return self.library.for_owner(user_id).quota_left()
