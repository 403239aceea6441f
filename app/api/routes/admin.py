"""Administration for the local administrator (the CLI beside a running server): accounts
and the audit trail. Every other account gets 403."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import CurrentUser, LibraryDep, client_ip
from app.api.errors import error_responses
from app.api.routes.auth import NewCredentials
from pipelines.accounts import AuthError
from pipelines.public import UserPublic
from pipelines.records import User

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


def admin(user: CurrentUser) -> User:
    if user.role != "admin":
        raise AuthError("administrators only", code="auth.forbidden")
    return user


Admin = Annotated[User, Depends(admin)]


class NewUser(NewCredentials):
    # Strict: JSON's 0 is not false, nor "1.5" a number, as the schema says.
    model_config = ConfigDict(strict=True)

    admin: bool = False


class UserChange(BaseModel):
    # Strict: JSON's 0 is not false, nor "1.5" a number, as the schema says.
    model_config = ConfigDict(strict=True)

    disabled: bool | None = None
    password: str | None = Field(None, min_length=1, max_length=256)


@router.get(
    "/users",
    summary="Every account",
    response_model=list[UserPublic],
    responses=error_responses(401, 403),
)
def list_users(user: Admin, library: LibraryDep) -> list[UserPublic]:
    return library.administration.users()


@router.post(
    "/users",
    status_code=201,
    summary="Create an account",
    response_model=UserPublic,
    responses=error_responses(401, 403, 409, 422),
)
def create_user(body: NewUser, request: Request, user: Admin, library: LibraryDep) -> UserPublic:
    return library.administration.create_user(
        body.username, body.password, admin=body.admin, **_context(request)
    )


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
    library: LibraryDep,
) -> UserPublic:
    return library.administration.change_user(
        username, disabled=body.disabled, password=body.password, **_context(request)
    )


@router.get(
    "/audit", summary="Security events, newest first", responses=error_responses(401, 403, 422)
)
def audit_events(
    user: Admin, library: LibraryDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    return library.administration.audit_events(limit)


def _context(request: Request) -> dict[str, str | None]:
    """Who made an administrative change, for its audit event."""
    return {"ip": client_ip(request), "request_id": request.state.request_id}


class BackupRequest(BaseModel):
    dest: str = Field(
        min_length=1,
        max_length=4096,
        description="A new (or empty) folder on the server's machine, outside the library",
        examples=["/backups/vidscope-2026-11-30"],
    )


@router.post(
    "/backup",
    summary="Back up the whole library (consistent, while it is in use) into a folder",
    responses=error_responses(401, 403, 409, 422),
)
def backup(body: BackupRequest, user: Admin, library: LibraryDep) -> dict[str, Any]:
    from pathlib import Path

    return library.administration.backup(Path(body.dest))


@router.get(
    "/doctor",
    summary="The library's health: catalog, media, indexes, partial files, space, permissions",
    responses=error_responses(401, 403),
)
def doctor(user: Admin, library: LibraryDep) -> dict[str, Any]:
    """Reads only. Each finding has its fix; `healthy` is true when there is none."""
    return library.administration.doctor()


@router.post(
    "/doctor/fix",
    summary="Repair what the doctor can: rebuild indexes, remove partial files, make private",
    responses=error_responses(401, 403),
)
def doctor_fix(user: Admin, library: LibraryDep) -> dict[str, Any]:
    return library.administration.doctor(fix=True)
