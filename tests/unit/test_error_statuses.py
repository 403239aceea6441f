"""Each error code decides its HTTP status in one table (app/api/errors.py): the codes a
client meets never fall through to the catch-all 400, and the OpenAPI document's descriptions
name each code under the status the table gives it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.api.errors import documented_error, status_for

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED = (400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503, 507)
# The areas of the codes a clip, a reel or a search answers through the API and the web page.
CLIENT_AREAS = ("clip", "reel", "query")


def _raised_codes() -> set[str]:
    """Every code written as ``code="area.rule"`` (or a class's ``code = ...``) in the source."""
    pattern = re.compile(r'\bcode\s*=\s*"([a-z_]+\.[a-z_.]+)"')
    codes: set[str] = set()
    for folder in ("pipelines", "app"):
        for path in (ROOT / folder).rglob("*.py"):
            codes.update(pattern.findall(path.read_text()))
    return codes


def test_every_clip_reel_and_query_code_has_a_status_of_its_own() -> None:
    codes = {c for c in _raised_codes() if c.split(".", 1)[0] in CLIENT_AREAS}
    assert {"reel.not_ready", "reel.missing_source", "query.no_match"} <= codes
    fallen = sorted(c for c in codes if status_for(c) == 400)
    assert fallen == [], f"these codes fall through to 400: {fallen}"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("reel.not_ready", 409),  # as clip.not_ready: being made, follow its job
        ("clip.not_ready", 409),
        ("reel.missing_source", 422),
        ("reel.too_long", 422),
        ("reel.too_many_parts", 422),
        ("reel.empty", 422),
        ("reel.not_found", 404),
        ("query.no_match", 404),
    ],
)
def test_the_status_of_a_code(code: str, status: int) -> None:
    assert status_for(code) == status


def test_the_openapi_descriptions_name_each_code_under_its_status() -> None:
    taken = [c for c in _raised_codes() if c.endswith("_taken")]
    assert taken
    for status in DOCUMENTED:
        description = documented_error(status)["description"]
        for name in re.findall(r"`([^`]+)`", description):
            if name == "*.not_found":
                assert status_for("video.not_found") == status, name
            elif name == "*_taken":
                assert {status_for(c) for c in taken} == {status}, name
            elif name.endswith(".*"):
                # An area: its codes without an entry of their own answer with this status.
                assert status_for(name[:-2] + ".any_rule") == status, (status, name)
            else:
                assert status_for(name) == status, (status, name)
