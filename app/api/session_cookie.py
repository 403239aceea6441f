"""The web app's session cookie: its name, how it is set and cleared, and the one reading of a
request's ``Cookie`` headers that every layer uses — the API's routes, the sign-in pages, the
guard in front of Gradio and Gradio's own sign-in check.

The reading fails closed. Two parsers that disagree on a header (one takes the first match
and keeps the quotes, the other the last match, unquoted and trimmed) let a request pass one
check as nobody and the next as somebody. So a header is read the way Starlette reads it
(:func:`starlette.requests.cookie_parser`, which is also what ``request.cookies`` gives
Gradio), and it counts only when that reading has exactly one answer: the cookie present
once, in the form this server writes it (a bare JWT). Anything else — the cookie twice, in
quotes, with a space before ``=``, with two different values, with characters a token never
has — is :data:`AMBIGUOUS`, which every layer treats as not signed in.

Over HTTPS the cookie is ``__Host-vidscope_session`` with ``Secure``: a browser accepts such a
cookie only from a secure page of this very host, with ``Path=/`` and no ``Domain``, so a
plain-HTTP page or a sibling domain cannot plant one. Cookies are not separated by port, so
another HTTPS (or localhost) page on this host still can. So the sign-in form's answer keeps
the session's :func:`session_fingerprint` in the origin's storage (storage, unlike cookies,
is separated by port); the page sends it with its requests (``app/static/web/session-guard.js``),
the guard refuses an event or upload whose fingerprint is not its session's, and the page
signs such a session out."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from http.cookies import _unquote  # Starlette's own unquoting
from typing import Final, Literal

from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import Scope

SESSION_COOKIE: Final = "vidscope_session"
SECURE_SESSION_COOKIE: Final = "__Host-vidscope_session"
# A JWT: three base64url parts. Nothing else is a token this server wrote.
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_NAMES = frozenset(name.lower() for name in (SESSION_COOKIE, SECURE_SESSION_COOKIE))

AMBIGUOUS: Final = "ambiguous"
SessionRead = str | None | Literal["ambiguous"]


def cookie_name(*, secure: bool) -> str:
    """The session cookie's name on a connection that is (or is not) HTTPS."""
    return SECURE_SESSION_COOKIE if secure else SESSION_COOKIE


def is_secure(scope: Scope) -> bool:
    """Whether the request reached this server over HTTPS (its own TLS, or a proxy that
    uvicorn's ``--proxy-headers`` trusts and that said so)."""
    return scope.get("scheme") in ("https", "wss")


def read_session_token(headers: Iterable[tuple[bytes, bytes]], *, secure: bool) -> SessionRead:
    """The session token the request's ``Cookie`` headers carry: None when there is none, the
    token when Starlette's reading of the headers and a strict reading agree on exactly one
    well-formed value, else :data:`AMBIGUOUS`. On HTTPS only the ``__Host-`` cookie counts,
    and a plain one beside it makes the request ambiguous (it was planted)."""
    values = [value.decode("latin-1") for name, value in headers if name.lower() == b"cookie"]
    expected = cookie_name(secure=secure)
    found: list[str] = []
    for header in values:
        for chunk in header.split(";"):
            key, sep, raw = chunk.partition("=")
            if not sep:
                key, raw = "", chunk
            # The same trimming and unquoting as Starlette: if any spelling of the name
            # (any case, quoted or not) is there, it must be the one well-formed value.
            name = key.strip()
            if name.lower() in _NAMES or _unquote(name).strip().lower() in _NAMES:
                if name != expected or key != key.rstrip() or raw != raw.strip():
                    return AMBIGUOUS
                found.append(raw)
    if not found:
        return None
    # The same token twice (a client that sends its jar and the cookie again) is one answer.
    if len(set(found)) > 1 or not _TOKEN.fullmatch(found[0]):
        return AMBIGUOUS
    # Belt and braces: the framework's own reading (what request.cookies shows Gradio and
    # FastAPI, every Cookie header merged) must name the same token.
    merged: dict[str, str] = {}
    for header in values:
        merged.update(cookie_parser(header))
    if merged.get(expected) != found[0]:
        return AMBIGUOUS
    return found[0]


def scope_session_token(scope: Scope) -> SessionRead:
    """:func:`read_session_token` for an ASGI request."""
    return read_session_token(scope.get("headers", []), secure=is_secure(scope))


def session_fingerprint(token: str) -> str:
    """A name for one session that the page may keep in its storage: it tells sessions apart
    and reveals nothing of the token."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def set_session_cookie(response: Response, token: str, *, ttl_s: int, secure: bool) -> None:
    """Sets the session: HttpOnly (no script reads it), SameSite=Strict (no other site's
    request carries it), and over HTTPS the ``__Host-`` name with ``Secure``."""
    response.set_cookie(
        cookie_name(secure=secure),
        token,
        max_age=ttl_s,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    """Clears the session cookie (and, over HTTPS, a plain one an older page may have set)."""
    response.delete_cookie(
        cookie_name(secure=secure), path="/", httponly=True, samesite="strict", secure=secure
    )
    if secure:
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
