"""A ready video whose media file is gone: `missing` in every list, `media.missing` from
streaming, thumbnails, clips and reels (CLI and API), found by the doctor; its transcript is
still searchable, and putting the file back makes it ready again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from tests.support.api import PASSWORD, api_settings
from tests.support.faults import copy_library, run_cli


@pytest.mark.slow
def test_missing_media_through_the_cli(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home = copy_library(pristine[0], tmp_path / "library")
    video_id = pristine[1]["local"]
    media = next((home / "media").glob(f"{video_id}.*"))
    kept = tmp_path / media.name
    shutil.move(media, kept)

    listed = run_cli(home, "list", "--json")
    assert [v["status"] for v in json.loads(listed.out)] == ["missing"]
    clip = run_cli(
        home, "clip", video_id, "--start", "1", "--end", "3", "-o", str(tmp_path / "c.mp4")
    )
    assert clip.code == 1 and "[media.missing]" in clip.err and "Traceback" not in clip.err
    assert media.name in clip.err  # where to put it back
    assert not (tmp_path / "c.mp4").exists()
    assert run_cli(home, "search", "solar panels").code == 0  # the words are still there
    doctor = run_cli(home, "doctor")
    assert doctor.code == 1 and "media" in doctor.out and video_id in doctor.out

    shutil.move(kept, media)  # the way back
    assert run_cli(home, "list", "--json").out.count('"ready"') == 1
    assert run_cli(home, "doctor").code == 0


@pytest.mark.slow
def test_missing_media_through_the_api(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home = copy_library(pristine[0], tmp_path / "library")
    video_id = pristine[1]["alice"]
    next((home / "media").glob(f"{video_id}.*")).unlink()
    with TestClient(create_app(api_settings(home), start_worker=False)) as client:
        token = client.post(
            "/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get(f"/api/v1/videos/{video_id}", headers=auth).json()["status"] == "missing"
        for path in (f"/api/v1/videos/{video_id}/media", f"/api/v1/videos/{video_id}/thumbnail"):
            answer = client.get(path, headers=auth)
            assert answer.status_code == 404, path
            assert answer.json()["error"]["code"] == "media.missing"
        clip = client.post(
            "/api/v1/clips", json={"video_id": video_id, "start": 1, "end": 3}, headers=auth
        )
        assert clip.status_code == 404 and clip.json()["error"]["code"] == "media.missing"
        hits = client.get("/api/v1/search", params={"q": "solar panels"}, headers=auth)
        assert hits.status_code == 200 and hits.json()["hits"]
