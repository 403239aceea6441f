"""The writer's half of ``vidscope batch`` while a server owns the library: the CLI runs the
Ray work and asks the server — the one writer — which files a user already has, to merge
the shards the workers wrote into the library folder, and for checked clip plans. Local
administrator only: the answers name server paths."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from app.api.batch_limits import (
    CLIPS_PER_CALL,
    OUTPUT_CHARS,
    SHA256S_PER_CALL,
    USER_CHARS,
    VIDEO_ID_CHARS,
)
from app.api.deps import CurrentUser, LibraryDep
from app.api.errors import error_responses
from pipelines.accounts import AuthError
from pipelines.errors import VidscopeError
from pipelines.library import Library, OwnerLibrary
from pipelines.records import User
from pipelines.storage.catalog import LOCAL_OWNER

router = APIRouter(prefix="/api/v1/admin/batches", tags=["admin"])
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


def local_admin(user: CurrentUser) -> User:
    if user.id != LOCAL_OWNER:
        raise AuthError("the local administrator only", code="auth.forbidden")
    return user


LocalAdmin = Annotated[User, Depends(local_admin)]


class ForUser(BaseModel):
    # Strict: JSON's 0 is not false, nor "1.5" a number, as the schema says.
    model_config = ConfigDict(strict=True)

    user: str | None = Field(
        None, max_length=USER_CHARS, description="The account the batch is for; none: local"
    )


class CheckRequest(ForUser):
    sha256s: list[Sha256] = Field(max_length=SHA256S_PER_CALL)


class CheckResult(BaseModel):
    ready: list[str]
    shards: str = Field(description="The folder batch workers write this user's shards to")


class MergeRequest(ForUser):
    batch_id: str = Field(pattern=r"^[0-9A-Za-z-]{1,64}$")
    sha256s: list[Sha256] = Field(max_length=SHA256S_PER_CALL)


class MergeResult(BaseModel):
    outcomes: list[dict[str, Any]]
    catalog_s: float
    index_s: float


class ClipRequest(BaseModel):
    # Strict: JSON's 0 is not false, nor "1.5" a number, as the schema says.
    model_config = ConfigDict(strict=True)

    video_id: str = Field(max_length=VIDEO_ID_CHARS)
    start: float = Field(ge=0)
    end: float = Field(gt=0)
    output: str = Field(min_length=1, max_length=OUTPUT_CHARS)


class ClipPlansRequest(ForUser):
    clips: list[ClipRequest] = Field(
        max_length=CLIPS_PER_CALL,
        description=f"At most {CLIPS_PER_CALL} a call (any body the schema allows fits under "
        "the default 1 MiB body limit); the CLI sends more in parts",
    )


def _owner(library: Library, body: ForUser) -> OwnerLibrary:
    if not body.user:
        return library.for_owner(LOCAL_OWNER)
    return library.for_owner(library.accounts.user_named(body.user).id)


@router.post(
    "/check",
    summary="Which of these files a user has indexed, and where shards go",
    response_model=CheckResult,
    responses=error_responses(401, 403, 404, 422),
)
def check(body: CheckRequest, admin: LocalAdmin, library: LibraryDep) -> CheckResult:
    owner = _owner(library, body)
    return CheckResult(
        ready=sorted(owner.ready_sha256s(body.sha256s)), shards=str(owner.shards_folder())
    )


@router.post(
    "/merge",
    summary="Merge a batch's shards into a user's library",
    response_model=MergeResult,
    responses=error_responses(401, 403, 404, 422),
)
def merge(body: MergeRequest, admin: LocalAdmin, library: LibraryDep) -> MergeResult:
    report = _owner(library, body).merge_shards(body.sha256s, batch_id=body.batch_id)
    return MergeResult(
        outcomes=[o.to_json() for o in report.outcomes],
        catalog_s=report.catalog_s,
        index_s=report.index_s,
    )


@router.post(
    "/clip-plans",
    summary="Check clips against a user's videos and plan them",
    responses=error_responses(401, 403, 404, 422),
)
def clip_plans(
    body: ClipPlansRequest, admin: LocalAdmin, library: LibraryDep
) -> list[dict[str, Any]]:
    owner = _owner(library, body)
    plans: list[dict[str, Any]] = []
    for clip in body.clips:
        try:
            plan = owner.clip_plan(
                clip.video_id, start=clip.start, end=clip.end, output=clip.output
            )
        except VidscopeError as exc:
            plans.append({"ok": False, "code": exc.code, "message": exc.message})
            continue
        plans.append({"ok": True, "plan": asdict(plan)})
    return plans
