"""Schemathesis hooks for tests/api/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

Each rule here is one no JSON Schema can state: it ties two fields together, a field to what
the library holds, or a file's bytes to being audio or video. A positive case (one the schema
says is valid) that breaks such a rule is mended with the server's own rule, so that every
check keeps its default expected statuses: a 422 or 415 on any other valid request is still a
failure. Negative cases are left alone. The server documents each of these answers (their
codes are in the operations' responses and the fields' descriptions)."""

from __future__ import annotations

import os
from pathlib import Path

import schemathesis
from schemathesis import Case, HookContext
from schemathesis.generation import GenerationMode

from pipelines.accounts import check_password, check_username
from pipelines.editing.clips import MIN_CLIP_S
from pipelines.errors import VidscopeError
from pipelines.storage.catalog.speaker_rules import valid_name

# Set by the test: a real recording (the only thing an upload's bytes can be) and the length
# of the video the paths name (a clip past its end is clip.out_of_range).
MEDIA = Path(os.environ.get("VIDSCOPE_ST_MEDIA", "tests/data/talk.mp4"))
DURATION = float(os.environ.get("VIDSCOPE_ST_DURATION", "0") or 0)


def _positive(case: Case) -> bool:
    return case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE


def _refused(rule: object, *args: object, **kwargs: object) -> bool:
    try:
        rule(*args, **kwargs)  # type: ignore[operator]
    except VidscopeError:
        return True
    return False


@schemathesis.hook
def map_case(context: HookContext, case: Case) -> Case:
    body = case.body
    if not _positive(case) or not isinstance(body, dict):
        return case
    route = (case.method.upper(), case.operation.path)
    if route == ("POST", "/api/v1/videos") and "file" in body:
        # Bytes drawn at random are not a recording: 415 media.unsupported / 422 media.*.
        body["file"] = MEDIA.read_bytes()
    elif route in (("POST", "/api/v1/auth/register"), ("POST", "/api/v1/admin/users")):
        username, password = body.get("username"), body.get("password")
        if isinstance(username, str) and _refused(check_username, username):
            # A reserved name ('admin', 'root', ...), any case: auth.bad_username.
            body["username"] = (username + "0")[:32]
        if isinstance(password, str) and _refused(
            check_password, password, username=str(body.get("username", ""))
        ):
            # A common password, digits only, two characters repeated, the username's
            # letters: auth.weak_password. The phrase keeps the drawn text in it.
            body["password"] = ("plum kettle " + password)[:256]
    elif route == ("POST", "/api/v1/clips") and {"start", "end"} <= body.keys():
        start, end = body["start"], body["end"]
        numbers = all(isinstance(v, int | float) for v in (start, end))
        if numbers and (end - start < MIN_CLIP_S or (DURATION and start >= DURATION)):
            # Shorter than MIN_CLIP_S (clip.too_short) or past the video's end
            # (clip.out_of_range): two fields together, and the video's length.
            body["start"], body["end"] = 1.0, 3.0
    elif case.operation.path.startswith("/api/v1/videos/{video_id}/speakers/{label}"):
        name = body.get("name")
        if isinstance(name, str) and _refused(valid_name, name):
            # Read as NFKC and trimmed before 1-60 printable characters without : < >
            # apply (speaker.bad_name): no pattern matches what NFKC makes of a string.
            body["name"] = "Dana"
    return case
