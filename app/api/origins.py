"""Which web pages may act on this server. A page on another origin — another port of the same
host included, which browsers count as the *same site*, so even SameSite=Strict cookies go
with its requests — must not change anything here with the visitor's session: no login or
sign-up form posted from elsewhere (login CSRF), no ``DELETE`` from a script on another port.

A request that changes state (any method but GET, HEAD and OPTIONS) passes when its
``Origin`` is this server's own or one of ``VIDSCOPE_CORS_ORIGINS``; else when the browser says
it comes from this origin (``Sec-Fetch-Site: same-origin``, or ``none`` for what the person
typed). Clients that are not browsers (the CLI, curl, scripts with a bearer token) send
neither header and pass. Reading is guarded by CORS: one policy for the
whole app (Starlette's, from the same setting, without credentials), which also switches
Gradio's own permissive CORS handling off."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.errors import send_envelope

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _origin_of(url: str) -> tuple[str, str] | None:
    """(scheme, host:port) of an origin; None for one that is not a URL or names no valid
    port (``http://h:abc``, ``:99999``): such a page is nobody's own and is refused."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return parts.scheme, f"{(parts.hostname or '').lower()}:{port}"


class SameOriginWrites:
    def __init__(self, app: ASGIApp, *, allowed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = {o for o in (_origin_of(url) for url in allowed_origins) if o}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            refusal = self._refusal(scope)
            if refusal is not None:
                await _forbid(scope, send, refusal)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> str | None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        claimed = _origin_of(origin) if origin else None
        if claimed is not None and (
            claimed == self._own(scope, headers) or claimed in self.allowed
        ):
            return None
        # The browser's own word first: it is not hidden by a referrer policy (a form posted
        # under 'no-referrer' says "Origin: null" even to its own site).
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None:
            if fetch_site in ("same-origin", "none"):
                return None
            return f"a {fetch_site} page ({origin or 'origin hidden'}) may not change anything here"
        if origin is not None:
            return f"a page on {origin} may not change anything here"
        return None  # not a browser: the CLI, curl, a script with a token

    @staticmethod
    def _own(scope: Scope, headers: dict[str, str]) -> tuple[str, str] | None:
        host = headers.get("host")
        if not host:
            return None
        return _origin_of(f"{scope.get('scheme', 'http')}://{host}")


async def _forbid(scope: Scope, send: Send, reason: str) -> None:
    await send_envelope(
        send,
        status=403,
        code="request.cross_origin",
        message=f"{reason}: open Vidscope itself, or list the page's origin in "
        "VIDSCOPE_CORS_ORIGINS",
        correlation_id=scope.get("state", {}).get("request_id"),
    )
