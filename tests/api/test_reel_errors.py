"""A reel's failures, as each face shows them: the API answers each code with the status its
OpenAPI document promises, and the library's messages, which the API, the web page and the
CLI all show, name a reel's sources (a query, hits, a video's chapters), not the CLI's flags;
the CLI adds its flags where it catches."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest
from fastapi.testclient import TestClient

from app.web.making import queue_reel
from pipelines.editing.reels import make_reel
from pipelines.errors import VidscopeError
from pipelines.library import OwnerLibrary
from pipelines.records import ReelPart
from tests.support.api import Account, World
from tests.support.server import run_command

NOTHING_MATCHES = "qzxv wjkq pfft"  # no word of the talk, nor near one
SOURCES = "a query, hits or a video's chapters"


def _owner(client: TestClient, account: Account) -> OwnerLibrary:
    me = client.get("/api/v1/auth/me", headers=account.headers).json()
    library: OwnerLibrary = client.app.state.library.for_owner(me["id"])  # type: ignore[attr-defined]
    return library


def test_a_reel_not_made_yet_is_409_reel_not_ready_as_documented(
    client: TestClient, world: World
) -> None:
    # Recorded without a job, the reel stays pending: what a reel being made looks like.
    me = client.get("/api/v1/auth/me", headers=world.alice.headers).json()
    pending = client.app.state.library.catalog.add_reel(  # type: ignore[attr-defined]
        owner_id=me["id"], parts=[ReelPart(world.video_id, 4.0, 7.5)], options={}
    )
    answer = client.get(f"/api/v1/reels/{pending}/file", headers=world.alice.headers)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "reel.not_ready"
    promised = client.get("/openapi.json").json()["paths"]["/api/v1/reels/{reel_id}/file"]
    conflict = promised["get"]["responses"]["409"]["description"]
    assert "`reel.not_ready`" in conflict


@pytest.mark.parametrize("path", ["/api/v1/reels", "/api/v1/clips"])
def test_a_query_nothing_matches_is_404_query_no_match(
    client: TestClient, world: World, path: str
) -> None:
    jobs_before = client.get("/api/v1/jobs", headers=world.alice.headers).json()["items"]
    answer = client.post(path, json={"query": NOTHING_MATCHES}, headers=world.alice.headers)
    assert answer.status_code == 404, answer.text
    error = answer.json()["error"]
    assert error["code"] == "query.no_match" and NOTHING_MATCHES in error["message"]
    assert client.get("/api/v1/jobs", headers=world.alice.headers).json()["items"] == jobs_before


def test_the_library_names_a_reels_sources_not_the_clis_flags(
    client: TestClient, world: World
) -> None:
    owner = _owner(client, world.alice)
    asks = [
        lambda: owner.queue_reel(),  # what the API and the web page call
        lambda: owner.queue_reel(query="solar", chapters_of=world.video_id),
        lambda: owner.queue_reel(parts=[ReelPart(world.video_id, 1.0, 2.0)], query="solar"),
        lambda: owner.reel_parts(),  # what the CLI calls
    ]
    for ask in asks:
        with pytest.raises(VidscopeError) as refused:
            ask()
        assert refused.value.code == "reel.missing_source"
        assert SOURCES in refused.value.message and "--" not in refused.value.message


def test_the_web_page_shows_the_librarys_words(client: TestClient, world: World) -> None:
    owner = _owner(client, world.alice)
    with pytest.raises(gr.Error) as shown:
        queue_reel(owner, "nothing", query="solar", chapters_of=world.video_id)
    assert SOURCES in str(shown.value) and "--" not in str(shown.value)
    with pytest.raises(gr.Error) as shown:
        queue_reel(owner, NOTHING_MATCHES, query=NOTHING_MATCHES)
    assert "query.no_match" in str(shown.value)


def test_the_cli_adds_its_flags_to_the_librarys_words(tmp_path: Path) -> None:
    done = run_command(tmp_path / "library", "reel", "-o", str(tmp_path / "reel.mp4"))
    assert done.returncode == 1, done.stderr
    assert "reel.missing_source" in done.stderr and SOURCES in done.stderr
    assert "--query, --hits or --chapters" in done.stderr
    assert not (tmp_path / "reel.mp4").exists()


def test_a_reels_limits_are_one_rule_for_the_server_and_a_clients_reel(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    owner = _owner(client, world.alice)
    with pytest.raises(VidscopeError) as empty:
        owner.queue_reel(parts=[])
    assert empty.value.code == "reel.empty"
    # What is made of given parts (a hits file, the CLI beside a server) is held to them too.
    many = [ReelPart(world.video_id, n * 0.1, n * 0.1 + 0.05) for n in range(51)]
    clips = client.app.state.library.settings.clips  # type: ignore[attr-defined]
    for parts, code in (([], "reel.empty"), (many, "reel.too_many_parts")):
        with pytest.raises(VidscopeError) as refused:
            make_reel(parts, tmp_path / "reel.mp4", cut=_never_cut, clips=clips)
        assert refused.value.code == code
    assert "VIDSCOPE_REEL_MAX_PARTS" in refused.value.message
    assert list(tmp_path.iterdir()) == []


def _never_cut(n: int, path: Path) -> Path:
    raise AssertionError(f"part {n} was cut before the reel's limits were checked")


def test_a_clip_without_its_range_is_named_once_and_the_cli_adds_its_flags(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    with pytest.raises(VidscopeError) as refused:
        _owner(client, world.alice).queue_clip(video_id=world.video_id, start=1.0)
    assert refused.value.code == "clip.missing_range"
    assert "an end missing" in refused.value.message and "--" not in refused.value.message
    done = run_command(tmp_path / "library", "clip", "-o", str(tmp_path / "clip.mp4"))
    assert done.returncode == 1, done.stderr
    assert "clip.missing_range" in done.stderr
    assert "a video and a start and an end missing" in done.stderr
    assert "VIDEO_ID with --start and --end, or --query" in done.stderr
