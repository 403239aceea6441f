"""The Library tab and the Watch tab as the owner's library changes, through the page's own
handlers (app/web/handlers.py, app/web/processing.py) on a real library with its real job
worker: the upload report follows the job ("queued" is not left standing once it is indexed),
the Watch list gains the video once it is ready, a deleted video leaves the Processing table,
the Watch tab and the list, and an empty library says what to do."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest

from app.web.handlers import WebApp
from app.web.ledger import UploadLedger
from pipelines.jobs.startup import library_worker
from pipelines.library import Library
from tests.support.library import TALK

pytestmark = pytest.mark.slow


def _unchanged(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


def _now(web: WebApp, seen: list[Any], sent: list[dict[str, Any]], request: gr.Request) -> Any:
    status, rows, hint, choices, seen_now, report = web.library_now(seen, sent, request)
    return status, rows, hint["visible"], choices, seen_now, report


def test_the_library_tab_follows_the_jobs_and_a_deletion(library: Library, tmp_path: Path) -> None:
    web = WebApp(UploadLedger(tmp_path / "uploads"))
    worker = library_worker(library)
    web.attach(library, library.accounts, worker)
    owner = library.local
    # As Gradio hands it to a handler: the user the guard verified, the browser's address.
    request = gr.Request(username=owner.owner_id, client=SimpleNamespace(host="127.0.0.1"))

    # A new library: empty tables, and the hint that says what to do.
    status, rows, hinted, choices, seen, report = _now(web, [], [], request)
    assert (status, rows, hinted) == ([], [], True)
    assert _unchanged(choices) and _unchanged(seen) and _unchanged(report)  # nothing new

    staged = web.ledger.folder / "a1" / "talk.mp4"
    staged.parent.mkdir(parents=True)
    shutil.copyfile(TALK, staged)
    web.ledger.add(owner.owner_id, str(staged))
    shown, sent = web.upload_files([str(staged)], 0, request)
    assert shown == "✓ talk.mp4: queued"
    # Audited as the API audits an upload: the owner, the page's address, the face.
    [uploaded] = [e for e in library.system.audit_events(limit=5) if e["event"] == "video.uploaded"]
    assert (uploaded["user_id"], uploaded["username"]) == (owner.owner_id, owner.user().username)
    assert uploaded["ip"] == "127.0.0.1" and uploaded["detail"]["via"] == "web"
    worker.start()
    try:
        deadline = time.monotonic() + 180
        while (report := _now(web, [], sent, request)[5]) != "✓ talk.mp4: indexed":
            assert time.monotonic() < deadline and "failed" not in report, report
            time.sleep(0.3)
    finally:
        worker.stop()
    [video] = owner.public_videos()
    status, rows, hinted, choices, seen, report = _now(web, [], sent, request)
    assert status == [["talk", "indexed"]] and rows[0][5] == video.id and not hinted
    # The Watch list gains the video ready since it was last sent, and only then.
    assert choices["choices"] == [("talk", video.id)] and seen == [["talk", video.id]]
    assert _unchanged(_now(web, seen, sent, request)[3])

    # Opened on the Watch tab: Cut clip and the key points' reel come alive.
    opened = web.choose_video(video.id, request)
    assert opened[-2:] == ({"__type__": "update", "interactive": True},) * 2
    assert 'download="talk.srt"' in opened[6]  # named by the title, not the id

    # Deleted while open: the Watch tab is emptied, nothing is left to cut, the list, the
    # Processing table and the report no longer show it as there; the hint is back.
    selection, deleted = web.delete_video(video.id, request)
    closed = web.close_if_deleted(deleted, video.id, request)
    assert closed[0]["choices"] == [] and closed[0]["value"] is None
    assert "That video was deleted" in closed[1] and "<video" not in closed[1]
    assert closed[5] == "" and '<button class="vs-line' not in closed[6] and closed[8] == ""
    assert closed[9]["interactive"] is False and closed[10]["interactive"] is False
    status, rows, hinted, choices, seen, report = _now(web, seen, sent, request)
    assert (status, rows, hinted, choices["choices"], seen) == ([], [], True, [], [])
    assert report == "✓ talk.mp4: indexed, since deleted"
    # Another video deleted than the one open: the Watch tab is left as it is.
    kept = web.close_if_deleted("another", "open-one", request)
    assert all(_unchanged(part) for part in kept[1:])
