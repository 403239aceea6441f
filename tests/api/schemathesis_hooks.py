"""Schemathesis hooks for tests/api/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

Each rule here is one no JSON Schema can state: it ties two fields together, a field to what
the library holds, or a file's bytes to being audio or video. A positive case (one the schema
says is valid) that breaks such a rule is mended with the server's own rule, so that every
check keeps its default expected statuses: a 422 or 415 on any other valid request is still a
failure. Negative cases are left alone. The server documents each of these answers (their
codes are in the operations' responses and the fields' descriptions)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import httpx
import schemathesis
from schemathesis import Case, CheckContext, HookContext, Response
from schemathesis.generation import GenerationMode

from pipelines.accounts import check_password, check_username
from pipelines.editing.clips import MIN_CLIP_S
from pipelines.errors import VidscopeError

# Set by the test: a real recording (the only thing an upload's bytes can be) and the length
# of the video the paths name (a clip past its end is clip.out_of_range).
MEDIA = Path(os.environ.get("VIDSCOPE_ST_MEDIA", "tests/data/talk.mp4"))
DURATION = float(os.environ.get("VIDSCOPE_ST_DURATION", "0") or 0)
# The other user's token, alice's ids, and where each of his probes is written (one JSON line
# each, so the test can tell that they ran).
PEER_TOKEN = os.environ.get("VIDSCOPE_ST_PEER_TOKEN", "")
OWNED_IDS = frozenset(os.environ.get("VIDSCOPE_ST_OWNED_IDS", "").split())
PROBES = Path(os.environ.get("VIDSCOPE_ST_PROBES", "probes.jsonl"))
# One line per request Schemathesis sends, naming its phase (the closing note's counts).
PHASES = Path(os.environ.get("VIDSCOPE_ST_PHASES", "phases.txt"))
_probed: set[str] = set()
_lock = threading.Lock()


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
    return case


@schemathesis.check
def owners_apart(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Each read alice makes of her own object, asked once by bob: he gets the 404 the
    operation documents, with a *.not_found code, never her object nor a 500.
    Schemathesis's object_level_authorization asks too, but fails only when he is shown an
    equal body; this asks for the exact answer."""
    path_values = {str(v) for v in (case.path_parameters or {}).values()}
    if (
        not PEER_TOKEN
        or case.method.upper() != "GET"
        or not 200 <= response.status_code < 300
        or not path_values & OWNED_IDS
    ):
        return None
    with _lock:
        if case.operation.label in _probed:
            return None
        _probed.add(case.operation.label)
    request = response.request
    headers = {"Authorization": f"Bearer {PEER_TOKEN}"}
    answer = httpx.get(str(request.url), headers=headers, timeout=60)
    code = answer.json().get("error", {}).get("code", "") if answer.status_code == 404 else ""
    with _lock, PROBES.open("a") as probes:
        probes.write(json.dumps({"operation": case.operation.label, "status": answer.status_code}))
        probes.write("\n")
    documented = "404" in case.operation.definition.raw.get("responses", {})
    if answer.status_code != 404 or not code.endswith("not_found") or not documented:
        raise AssertionError(
            f"bob asked for alice's {case.operation.path} ({request.url}) and got "
            f"{answer.status_code} {answer.text[:300]}; another owner's object is the "
            "documented 404 *.not_found"
        )
    return None


@schemathesis.hook
def after_call(context: HookContext, case: Case, response: Response) -> None:
    phase = case.meta.phase.name.value if case.meta is not None else "unknown"
    with _lock, PHASES.open("a") as phases:
        phases.write(f"{phase}\n")
