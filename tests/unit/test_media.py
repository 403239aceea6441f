from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.errors import MediaError
from pipelines.media.intake import check_local_file, sniff_container
from pipelines.media.probe import probe, validate
from tests.support.library import SILENT, TALK

ALLOWED = ("mp4", "mov", "mkv", "webm", "avi", "m4a", "mp3", "wav", "flac", "ogg")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "mov"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "m4a"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "mkv"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "wav"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "mp3"),
        (b"\xff\xfb\x90\x00", "mp3"),
        (b"\xff\xf1\x50\x80", None),  # ADTS AAC frame sync is not MP3
        (b"fLaC\x00\x00\x00\x22", "flac"),
        (b"OggS\x00\x02\x00\x00", "ogg"),
        (b"<!DOCTYPE html><html>", None),
        (b"#EXTM3U\n#EXT-X-VERSION:3\n", None),
        (b"ffconcat version 1.0\n", None),
    ],
)
def test_sniff_container_by_content(head: bytes, expected: str | None) -> None:
    assert sniff_container(head) == expected


def test_probe_reads_talk() -> None:
    info = probe(TALK, allowed=ALLOWED)
    assert info.container == "mp4"
    assert info.has_audio and info.has_video
    assert (info.width, info.height) == (320, 240)
    assert info.fps == pytest.approx(25)
    assert 35 < info.duration < 37


def test_video_without_audio_probes_as_no_audio() -> None:
    info = probe(SILENT, allowed=ALLOWED)
    assert info.has_video and not info.has_audio


def _code(call: object) -> str:
    with pytest.raises(MediaError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.message  # every rejection explains itself
    return caught.value.code


def test_html_renamed_mp4_is_unsupported(tmp_path: Path) -> None:
    fake = tmp_path / "video.mp4"
    fake.write_text("<!DOCTYPE html><html><body>not a video</body></html>")
    assert _code(lambda: probe(fake, allowed=ALLOWED)) == "media.unsupported"


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    assert _code(lambda: check_local_file(empty, max_bytes=10**9)) == "media.empty"


def test_truncated_mp4_is_corrupt(tmp_path: Path) -> None:
    # The talk's index (moov) sits at the end of the file, so the first half cannot be read.
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(TALK.read_bytes()[: TALK.stat().st_size // 2])
    assert _code(lambda: probe(truncated, allowed=ALLOWED)) == "media.corrupt"


def test_m3u8_pointing_at_local_file_is_rejected(tmp_path: Path) -> None:
    playlist = tmp_path / "playlist.m3u8"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:40\n#EXTINF:36,\n{TALK}\n#EXT-X-ENDLIST\n")
    disguised = tmp_path / "playlist.mp4"
    disguised.write_bytes(playlist.read_bytes())
    assert _code(lambda: probe(playlist, allowed=ALLOWED)) == "media.unsupported"
    assert _code(lambda: probe(disguised, allowed=ALLOWED)) == "media.unsupported"


def test_concat_list_is_rejected(tmp_path: Path) -> None:
    concat = tmp_path / "list.mp4"
    concat.write_text(f"ffconcat version 1.0\nfile '{TALK}'\n")
    assert _code(lambda: probe(concat, allowed=ALLOWED)) == "media.unsupported"


@pytest.mark.parametrize("url", ["http://127.0.0.1/video.mp4", "file:///etc/passwd", "pipe:0"])
def test_urls_and_protocols_are_not_local(url: str) -> None:
    assert _code(lambda: check_local_file(url, max_bytes=10**9)) == "media.not_local"


def test_fifo_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.mp4"
    os.mkfifo(fifo)
    assert _code(lambda: check_local_file(fifo, max_bytes=10**9)) == "media.not_local"


def test_a_folder_is_named_as_one_with_what_to_do_instead(tmp_path: Path) -> None:
    folder = tmp_path / "talks.mp4"  # a folder whose name looks like a video
    folder.mkdir()
    with pytest.raises(MediaError) as error:
        check_local_file(folder, max_bytes=10**9)
    assert error.value.code == "media.is_folder"
    assert "ingest the folder as a whole" in error.value.message
    assert "vidscope" not in error.value.message  # the CLI adds its commands (app/cli/hints)


def test_missing_file(tmp_path: Path) -> None:
    assert _code(lambda: check_local_file(tmp_path / "nope.mp4", max_bytes=10)) == "media.not_found"


def test_too_large_names_the_limit() -> None:
    with pytest.raises(MediaError) as caught:
        check_local_file(TALK, max_bytes=1000)
    assert caught.value.code == "media.too_large"
    assert "VIDSCOPE_MAX_FILE_BYTES" in caught.value.message


def test_too_long_names_the_limit() -> None:
    info = probe(TALK, allowed=ALLOWED)
    with pytest.raises(MediaError) as caught:
        validate(info, TALK, max_duration_s=10)
    assert caught.value.code == "media.too_long"
    assert "VIDSCOPE_MAX_DURATION_S" in caught.value.message


def test_container_outside_the_allowlist_is_unsupported() -> None:
    assert _code(lambda: probe(TALK, allowed=("wav",))) == "media.unsupported"
