"""A video's speakers: who talks how long, naming them once for every face and export, and
the names suggested for unnamed voices (confirmed by naming, turned down by a reject)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, field_validator
from starlette.convertors import PathConvertor, register_url_convertor

from app.api.deps import MyLibrary, client_ip
from app.api.errors import error_responses
from app.api.speaker_names import NAME_RULE, check_name, name_schema
from pipelines.public import SpeakerPublic

router = APIRouter(prefix="/api/v1/videos", tags=["speakers"])


class SpeakerLabel(PathConvertor):
    """A label or name (which may hold '/') that does not end in '/reject': that path is
    the reject route's, so PATCH is not allowed on it (405 with Allow: POST) rather than
    renaming a speaker called '…/reject'. A speaker of that name is renamed by its label."""

    regex = r"(?!.*/reject$).+"


register_url_convertor("speaker_label", SpeakerLabel())


class SpeakerList(BaseModel):
    items: list[SpeakerPublic]


class SpeakerName(BaseModel):
    name: str | None = Field(
        description=f"The speaker's name: {NAME_RULE} (else 422 speaker.bad_name); null (or "
        "the speaker's label) gives it back its label; the name another speaker of the video "
        "has merges this one into it; a name that reads as a label ('Speaker 9', 'Left', "
        "'Right') is 422 speaker.name_like_label",
        examples=["Dana"],
        json_schema_extra={"anyOf": [{"type": "string", **name_schema()}, {"type": "null"}]},
    )

    _rule = field_validator("name", mode="before")(check_name)


class RejectedName(BaseModel):
    name: str = Field(
        description="The name this speaker is not (usually its suggestion's): it is not "
        f"suggested for this speaker again. {NAME_RULE} (else 422 speaker.bad_name)",
        examples=["Dana"],
        json_schema_extra=name_schema(),
    )

    _rule = field_validator("name", mode="before")(check_name)


@router.get(
    "/{video_id}/speakers",
    summary="The video's speakers, their names and talk time",
    response_model=SpeakerList,
    responses=error_responses(401, 404),
)
def list_speakers(video_id: str, library: MyLibrary) -> SpeakerList:
    """Empty when nobody told the speakers apart (speakers switched off at ingest, a video
    stored before speakers were, or no speech). An unnamed voice carries a ``suggestion`` when
    it sounds like a voice you named in another video (VIDSCOPE_SPEAKERS_MATCH); confirm it
    with the PATCH below, turn it down with POST .../reject."""
    return SpeakerList(items=library.speakers(video_id))


@router.patch(
    "/{video_id}/speakers/{label:speaker_label}",
    summary="Name a speaker, or merge it into the speaker that has the name; every "
    "transcript, export and search shows it at once",
    response_model=SpeakerPublic,
    responses=error_responses(401, 404, 422),
)
def rename_speaker(
    video_id: str, label: str, body: SpeakerName, request: Request, library: MyLibrary
) -> SpeakerPublic:
    """``label`` is the speaker's label ('Speaker 5') or its current name, in any case.
    The name another speaker of the video has (any case) says they are one voice that
    diarization split: this speaker *joins* that one. Its sentences, talk time and voice
    print become the other's, in one transaction, and the answer is the speaker they became,
    with ``joined`` naming the one that joined it ("Speaker 5") and the talk time of both;
    the video lists one speaker fewer. Otherwise the answer is this speaker with its new name
    (``joined`` null). 404 ``speaker.unknown`` names the speakers the video has; 422
    ``speaker.bad_name`` (the rule it breaks) or ``speaker.name_like_label`` (a name that
    reads as a label: "Speaker 9", or another speaker's label: name that speaker first)."""
    return library.rename_speaker(
        video_id, label, body.name, ip=client_ip(request), request_id=request.state.request_id
    )


@router.post(
    "/{video_id}/speakers/{label:path}/reject",
    summary="Turn down a suggested name: this speaker is not that person",
    response_model=SpeakerPublic,
    responses=error_responses(401, 404, 422),
)
def reject_speaker_name(
    video_id: str, label: str, body: RejectedName, request: Request, library: MyLibrary
) -> SpeakerPublic:
    """``label`` is the speaker's label or current name, in any case. The name is never
    suggested for this speaker again (re-processing the video forgets that, with its
    speakers); a speaker called that loses the name. Answers the speaker with its next
    suggestion, if any. 404 ``speaker.unknown``; 422 ``speaker.bad_name``."""
    return library.reject_speaker_name(
        video_id, label, body.name, ip=client_ip(request), request_id=request.state.request_id
    )
