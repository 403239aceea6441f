"""The checks Gradio would make if it were launched, and the ones it never makes, in front of
its routes. Mounted on FastAPI, Gradio skips its own check of file inputs (``_check_allowed``
returns early unless ``launch()`` ran), and neither its uploads nor its result streams know
which user they belong to. So this guard wraps the mounted Gradio app itself: every request
that reaches Gradio passes through here first, and

- nothing but Gradio's static files is passed on without a user this guard verified (one
  reading of the cookie for every layer, :mod:`app.api.session_cookie`; a cookie it cannot
  read one way only is no user): the request is refused, never handed to Gradio's own check;
- an upload (``POST /gradio_api/upload``) is refused up front when it cannot fit the user's
  quota or the staging disk, and the paths Gradio answers with are written in the
  :class:`UploadLedger` under the user who sent them;
- any event payload (``queue/join``, ``run/*``, ``call/*``) that names a file names one of
  *this user's* ledger entries, a regular file inside the upload folder; anything else (a
  library file, another user's pending upload, ``/etc/passwd``, ``/dev/zero``, a FIFO) gets
  one answer, so nobody can probe which paths exist — and nothing is opened before the check;
- a session hash (a result stream) and an upload id (upload progress) belong to the user who
  first used them; another user naming them is refused;
- every event and upload must come from a page this origin's sign-in opened for the very
  session it carries (the page sends the session's fingerprint from the origin's storage):
  a session planted by a page on another port acts for nobody;
- every event and upload counts against the rate limits, per user and per address;
- Gradio's file routes (``/gradio_api/file=``, ``/gradio_api/file/``) serve nothing: the page
  needs none of them, and their refusals name server paths;
- an upload is named to the page by its place in the upload folder, never a server path.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette._utils import get_route_path
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import ambiguous_session
from app.api.errors import send_envelope, status_for
from app.api.session_cookie import AMBIGUOUS, scope_session_token, session_fingerprint
from app.web.ledger import UploadLedger, not_uploaded
from app.web.upload_body import CheckedBody, malformed_upload, multipart_boundary
from pipelines.errors import VidscopeError

PREFIX = "/gradio_api"
VERIFIED_USER = "vidscope_web_user"  # set in the request's (server-side) state by the guard
# Multipart framing around the file in Gradio's upload: headers, boundaries, the field name.
MULTIPART_SLACK_BYTES = 64 * 1024
_MAX_UPLOAD_ANSWER = 256 * 1024


def file_paths(payload: Any) -> Iterator[dict[str, Any]]:
    """Every file an event payload names: any object with a ``path`` (Gradio's FileData, with
    or without its ``meta``), at any depth; the objects themselves, so a path can be put
    back as the server knows it."""
    if isinstance(payload, dict):
        if payload.get("path") is not None:
            yield payload
        for value in payload.values():
            yield from file_paths(value)
    elif isinstance(payload, list):
        for value in payload:
            yield from file_paths(value)


class Bindings:
    """Keys (a session hash, an upload id) bound to the first user who used them."""

    def __init__(self, limit: int = 100_000) -> None:
        self._owners: dict[str, str] = {}
        self._limit = limit
        self._lock = threading.Lock()

    def bind(self, key: str, user_id: str) -> bool:
        """True when ``key`` is (now) the user's; False when another user holds it."""
        with self._lock:
            holder = self._owners.get(key)
            if holder is None:
                if len(self._owners) >= self._limit:  # forget the oldest half
                    for old in list(self._owners)[: self._limit // 2]:
                        del self._owners[old]
                self._owners[key] = user_id
                return True
            return holder == user_id


class GradioGuard:
    """ASGI app wrapped around the mounted Gradio app (see the module's docstring).
    ``user_of(token)`` names the user of a session token (or None); ``room_for_upload(user,
    size)`` the bytes they may still store (raising when the disk has no room);
    ``fn_count()`` how many events the page has; ``count_event(user, address)`` counts one
    event against the rate limits (raising ``rate.limited``)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        ledger: UploadLedger,
        user_of: Callable[[str], str | None],
        room_for_upload: Callable[[str, int], int],
        max_file_bytes: int,
        fn_count: Callable[[], int],
        count_event: Callable[[str, str], None] | None = None,
    ) -> None:
        self.app = app
        self.ledger = ledger
        self.user_of = user_of
        self.room_for_upload = room_for_upload
        self.max_file_bytes = max_file_bytes
        self.fn_count = fn_count
        self.count_event = count_event
        self.sessions = Bindings()
        self.uploads = Bindings()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] not in ("http", "websocket"):
            return  # nothing else reaches Gradio
        # The path as Gradio's router will match it (under --root-path too).
        path = get_route_path(scope)
        if scope["type"] == "http" and is_public_asset(path):
            await self.app(scope, receive, send)
            return
        # Fail closed: whatever reaches Gradio beyond its static files needs a user this
        # guard verified itself, with the one cookie reading every layer shares.
        token = scope_session_token(scope)
        user = None
        if token is not None and token != AMBIGUOUS:
            user = await run_in_threadpool(self.user_of, token)
        if user is None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await _send_error(scope, send, _not_signed_in(ambiguous=token == AMBIGUOUS))
            return
        # Gradio's sign-in check (PageAccess.session_user) takes exactly this user: no layer
        # behind the guard reads the cookie again.
        scope.setdefault("state", {})[VERIFIED_USER] = user
        if scope["type"] != "http" or not path.startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        route = path[len(PREFIX) :]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        try:
            if scope["method"] not in ("GET", "HEAD"):
                _check_page_session(scope, str(token))
            for key in query.get("session_hash", []):
                self._check_session(key, user)
            if route.startswith("/heartbeat/"):
                self._check_session(route.removeprefix("/heartbeat/"), user)
            for key in query.get("upload_id", []):
                if not self.uploads.bind(key, user):
                    raise VidscopeError("no such upload", code="upload.not_found")
            if route.startswith(("/file=", "/file/")):
                # Gradio's file routes serve the page nothing it needs (media, thumbnails and
                # clips come from the owner-checked API; uploads are never shown back), and
                # their refusals name server paths: one answer for every file.
                raise VidscopeError("no such file", code="upload.not_found")
            if scope["method"] == "POST" and self.count_event is not None:
                # Every event and upload the page sends is held to the API's rate limits,
                # per account and per address (their own counters: the page's polling does
                # not spend the account's API budget).
                client = scope.get("client")
                address = client[0] if client else "unknown"
                await run_in_threadpool(self.count_event, user, address)
            if route == "/upload" and scope["method"] == "POST":
                await self._upload(scope, receive, send, user)
                return
            if scope["method"] == "POST":
                receive = await self._check_event(scope, receive, user)
        except VidscopeError as exc:
            await _send_error(scope, send, exc)
            return
        await self.app(scope, receive, send)

    def _check_session(self, key: str, user: str) -> None:
        if key and not self.sessions.bind(key, user):
            raise VidscopeError(
                "this page session belongs to another sign-in; reload the page",
                code="web.session_mismatch",
            )

    async def _check_event(self, scope: Scope, receive: Receive, user: str) -> Receive:
        """Reads the event's JSON body (the outer layer caps its size), checks every file it
        names and its session, and hands the same bytes on."""
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None  # not JSON: Gradio answers it, with nothing to open
        if isinstance(payload, dict):
            session = payload.get("session_hash")
            if isinstance(session, str):
                self._check_session(session, user)
            fn_index = payload.get("fn_index")
            if fn_index is not None and not (
                isinstance(fn_index, int) and 0 <= fn_index < self.fn_count()
            ):
                raise VidscopeError(
                    f"the page has no event number {fn_index!r}; reload the page",
                    code="web.unknown_event",
                )
        named_files = list(file_paths(payload))
        for named in named_files:
            shown = str(named["path"])
            path = self.ledger.locate(shown)
            if not self.ledger.owns(user, path):
                raise not_uploaded(Path(shown).name)
            named["path"] = path  # Gradio opens the file where the server keeps it
        if named_files:
            body = json.dumps(payload).encode()
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    async def _upload(self, scope: Scope, receive: Receive, send: Send, user: str) -> None:
        declared = _header(scope, b"content-length")
        if not declared.isdigit() or _header(scope, b"transfer-encoding"):
            # Every check below needs the size up front, and the body is held to it; a body
            # sent in chunks (even beside a Content-Length) would pass them all.
            raise VidscopeError(
                "an upload must say its size in Content-Length, and only there (no "
                "Transfer-Encoding); the web page's own upload does, send the file from there",
                code="request.length_required",
            )
        size = int(declared)
        boundary = multipart_boundary(_header(scope, b"content-type"))
        if size > self.max_file_bytes + MULTIPART_SLACK_BYTES:
            raise VidscopeError(
                f"the file is over the {self.max_file_bytes}-byte limit "
                "(VIDSCOPE_MAX_FILE_BYTES); split the recording or ask the operator to "
                "raise the limit",
                code="media.too_large",
                limit_bytes=self.max_file_bytes,
            )
        # Room on the disk and in the quota, held for this upload until it is written (as
        # the API's upload), before a byte is stored.
        release = await run_in_threadpool(
            self.ledger.reserve,
            user,
            max(0, size - MULTIPART_SLACK_BYTES),
            lambda: self.room_for_upload(user, size),
        )
        body = CheckedBody(receive, size=size, boundary=boundary)
        try:
            await self._stored_upload(scope, body, send, user)
        finally:
            release()

    async def _stored_upload(self, scope: Scope, body: CheckedBody, send: Send, user: str) -> None:
        """Gradio stores the upload; its answer is recorded in the ledger and rewritten. A
        body that breaks its framing is answered here (Gradio keeps none of it)."""
        await run_in_threadpool(self.ledger.sweep)
        # The answer is read and rewritten here: it must come uncompressed.
        scope = {
            **scope,
            "headers": [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"],
        }
        start: Message | None = None
        answer = bytearray()

        async def record(message: Message) -> None:
            nonlocal start
            if body.broken:
                return  # answered below
            if message["type"] == "http.response.start" and message["status"] == 200:
                start = message  # sent with the rewritten answer, whose length differs
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            if len(answer) + len(message.get("body", b"")) > _MAX_UPLOAD_ANSWER:
                raise VidscopeError("the upload's answer is too long", code="upload.failed")
            answer.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            try:
                paths = json.loads(bytes(answer))
            except ValueError:
                paths = []
            shown = []
            for path in paths if isinstance(paths, list) else []:
                self.ledger.add(user, str(path))
                shown.append(self.ledger.shown(str(path)))
            rewritten = json.dumps(shown).encode()
            headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
            headers.append((b"content-length", str(len(rewritten)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": rewritten})

        try:
            await self.app(scope, body.receive, record)
        except Exception:
            if not body.broken:
                raise
        if body.broken:
            raise malformed_upload()


# What Gradio serves to anyone: its own scripts, styles and icons, the same for every visitor.
PUBLIC_ASSETS = ("/assets/", "/static/", "/svelte/", "/pwa_icon/")
PUBLIC_FILES = frozenset(
    {"/favicon.ico", "/theme.css", "/robots.txt", "/manifest.json", "/pwa_icon"}
)


def is_public_asset(path: str) -> bool:
    """Whether Gradio serves ``path`` to a visitor who is not signed in (static files only)."""
    return (path in PUBLIC_FILES or path.startswith(PUBLIC_ASSETS)) and ".." not in path


PAGE_SESSION_HEADER = b"x-vidscope-session"


def _check_page_session(scope: Scope, token: str) -> None:
    """An event or an upload must come from a page that this origin's own sign-in form
    opened for this very session: the page sends the session's fingerprint that the form's
    answer kept in the origin's storage (session-guard.js). A session planted by a page on
    another port of the host (cookies are not separated by port, storage is) has another
    fingerprint, or none, and acts for nobody."""
    if _header(scope, PAGE_SESSION_HEADER) != session_fingerprint(token):
        raise VidscopeError(
            "this page's session is not the one its sign-in made (another page on this "
            "computer may have replaced it); reload the page and sign in again",
            code="web.session_changed",
        )


def _not_signed_in(*, ambiguous: bool) -> VidscopeError:
    if ambiguous:
        return ambiguous_session()
    return VidscopeError(
        "sign in first: this request carries no session this server can verify (signed "
        "out, expired or ended); reload the page",
        code="auth.missing_token",
    )


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


async def _send_error(scope: Scope, send: Send, exc: VidscopeError) -> None:
    retry_after = exc.context.get("retry_after")
    await send_envelope(
        send,
        status=status_for(exc.code),
        code=exc.code,
        message=exc.message,
        correlation_id=scope.get("state", {}).get("request_id"),
        details={k: v for k, v in exc.context.items() if isinstance(v, int | float | bool)},
        retry_after_s=int(retry_after) if isinstance(retry_after, int | float) else None,
    )
