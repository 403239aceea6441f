"""Administration for the local administrator (the CLI beside a running server): accounts
and the audit trail. Every other account gets 403."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from app.api.deps import AccountsDep, CurrentUser, LibraryDep, audit
from app.api.errors import error_responses
from pipelines.accounts import AuthError
from pipelines.records import User
from pipelines.schemas import UserPublic

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


def admin(user: CurrentUser) -> User:
    if user.role != "admin":
        raise AuthError("administrators only", code="auth.forbidden")
    return user


Admin = Annotated[User, Depends(admin)]


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    admin: bool = False


class UserChange(BaseModel):
    disabled: bool | None = None
    password: str | None = Field(None, min_length=1, max_length=256)


@router.get(
    "/users",
    summary="Every account",
    response_model=list[UserPublic],
    responses=error_responses(401, 403),
)
def list_users(user: Admin, library: LibraryDep) -> list[UserPublic]:
    return [UserPublic.of(u) for u in library.catalog.list_users()]


@router.post(
    "/users",
    status_code=201,
    summary="Create an account",
    response_model=UserPublic,
    responses=error_responses(401, 403, 409, 422),
)
def create_user(
    body: NewUser, request: Request, user: Admin, accounts: AccountsDep, library: LibraryDep
) -> UserPublic:
    created = accounts.register(
        body.username, body.password, role="admin" if body.admin else "user"
    )
    audit(request, "user.created", user=created)
    return UserPublic.of(created)


@router.patch(
    "/users/{username}",
    summary="Disable, enable or reset the password of an account",
    response_model=UserPublic,
    responses=error_responses(401, 403, 404, 422),
)
def change_user(
    username: str,
    body: UserChange,
    request: Request,
    user: Admin,
    accounts: AccountsDep,
    library: LibraryDep,
) -> UserPublic:
    changed = accounts.user_named(username)
    if body.password is not None:
        changed = accounts.reset_password(username, body.password)
        audit(request, "user.password_reset", user=changed)
    if body.disabled is not None:
        changed = accounts.set_disabled(username, body.disabled)
        audit(request, "user.disabled" if body.disabled else "user.enabled", user=changed)
    return UserPublic.of(changed)


@router.get(
    "/audit", summary="Security events, newest first", responses=error_responses(401, 403, 422)
)
def audit_events(
    user: Admin, library: LibraryDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    return library.catalog.audit_events(limit=limit)
