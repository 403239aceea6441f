"""Dependencies the routes share: the library, the signed-in user, their library, limits."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from app.api.ratelimit import RateLimits
from app.api.session_cookie import AMBIGUOUS, scope_session_token
from pipelines.accounts import AUDIENCE, WEB_AUDIENCE, Accounts, AuthError
from pipelines.errors import VidscopeError
from pipelines.library import Library, OwnerLibrary
from pipelines.records import User
from pipelines.storage.catalog import LOCAL_OWNER

# Swagger's Authorize logs in with the password form at this URL (relative, so it also works
# under --root-path); any client may instead send a token it got from the JSON login.
_bearer = OAuth2PasswordBearer(
    tokenUrl="api/v1/auth/login",
    auto_error=False,
    description="An access token from POST /api/v1/auth/login",
)
ACT_AS_HEADER = "X-Vidscope-User"


def get_library(request: Request) -> Library:
    library: Library = request.app.state.library
    return library


def get_accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


def get_limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.limits
    return limits


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def audit(request: Request, event: str, *, user: User | None = None, **detail: Any) -> None:
    """Records a security event with the request's client address and id."""
    get_library(request).administration.audit(
        event,
        user_id=user.id if user else detail.pop("user_id", None),
        username=user.username if user else detail.pop("username", None),
        ip=client_ip(request),
        request_id=request.state.request_id,
        **detail,
    )


async def sign_in(
    request: Request, accounts: Accounts, limits: RateLimits, username: str, password: str
) -> User:
    """Checks a password for the API's login and the web's sign-in form alike: throttled per
    address, and per username on failed attempts only, so wrong passwords from elsewhere never
    lock the owner out (``RateLimits.before_password_check`` says how guessing one account
    from many addresses stays slow); a wrong attempt is audited. Raises ``rate.limited``,
    ``auth.failed`` or ``auth.disabled``."""
    name = username.strip().lower()
    limits.before_password_check(username=name, address=client_ip(request))
    try:
        user = await run_in_threadpool(accounts.authenticate, name, password)
    except AuthError as exc:
        reason = exc.code
        if reason == "auth.failed":
            limits.password_failed(username=name)
        await run_in_threadpool(
            lambda: audit(request, "login.failed", username=name, reason=reason)
        )
        raise
    limits.password_ok(username=name, address=client_ip(request))
    return user


async def sign_up(
    request: Request,
    accounts: Accounts,
    limits: RateLimits,
    username: str,
    password: str,
    **detail: Any,
) -> User:
    """Creates an account for the API's register route and the web's sign-up form alike:
    throttled per address, refused when ``VIDSCOPE_ALLOW_REGISTRATION`` is off, audited."""
    limits.hit(limits.logins, f"register-ip:{client_ip(request)}", what="sign-ups")
    if not get_library(request).settings.auth.allow_registration:
        raise VidscopeError(
            "sign-up is closed on this server; ask an administrator for an account",
            code="auth.registration_closed",
        )
    user = await run_in_threadpool(accounts.register, username, password)
    await run_in_threadpool(lambda: audit(request, "user.registered", user=user, **detail))
    return user


def current_user(
    request: Request,
    accounts: Annotated[Accounts, Depends(get_accounts)],
    limits: Annotated[RateLimits, Depends(get_limits)],
    token: Annotated[str | None, Depends(_bearer)],
) -> User:
    """The user an access token names, after the per-address and per-user rate limits.
    The local administrator (the CLI beside a running server) may act for another user by
    naming them in ``X-Vidscope-User``."""
    limits.hit(limits.requests, f"ip:{client_ip(request)}", what="requests from this address")
    audience = AUDIENCE
    if not token:
        cookie = scope_session_token(request.scope)
        if cookie == AMBIGUOUS:
            raise ambiguous_session()
        token, audience = cookie, WEB_AUDIENCE
    if not token:
        raise AuthError(
            "this route needs an access token: 'Authorization: Bearer <token>' from "
            "POST /api/v1/auth/login",
            code="auth.missing_token",
        )
    # A bearer token is the API's, a cookie's the web app's: neither passes for the other.
    user = accounts.verify(token, audience=audience)
    acting_for = request.headers.get(ACT_AS_HEADER)
    if acting_for and user.id == LOCAL_OWNER:
        user = accounts.user_named(acting_for)
        if user.disabled:
            raise AuthError(f"the account {acting_for!r} is disabled", code="auth.disabled")
    elif acting_for:
        raise AuthError(
            f"only the local administrator may use {ACT_AS_HEADER}", code="auth.forbidden"
        )
    limits.hit(limits.requests, f"user:{user.id}", what="requests for this account")
    request.state.user_id = user.id
    structlog.contextvars.bind_contextvars(user_id=user.id)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def ambiguous_session() -> AuthError:
    return AuthError(
        "the request carries the session cookie more than once or in a form this server "
        "never writes; sign out, or clear this site's cookies, and sign in again",
        code="auth.ambiguous_session",
    )


def session_user(request: Request) -> str | None:
    """The user id of a valid session cookie, else None (the web app's auth dependency; an
    ambiguous cookie is no session: see :mod:`app.api.session_cookie`)."""
    token = scope_session_token(request.scope)
    if token is None or token == AMBIGUOUS:
        return None
    try:
        user = get_accounts(request).verify(token, audience=WEB_AUDIENCE)
    except AuthError:
        return None
    request.state.user_id = user.id
    return user.id


def owner_library(
    user: CurrentUser, library: Annotated[Library, Depends(get_library)]
) -> OwnerLibrary:
    return library.for_owner(user.id)


MyLibrary = Annotated[OwnerLibrary, Depends(owner_library)]
LibraryDep = Annotated[Library, Depends(get_library)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
LimitsDep = Annotated[RateLimits, Depends(get_limits)]
