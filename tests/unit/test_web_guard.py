"""The web guard's ledger and the origin rule, without a server: which file references an
event may carry, and which requests from a browser may change anything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.api.origins import SameOriginWrites
from app.web.guard import Bindings, file_paths
from app.web.ledger import UploadLedger
from pipelines.errors import VidscopeError


@pytest.fixture
def ledger(tmp_path: Path) -> UploadLedger:
    made = UploadLedger(tmp_path / "uploads")
    made.reset()
    return made


def uploaded(ledger: UploadLedger, user: str, name: str = "talk.mp4") -> Path:
    folder = ledger.folder / "0123abcd"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(b"video bytes")
    ledger.add(user, str(path))
    return path


def test_a_claim_is_the_uploaders_alone_and_only_once(ledger: UploadLedger) -> None:
    path = uploaded(ledger, "alice")
    assert not ledger.owns("bob", str(path))
    with pytest.raises(VidscopeError) as refused:
        ledger.claim("bob", str(path))
    assert refused.value.code == "upload.not_found"
    assert ledger.claim("alice", str(path)) == path.resolve()
    with pytest.raises(VidscopeError):
        ledger.claim("alice", str(path))  # spent


def test_paths_outside_the_folder_are_never_written_down(
    ledger: UploadLedger, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.mp4"
    outside.write_bytes(b"x")
    ledger.add("alice", str(outside))  # what a forged upload answer could name
    assert not ledger.owns("alice", str(outside))
    # A link inside the folder that points out of it is judged by where it points.
    link = ledger.folder / "link.mp4"
    link.symlink_to(outside)
    ledger.add("alice", str(link))
    assert not ledger.owns("alice", str(link))
    dotted = str(ledger.folder / ".." / "secret.mp4")
    assert not ledger.owns("alice", dotted)


def test_a_pipe_in_the_folder_is_refused_without_opening_it(ledger: UploadLedger) -> None:
    fifo = ledger.folder / "pipe.mp4"
    os.mkfifo(fifo)
    ledger.add("alice", str(fifo))
    with pytest.raises(VidscopeError) as refused:
        ledger.claim("alice", str(fifo))  # opening it would block for ever
    assert refused.value.code == "upload.not_found"


def test_old_uploads_are_swept(tmp_path: Path) -> None:
    ledger = UploadLedger(tmp_path / "uploads", ttl_s=-1)
    ledger.reset()
    path = uploaded(ledger, "alice")
    stray = ledger.folder / "tmpabandoned"  # a part file of an upload that never finished
    stray.write_bytes(b"x")
    assert ledger.sweep() == 1
    assert not path.exists() and not path.parent.exists()
    assert not stray.exists()


def test_every_file_reference_in_a_payload_is_found() -> None:
    payload = {
        "data": [[{"path": "/a", "meta": {"_type": "gradio.FileData"}}], "text", 3],
        "event_data": {"nested": [{"value": {"path": "/b"}}]},
    }
    assert sorted(named["path"] for named in file_paths(payload)) == ["/a", "/b"]


def test_the_page_names_an_upload_by_its_place_in_the_folder(tmp_path: Path) -> None:
    ledger = UploadLedger(tmp_path / "uploads")
    ledger.reset()
    path = uploaded(ledger, "alice")
    shown = ledger.shown(str(path))
    assert not Path(shown).is_absolute() and str(tmp_path) not in shown
    assert ledger.owns("alice", ledger.locate(shown))
    assert not ledger.owns("bob", ledger.locate(shown))
    assert not ledger.owns("alice", ledger.locate(f"../uploads/{shown}"))


def test_pending_uploads_count_for_their_user(tmp_path: Path) -> None:
    ledger = UploadLedger(tmp_path / "uploads")
    ledger.reset()
    path = uploaded(ledger, "alice")
    assert ledger.pending_bytes("alice") == path.stat().st_size > 0
    assert ledger.pending_bytes("bob") == 0
    ledger.claim("alice", str(path))
    assert ledger.pending_bytes("alice") == 0


def test_a_key_stays_with_its_first_user() -> None:
    bindings = Bindings(limit=4)
    assert bindings.bind("session-1", "alice")
    assert bindings.bind("session-1", "alice")
    assert not bindings.bind("session-1", "bob")


def _scope(method: str, **headers: str) -> dict[str, object]:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "method": method, "scheme": "http", "headers": raw}


@pytest.mark.parametrize(
    ("method", "headers", "refused"),
    [
        ("POST", {"host": "vs.local:7860", "origin": "http://vs.local:7860"}, False),
        ("POST", {"host": "vs.local:7860", "origin": "http://vs.local:7861"}, True),
        ("POST", {"host": "vs.local:7860", "origin": "https://tools.example.org"}, False),
        ("POST", {"host": "vs.local:7860", "origin": "null"}, True),
        (
            "POST",
            {"host": "vs.local:7860", "origin": "null", "sec_fetch_site": "same-origin"},
            False,
        ),
        ("DELETE", {"host": "vs.local:7860", "sec_fetch_site": "same-site"}, True),
        ("DELETE", {"host": "vs.local:7860", "sec_fetch_site": "cross-site"}, True),
        ("POST", {"host": "vs.local:7860"}, False),  # the CLI, curl: no browser headers
    ],
)
def test_which_browser_requests_may_change_anything(
    method: str, headers: dict[str, str], refused: bool
) -> None:
    rule = SameOriginWrites(lambda *_: None, allowed_origins=("https://tools.example.org",))  # type: ignore[arg-type]
    assert (rule._refusal(_scope(method, **headers)) is not None) is refused
