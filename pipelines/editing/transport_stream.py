"""A file's picture copied, untouched, to MPEG-TS: the form in which a smart cut's pieces and
a reel's parts are joined. MPEG-TS counts every file in the same 90 kHz and its muxer puts
each stream's own SPS and PPS before each keyframe (FFmpeg's h264_mp4toannexb, added for
it), so pieces encoded with different settings or clocks can follow one another.

Pieces whose frames are decoded a different time before they are shown (B-frames in one,
none in the next) do not run on at a join: FFmpeg nudges the decoding times a tick apart and
an MP4 then states its picture a frame short. ``copy_picture`` moves a piece's decoding
times earlier to match the others'."""

from __future__ import annotations

from pathlib import Path

import av


def decoding_lead(path: Path) -> float:
    """Seconds between decoding ``path``'s first frame and showing it (0 without B-frames)."""
    with av.open(str(path)) as media:
        for packet in media.demux(video=0):
            if packet.pts is not None and packet.dts is not None and packet.time_base:
                return max(0.0, float((packet.pts - packet.dts) * packet.time_base))
    return 0.0


def copy_picture(source: Path, target: Path, *, earlier_s: float = 0.0) -> None:
    """Writes ``source``'s picture to ``target`` (MPEG-TS), every frame decoded
    ``earlier_s`` seconds sooner than in ``source``; shown at the same times."""
    with av.open(str(source)) as media, av.open(str(target), "w", format="mpegts") as out:
        stream = media.streams.video[0]
        copy = out.add_stream_from_template(stream)
        assert stream.time_base is not None  # every demuxer FFmpeg has sets one
        shift = round(earlier_s / stream.time_base)
        for packet in media.demux(stream):
            if packet.pts is None:
                continue
            if packet.dts is not None:
                packet.dts -= shift
            packet.stream = copy
            out.mux(packet)
