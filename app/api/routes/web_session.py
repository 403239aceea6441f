"""Sign-in pages for the web app: plain HTML forms (they work before any script loads) that set
or clear the session cookie. The same accounts, passwords and throttling as the API."""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.api.deps import (
    AccountsDep,
    LibraryDep,
    LimitsDep,
    ambiguous_session,
    audit,
    sign_in,
    sign_up,
)
from app.api.session_cookie import (
    AMBIGUOUS,
    clear_session_cookie,
    is_secure,
    scope_session_token,
    session_fingerprint,
    set_session_cookie,
)
from pipelines.accounts import MAX_PASSWORD, MIN_PASSWORD, WEB_AUDIENCE, AuthError
from pipelines.errors import VidscopeError

router = APIRouter(tags=["web"], include_in_schema=False)

# Said before a new password is typed, not only after one is refused (pipelines/accounts.py's
# check_password is the rule; this is its plain statement).
_RULES_ATTRIBUTES = f' minlength="{MIN_PASSWORD}" aria-describedby="password-rules"'
_RULES = (
    f'<p class="hint" id="password-rules">{MIN_PASSWORD} to {MAX_PASSWORD} characters; not a '
    "common password, digits only, one character repeated or your username. Three unrelated "
    "words make a good one.</p>"
)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Vidscope</title>
<link rel="stylesheet" href="/static/web/sign-in.css">
</head><body><main>
<h1>Vidscope</h1>
<p class="lead">Search, watch and cut your recorded videos.</p>
<h2>{title}</h2>
{error}
<form method="post" action="{action}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required maxlength="64"
 value="{username}" autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" required maxlength="256"
 autocomplete="{password_kind}"{password_attributes}>
{password_rules}
<input type="hidden" name="next" value="{next}">
<button type="submit">{title}</button>
</form>
<p class="switch">{switch}</p>
</main>
<script src="/static/web/signed-out.js"></script>
</body></html>"""

# The sign-in form's answer: the cookie, and a page that records in this origin's storage the
# session the form made (session-guard.js on the web page checks it), then goes on.
_SIGNED_IN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signing in · Vidscope</title>
<link rel="stylesheet" href="/static/web/sign-in.css">
<noscript><meta http-equiv="refresh" content="0;url={next}"></noscript>
</head><body data-session="{session}" data-next="{next}">
<main><p>Signing you in… <a href="{next}">Continue</a></p></main>
<script src="/static/web/signed-in.js"></script>
</body></html>"""

# Why a person lands on the sign-in form without having asked to (``?reason=``).
_REASONS = {
    "session_changed": (
        "Your session changed under the page: another page on this computer replaced your "
        "sign-in with someone else's, so it was signed out. Sign in again."
    ),
    "signed_out": "Your session has ended. Sign in again.",
}


def _safe_next(target: str) -> str:
    """Only a path on this server: never another site (an open redirect). Browsers read a
    backslash as a slash (``/\\evil.example`` is ``//evil.example``) and drop tabs and line
    breaks from a URL, so a target with any of them is refused too."""
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    ):
        return "/"
    return target


def _page(
    *,
    title: str,
    action: str,
    switch: str,
    error: str = "",
    username: str = "",
    next_path: str = "/",
    status: int = 200,
) -> HTMLResponse:
    body = _PAGE.format(
        title=title,
        action=action,
        switch=switch,
        error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
        username=html.escape(username),
        next=html.escape(_safe_next(next_path)),
        password_kind="new-password" if action == "/signup" else "current-password",
        password_attributes=_RULES_ATTRIBUTES if action == "/signup" else "",
        password_rules=_RULES if action == "/signup" else "",
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _signed_in(request: Request, token: str, ttl_s: int, next_path: str) -> Response:
    body = _SIGNED_IN.format(
        session=session_fingerprint(token), next=html.escape(_safe_next(next_path))
    )
    response = HTMLResponse(body, headers={"Cache-Control": "no-store"})
    set_session_cookie(response, token, ttl_s=ttl_s, secure=is_secure(request.scope))
    return response


@router.api_route("/login", methods=["GET", "HEAD"])
def login_page(next: str = "/", reason: str = "") -> HTMLResponse:  # noqa: A002
    return _page(
        title="Sign in",
        action="/login",
        next_path=next,
        error=_REASONS.get(reason, ""),
        switch='No account yet? <a href="/signup">Sign up</a>',
    )


@router.get("/web/session")
def web_session(request: Request, accounts: AccountsDep) -> Response:
    """Which session the page's requests carry (a fingerprint, never the token), for the
    page's check that its own origin made it; 401 without a valid one."""
    token = scope_session_token(request.scope)
    if token is None or token == AMBIGUOUS:
        raise ambiguous_session() if token == AMBIGUOUS else _no_session()
    accounts.verify(token, audience=WEB_AUDIENCE)
    return JSONResponse(
        {"session": session_fingerprint(token)}, headers={"Cache-Control": "no-store"}
    )


def _no_session() -> VidscopeError:
    return AuthError("this page has no session; sign in", code="auth.missing_token")


@router.post("/login")
async def login_form(
    request: Request,
    accounts: AccountsDep,
    library: LibraryDep,
    limits: LimitsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
) -> Response:
    try:
        user = await sign_in(request, accounts, limits, username, password)
    except VidscopeError as exc:
        return _page(
            title="Sign in",
            action="/login",
            username=username,
            next_path=next,
            error=f"{exc.message} ({exc.code})",
            status=429 if exc.code == "rate.limited" else 401,
            switch='No account yet? <a href="/signup">Sign up</a>',
        )
    await run_in_threadpool(lambda: audit(request, "login.ok", user=user, via="web"))
    ttl = library.settings.auth.session_ttl_s
    token = accounts.access_token(user, ttl_s=ttl, audience=WEB_AUDIENCE)
    return _signed_in(request, token, ttl, next)


@router.api_route("/signup", methods=["GET", "HEAD"])
def signup_page() -> HTMLResponse:
    return _page(
        title="Sign up",
        action="/signup",
        switch='Have an account? <a href="/login">Sign in</a>',
    )


@router.post("/signup")
async def signup_form(
    request: Request,
    accounts: AccountsDep,
    library: LibraryDep,
    limits: LimitsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    try:
        user = await sign_up(request, accounts, limits, username, password, via="web")
    except VidscopeError as exc:
        return _page(
            title="Sign up",
            action="/signup",
            username=username,
            error=f"{exc.message} ({exc.code})",
            status=422,
            switch='Have an account? <a href="/login">Sign in</a>',
        )
    ttl = library.settings.auth.session_ttl_s
    token = accounts.access_token(user, ttl_s=ttl, audience=WEB_AUDIENCE)
    return _signed_in(request, token, ttl, "/")


@router.post("/logout")
def logout_form(request: Request, accounts: AccountsDep, reason: str = "") -> Response:
    """Ends the session on the server too: the cookie's token stops working at once, even
    where a copy of it survives the browser's deleting it."""
    token = scope_session_token(request.scope)
    if token is not None and token != AMBIGUOUS:
        accounts.end_session(token, audience=WEB_AUDIENCE)
    target = f"/login?reason={reason}" if reason in _REASONS else "/login"
    response = RedirectResponse(target, status_code=303)
    clear_session_cookie(response, secure=is_secure(request.scope))
    return response
