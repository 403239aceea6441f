"""Bad uploads are answered with their 4xx code and leave nothing on disk or in the catalog;
the size cap and the quota cut an upload off while it streams."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.api.uploads import title_from_filename
from pipelines.config import Settings
from tests.support.api import api_settings, sign_up, upload
from tests.support.library import TALK


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Settings]]:
    settings = api_settings(
        tmp_path_factory.mktemp("strict") / "library",
        max_file_bytes=600_000,
        quota_bytes=2_000_000,
    )
    with TestClient(create_app(settings, start_worker=False)) as client:
        yield client, settings


def nothing_kept(client: TestClient, settings: Settings) -> None:
    leftovers = [
        p
        for folder in (settings.layout.staging_dir, settings.layout.media_dir)
        if folder.exists()
        for p in folder.iterdir()
    ]
    assert leftovers == []
    assert client.app.state.library.system.table_counts()["videos"] == 0


def bad_files(folder: Path) -> dict[str, tuple[bytes, str, int]]:
    talk = TALK.read_bytes()
    return {
        "page.mp4": (
            b"<!doctype html><html><body>not a video</body></html>",
            "media.unsupported",
            415,
        ),
        "empty.mp4": (b"", "media.empty", 422),
        "cut.mp4": (talk[: len(talk) // 3], "media.corrupt", 422),
        "list.m3u8": (b"#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n", "media.unsupported", 415),
    }


def test_bad_uploads_leave_nothing(strict: tuple[TestClient, Settings], tmp_path: Path) -> None:
    client, settings = strict
    user = sign_up(client, "uploader")
    for name, (data, code, status) in bad_files(tmp_path).items():
        response = client.post(
            "/api/v1/videos", files={"file": (name, data, "video/mp4")}, headers=user.headers
        )
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), name
        assert str(settings.home) not in response.text  # no server path in the message
        nothing_kept(client, settings)


def test_an_over_size_upload_is_cut_off(strict: tuple[TestClient, Settings]) -> None:
    client, settings = strict
    user = sign_up(client, "big")
    response = upload(client, user)  # the talk is 819 kB; the cap here is 600 kB
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "media.too_large"
    assert "600000" in response.json()["error"]["message"]
    nothing_kept(client, settings)


def test_the_quota_has_its_own_code(strict: tuple[TestClient, Settings]) -> None:
    client, settings = strict
    user = sign_up(client, "quota")
    library = client.app.state.library
    user_id = client.get("/api/v1/auth/me", headers=user.headers).json()["id"]
    library.catalog.con.execute(  # as if the user already stored 1.7 MB of a 2 MB quota
        "INSERT INTO videos (id, owner_id, sha256, title, status, duration, container, "
        "media_path, has_audio, has_video, size_bytes) VALUES ('q1', ?, ?, 'held', 'ready', 1, "
        "'mp4', 'media/q1.mp4', true, true, 1700000)",
        [user_id, "f" * 64],
    )
    try:
        small = TALK.read_bytes()[:400_000]
        response = client.post(
            "/api/v1/videos", files={"file": ("x.mp4", small, "video/mp4")}, headers=user.headers
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "quota.exceeded"
    finally:
        library.catalog.con.execute("DELETE FROM videos WHERE id = 'q1'")
    nothing_kept(client, settings)


def test_an_upload_needs_the_file_field(strict: tuple[TestClient, Settings]) -> None:
    client, _ = strict
    user = sign_up(client, "fields")
    wrong_field = client.post(
        "/api/v1/videos", files={"video": ("a.mp4", b"x", "video/mp4")}, headers=user.headers
    )
    assert wrong_field.json()["error"]["code"] == "request.invalid"
    not_multipart = client.post("/api/v1/videos", content=b"raw", headers=user.headers)
    assert not_multipart.status_code == 422
    assert "multipart/form-data" in not_multipart.json()["error"]["message"]


def test_a_file_name_is_only_a_title() -> None:
    assert title_from_filename("../../etc/passwd") == "passwd"
    assert title_from_filename("C:\\Users\\me\\Talk.final.mp4") == "Talk.final"
    assert title_from_filename("<img src=x onerror=alert(1)>.mp4") == "<img src=x onerror=alert(1)>"
    assert title_from_filename("bell\x07\x1b[31m.mp4") == "bell[31m"
    # A right-to-left override (and other invisible reordering) would show a title, and the
    # name of its clips, as ending in '.exe'.
    assert title_from_filename("invoice\u202e4pm.exe.mp4") == "invoice4pm.exe"
    assert title_from_filename("a\u200fb\u2066c\ufeff.mp4") == "abc"
    assert title_from_filename(".mp4") == ".mp4"
    assert title_from_filename("") == "untitled"
