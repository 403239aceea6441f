"""File names a person recognises for what they download: the video's title (or a reel's
query), a detail (a clip's times), then the kind of file — not an id. The API's
Content-Disposition and the web page's download links use the same names."""

from __future__ import annotations

import re

from pipelines.clock import clock

# Characters a file name cannot hold on one system or another, control characters, and the
# invisible ones that reorder or hide text (a right-to-left override spoofs an extension).
_UNSAFE = re.compile(
    r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+'
)
NAME_CHARS = 120


def download_name(title: str, detail: str, suffix: str) -> str:
    """``title detail.suffix``, made safe on every system and at most 120 characters before
    the suffix; ``video.suffix`` when the title holds nothing else."""
    stem = _UNSAFE.sub(" ", f"{title} {detail}".strip())
    stem = re.sub(r"\s+", " ", stem).strip(" .")[:NAME_CHARS].strip(" .")
    return f"{stem or 'video'}.{suffix}"


def clip_name(title: str, start: float, end: float) -> str:
    """A clip's name: its video's title and its times (00.04-00.09: a colon is refused in
    file names on Windows and by macOS's Finder)."""
    times = f"{clock(start, padded=True)}-{clock(end, padded=True)}".replace(":", ".")
    return download_name(title, times, "mp4")
