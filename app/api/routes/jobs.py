"""Jobs: what the worker is doing with your uploads and clips."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.deps import CurrentUser, LibraryDep
from app.api.errors import MAX_OFFSET, error_responses
from pipelines.public import JobPublic
from pipelines.records import JobStatus

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


class JobList(BaseModel):
    items: list[JobPublic]


@router.get(
    "",
    summary="Your jobs, newest first",
    response_model=JobList,
    responses=error_responses(401, 422),
)
def list_jobs(
    user: CurrentUser,
    library: LibraryDep,
    status: Annotated[JobStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JobList:
    jobs = library.for_owner(user.id).jobs(status=status, limit=limit, offset=offset)
    return JobList(items=[JobPublic.of(j) for j in jobs])


@router.get(
    "/{job_id}",
    summary="One of your jobs, with its stage and progress",
    response_model=JobPublic,
    responses=error_responses(401, 404),
)
def get_job(job_id: str, user: CurrentUser, library: LibraryDep) -> JobPublic:
    return JobPublic.of(library.for_owner(user.id).job(job_id))


@router.post(
    "/{job_id}/retry",
    summary="Queue one of your failed clips or reels again (a failed upload must be sent again)",
    response_model=JobPublic,
    responses=error_responses(401, 404, 409),
)
def retry_job(job_id: str, user: CurrentUser, library: LibraryDep) -> JobPublic:
    return JobPublic.of(library.for_owner(user.id).retry_job(job_id))
