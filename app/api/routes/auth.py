"""Accounts and tokens: register, login (JSON or the OAuth2 password form), refresh, logout, me."""

from __future__ import annotations

import json
import re
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool

from app.api.char_class import any_case
from app.api.deps import (
    AccountsDep,
    CurrentUser,
    LibraryDep,
    LimitsDep,
    audit,
    sign_in,
    sign_up,
)
from app.api.errors import error_responses
from app.api.password_rule import weak_schema
from pipelines.accounts import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    RESERVED_USERNAMES,
    AuthError,
    TokenPair,
    check_password,
    check_username,
)
from pipelines.errors import VidscopeError
from pipelines.public import UserPublic

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64, examples=["alice"])
    password: str = Field(min_length=1, max_length=256, examples=["correct horse battery"])


# The username rule of pipelines.accounts.check_username (which lowercases first), in the
# schema, so a client learns it from the document rather than from auth.bad_username.
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$"
# The reserved names, in any case ('Admin' is 'admin' once lowercased): auth.bad_username.
RESERVED_PATTERN = "^(?:" + "|".join(any_case(name) for name in sorted(RESERVED_USERNAMES)) + ")$"


class NewCredentials(BaseModel):
    """A new account's name and password; what breaks the rules the schema states is refused
    with the rule's own code (auth.bad_username, auth.weak_password), as before the schema
    stated them."""

    username: str = Field(
        min_length=3,
        max_length=32,
        pattern=USERNAME_PATTERN,
        description="3 to 32 letters, digits, '.', '_' and '-', starting with a letter or "
        "digit; stored lowercased. "
        + ", ".join(f"'{name}'" for name in sorted(RESERVED_USERNAMES))
        + " are reserved, in any case (the schema's 'not')",
        examples=["alice"],
        json_schema_extra={"not": {"pattern": RESERVED_PATTERN}},
    )
    password: str = Field(
        min_length=MIN_PASSWORD,
        max_length=MAX_PASSWORD,
        description=f"{MIN_PASSWORD} to {MAX_PASSWORD} characters; not a common password, "
        "a run of one or two characters, only digits (the schema's 'not' states these), or "
        "the username's letters (auth.weak_password)",
        examples=["correct horse battery"],
        json_schema_extra=weak_schema(),
    )

    # Before the field's own constraints, so these break with the rule's code rather than
    # request.invalid. check_* of an empty value raises the rule's error and message.
    @field_validator("username", mode="before")
    @classmethod
    def _username_rule(cls, value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(USERNAME_PATTERN, value):
            check_username("")
        return value

    @field_validator("password", mode="before")
    @classmethod
    def _password_rule(cls, value: object) -> object:
        if isinstance(value, str) and not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
            check_password("")
        return value


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")

    @classmethod
    def of(cls, tokens: TokenPair) -> TokenResponse:
        return cls(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
        )


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


async def _credentials(request: Request) -> Credentials:
    """JSON ``{"username","password"}``, or the OAuth2 password form Swagger's Authorize sends."""
    body = await request.body()
    try:
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            return Credentials.model_validate(form)
        return Credentials.model_validate(json.loads(body or b"null"))
    except (ValidationError, ValueError, UnicodeDecodeError) as exc:
        raise VidscopeError(
            'send JSON {"username": ..., "password": ...} or an OAuth2 password form',
            code="request.invalid",
        ) from exc


@router.post(
    "/register",
    status_code=201,
    summary="Create an account",
    response_model=UserPublic,
    responses=error_responses(403, 409, 422),
)
async def register(
    body: NewCredentials, request: Request, accounts: AccountsDep, limits: LimitsDep
) -> UserPublic:
    user = await sign_up(request, accounts, limits, body.username, body.password)
    return UserPublic.of(user)


@router.post(
    "/login",
    summary="Log in; returns an access token and a refresh token",
    response_model=TokenResponse,
    responses=error_responses(401, 403, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": Credentials.model_json_schema()},
                "application/x-www-form-urlencoded": {"schema": Credentials.model_json_schema()},
            },
        }
    },
)
async def login(
    credentials: Annotated[Credentials, Depends(_credentials)],
    request: Request,
    accounts: AccountsDep,
    limits: LimitsDep,
) -> TokenResponse:
    user = await sign_in(request, accounts, limits, credentials.username, credentials.password)
    tokens = await run_in_threadpool(accounts.issue, user)
    await run_in_threadpool(lambda: audit(request, "login.ok", user=user))
    return TokenResponse.of(tokens)


@router.post(
    "/refresh",
    summary="Trade a refresh token for a new pair (the old one is spent)",
    response_model=TokenResponse,
    responses=error_responses(401, 403, 422),
)
def refresh(
    body: RefreshRequest, request: Request, accounts: AccountsDep, library: LibraryDep
) -> TokenResponse:
    try:
        user, tokens = accounts.refresh(body.refresh_token)
    except AuthError as exc:
        if exc.code != "auth.token_reused":
            raise
        # The account is the audit log's, not the answer's: whoever presents a stolen token
        # learns nothing of whose it was.
        audit(request, "token.reused", user_id=exc.context.get("user_id"))
        raise AuthError(exc.message, code=exc.code) from None
    audit(request, "token.refreshed", user=user)
    return TokenResponse.of(tokens)


@router.post(
    "/logout",
    status_code=204,
    summary="End the login the refresh token names: its refresh tokens and the access "
    "token sent stop working",
    description="Ends only what the refresh token names: when it is one of a live login of "
    "yours, that login's refresh tokens stop working, and so does the access token this "
    "request carries when it was issued to that login (later calls with it answer 401 "
    "`auth.session_ended`); an access token of another login keeps working. A refresh "
    "token that names no live login of yours (spent, expired, another account's, made up) ends "
    "nothing, and the answer is 204 all the same, as RFC 7009 answers a token it does not "
    "know: the access token sent keeps working until it expires.",
    responses={
        204: {"description": "The login is ended, or there was none by that token"},
        **error_responses(401, 422),
    },
)
def logout(
    body: RefreshRequest, request: Request, user: CurrentUser, accounts: AccountsDep
) -> Response:
    sent = request.headers.get("authorization", "")
    login = accounts.logout(user, body.refresh_token)
    if login is not None and sent.lower().startswith("bearer "):
        # Only when the access token is of that login: a client that holds two logins
        # (two devices, or a test's fixture and the logins it makes) keeps the other.
        accounts.end_session(sent[7:].strip(), login=login)
    return Response(status_code=204)


@router.get(
    "/me",
    summary="The signed-in account",
    response_model=UserPublic,
    responses=error_responses(401),
)
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.of(user)
