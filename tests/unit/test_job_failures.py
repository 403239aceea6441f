"""What a failed job's owner is told: a code and plain words, never a server path or an
exception's class (the whole error goes to the server's log)."""

from __future__ import annotations

from pipelines.errors import VidscopeError
from pipelines.ingest import describe_failure, plain_message


def test_a_failed_job_tells_its_owner_a_code_and_plain_words() -> None:
    home = "/srv/vidscope/library"
    crash = OSError(
        "MoviePy error: failed to read the first frame of video file "
        "data/library/clips/server/.reel-3f/part-000.mp4"
    )
    code, message = describe_failure(crash, video_id="v1")
    assert code == "processing.failed"
    assert "OSError" not in message and "part-000" not in message and "MoviePy" not in message
    assert "try again" in message

    coded = VidscopeError(
        f"the disk holding {home}/clips has too little space; free some space (or move the "
        "library: VIDSCOPE_HOME) and try again (docs/troubleshooting.md#a-full-disk)",
        code="storage.full",
    )
    code, message = describe_failure(coded, video_id="v1")
    assert code == "storage.full"
    assert home not in message and "/clips" not in message
    assert "VIDSCOPE_HOME" in message and "docs/troubleshooting.md#a-full-disk" in message

    assert plain_message("ValueError: bad ./x/y.mp4 at https://example.com/a/b") == (
        "bad a file on the server at https://example.com/a/b"
    )
    assert plain_message("give video_id with start and end, or a query") == (
        "give video_id with start and end, or a query"
    )
