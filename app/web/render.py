"""The page's HTML and scripts. The HTML is made here, every value escaped once, because
Gradio evaluates its own templates as JavaScript template literals (a title such as
"${alert(1)}" would run); the scripts pick a hit and seek the player (app/web/watching.py
follows the transcript)."""

from __future__ import annotations

import html
import re
from typing import Any

from pipelines.clock import clock

CSS = """
/* Gradio's theme gives Source Sans Pro's weight 600 a file holding 55 glyphs (capital A and B
   among them, hardly any other letter): a bold name or time drew an A or B from it and every
   other letter from the system's fallback (DejaVu Sans Bold), so "Ann" began in another
   typeface. Its complete Bold file (1615 glyphs) is served beside it; the last rule declared
   for a weight is the one used. */
@font-face { font-family: 'Source Sans Pro'; font-style: normal; font-weight: 600;
             src: url('static/fonts/SourceSansPro/SourceSansPro-Bold.woff2') format('woff2'); }
@font-face { font-family: 'Source Sans Pro'; font-style: normal; font-weight: 700;
             src: url('static/fonts/SourceSansPro/SourceSansPro-Bold.woff2') format('woff2'); }
.vs-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr));
            gap: .75rem; }
/* A column from the top: a button centres its content, so a card shorter than its row's
   tallest showed its still and time lower than its neighbours'. */
.vs-card { display: flex; flex-direction: column; justify-content: flex-start; width: 100%;
           text-align: left; padding: 0; overflow: hidden;
           border: 1px solid #c5cad6; border-radius: 10px; background: #fff; cursor: pointer;
           color: #1d2330; font: inherit; }
.vs-card:focus { outline: 3px solid #f0b400; outline-offset: 2px; }
/* contain, not cover: a slide's text must not be cropped off the still. Every still (or tile)
   a block of one size, whatever the picture's own shape or whether it has loaded, so the times
   and titles of the cards in a row line up. */
.vs-card img { display: block; width: 100%; height: auto; aspect-ratio: 16 / 9; margin: 0;
               object-fit: contain; background: #1d2330; }
/* A recording without pictures (or a still that failed to load): a tile of the still's size. */
.vs-no-still { display: flex; flex-direction: column; align-items: center; justify-content: center;
               gap: .35rem; width: 100%; aspect-ratio: 16 / 9; background: #1d2330;
               color: #e3e7f0; font-size: .85rem; }
.vs-no-still svg { width: 2.5rem; height: 2.5rem; }
.vs-user { display: flex; justify-content: flex-end; align-items: center; gap: .5rem;
           width: 100%; white-space: nowrap; }
/* The page's name and the signed-in line share a row while they fit, else take one each
   (Gradio gives each half the row: at 390 px "Signed in as" and "Sign out" broke in two). */
#vs-header { flex-wrap: wrap; align-items: center; }
#vs-header > * { flex: 1 1 0% !important; min-width: min-content !important; }
#vs-header h1 { white-space: nowrap; }  /* Gradio's prose breaks a word anywhere */
.vs-card .vs-meta { padding: .5rem .75rem .75rem; }
/* Read by a screen reader, not shown. */
.vs-unseen { position: absolute; width: 1px; height: 1px; overflow: hidden;
             clip-path: inset(50%); white-space: nowrap; }
.vs-card .vs-time { font-weight: 700; color: #1f3aa8; }
.vs-card mark { background: #ffe27a; color: inherit; }
.vs-lines { max-height: 28rem; overflow-y: auto; }
.vs-line { display: block; width: 100%; text-align: left; border: 0; background: none;
           padding: .35rem .5rem; border-radius: 6px; cursor: pointer; font: inherit;
           color: #1d2330; }
.vs-line:hover, .vs-line:focus { background: #eef1fb; }
.vs-line .vs-time { font-variant-numeric: tabular-nums; color: #1f3aa8; margin-right: .5rem; }
.vs-empty { color: #4a5160; padding: 1rem 0; }
/* A clip or reel that could not be made (app/web/making.py), and what was changed on the way. */
.vs-failed { color: #8a1111; background: #fdecec; padding: .5rem .75rem; border-radius: 6px; }
.vs-note { color: #4a5160; margin-left: .5rem; }
.vs-answer { font-size: 1.05rem; line-height: 1.5; margin: .5rem 0 1rem; }
.vs-chapter { display: block; width: 100%; text-align: left; border: 0; background: none;
              padding: .3rem .5rem; border-radius: 6px; cursor: pointer; font: inherit;
              color: #1d2330; }
.vs-chapter:hover, .vs-chapter:focus { background: #eef1fb; }
.vs-chapter .vs-time { font-variant-numeric: tabular-nums; color: #1f3aa8; margin-right: .5rem; }
.vs-summary { line-height: 1.5; }
.vs-now { background: #dfe6ff; font-weight: 600; }
video { width: 100%; max-height: 70vh; background: #000; border-radius: 8px; }
"""


# Gradio's HTML templates are Handlebars whose output is then evaluated as a JavaScript
# template literal, so a title such as "${alert(1)}" would run even though Handlebars escaped
# it. The page's HTML is therefore made here, every value escaped once with html.escape, and
# handed to Gradio as the whole value (its default template "${value}" inserts a string; a
# substituted string is never evaluated again).
# What a reel can carry besides the picture (the Make-a-reel checkboxes), in this order.
REEL_WORDS = ["Subtitles", "Title cards"]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


# What a card shows in place of a still: a sound wave, and words for those who cannot see it.
AUDIO_TILE = (
    '<span class="vs-no-still"><svg viewBox="0 0 24 24" aria-hidden="true" fill="none" '
    'stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M3 10v4M7 6v12'
    'M11 3v18M15 7v10M19 10v4"/></svg>Audio only</span>'
)


def render_cards(message: str, hits: list[dict[str, Any]]) -> str:
    """The search results as cards (each a button carrying the hit's video and times); a
    hit's ``picture`` says whether its video has a still to show, else the audio tile."""
    cards = []
    for hit in hits:
        # Who says it, where someone does: "Dana · 03:12".
        said_by = f"{_e(hit['speaker'])} · " if hit.get("speaker") else ""
        words = "".join(
            f"<mark>{_e(part['text'])}</mark>" if part["mark"] else _e(part["text"])
            for part in hit["parts"]
        )
        # A recording without pictures has no still (its thumbnail answers 422): a tile.
        still = (
            f'<img src="api/v1/videos/{_e(hit["video_id"])}/thumbnail?t={_e(hit["start"])}" '
            'alt="" loading="lazy">'
            if hit["picture"]
            else AUDIO_TILE
        )
        # Named by its own words (no aria-label): someone who says what they see reaches it
        # (WCAG 2.5.3); "Play" is there for a screen reader alone.
        cards.append(
            f'<button class="vs-card" data-video="{_e(hit["video_id"])}" '
            f'data-start="{_e(hit["start"])}" data-end="{_e(hit["end"])}">{still}'
            '<div class="vs-meta"><span class="vs-unseen">Play </span>'
            f'<div class="vs-time">{said_by}{_e(hit["clock"])}</div>'
            f"<div><strong>{_e(hit['title'])}</strong></div><div>{words}</div>"
            f"<div><small>{_e(hit['source'])}</small></div></div></button>"
        )
    status = f'<p class="vs-empty" role="status">{_e(message)}</p>' if message else ""
    return f'{status}<div class="vs-cards">{"".join(cards)}</div>'


def render_answer(message: str, answer: str, citations: list[dict[str, Any]]) -> str:
    """An answer, its [n] citations as cards (each plays its sentence), or a message. Each
    [n] in the answer's text that has its citation (a ``number``) plays it too."""
    if message:
        return f'<p class="vs-empty" role="status">{_e(message)}</p>'
    cards = render_cards("", citations)
    return f'<p class="vs-answer">{_cited(answer, citations)}</p>{cards}'


_MARKER = re.compile(r"\[(\d+)\]")


def _cited(answer: str, citations: list[dict[str, Any]]) -> str:
    """The answer's text, escaped, each [n] with a citation a button that plays it."""
    by_number = {str(c["number"]): c for c in citations if "number" in c}
    out, last = [], 0
    for marker in _MARKER.finditer(answer):
        cited = by_number.get(marker.group(1))
        if cited is None:
            continue
        out.append(_e(answer[last : marker.start()]))
        out.append(
            f'<button type="button" class="vs-mark" data-video="{_e(cited["video_id"])}" '
            f'data-start="{_e(cited["start"])}" data-end="{_e(cited["end"])}">'
            f'<span class="vs-unseen">Play source </span>{_e(marker.group(0))}</button>'
        )
        last = marker.end()
    out.append(_e(answer[last:]))
    return "".join(out)


def render_lines(message: str, lines: list[dict[str, Any]]) -> str:
    """The transcript, one button per line, each seeking the player to its start; a line
    with a ``speaker`` begins with it, in its ``tone`` (app/web/speakers.py's palette)."""
    rows = "".join(_line(line) for line in lines)
    status = f'<p class="vs-empty">{_e(message)}</p>' if message else ""
    return f'{status}<div class="vs-lines">{rows}</div>'


def _line(line: dict[str, Any]) -> str:
    tone = who = ""
    if line.get("speaker"):
        who = f'<span class="vs-who">{_e(line["speaker"])}:</span> '
        if line.get("tone") is not None:
            tone = f" vs-spoken vs-tone-{int(line['tone'])}"
    return (
        f'<button class="vs-line{tone}" data-start="{_e(line["start"])}">'
        f'<span class="vs-time">{_e(line["clock"])}</span>{who}{_e(line["text"])}</button>'
    )


def render_clip(src: str, label: str = "The clip") -> str:
    if not src:
        return ""
    return (
        f'<video controls preload="metadata" playsinline src="{_e(src)}" '
        f'aria-label="{_e(label)}"></video>'
    )


def render_overview(message: str, summary: dict[str, Any] | None) -> str:
    """A video's summary, its chapters and key points; each chapter and point seeks the player."""
    if summary is None:
        return f'<p class="vs-empty">{_e(message)}</p>' if message else ""

    def items(rows: list[dict[str, Any]], field: str) -> str:
        return "".join(
            f'<button class="vs-chapter" data-start="{_e(row["start"])}">'
            f'<span class="vs-time">{_e(clock(row["start"], padded=True))}</span>{_e(row[field])}'
            "</button>"
            for row in rows
        )

    # Each sentence of the summary, then the times of what it rests on (they seek the player).
    cited = "".join(
        f"{_e(s['text'])} "
        + "".join(
            f'<button class="vs-chapter vs-cite" data-start="{_e(c["start"])}">'
            f'<span class="vs-time">{_e(clock(c["start"], padded=True))}</span></button>'
            for c in s["cites"]
        )
        for s in summary.get("sentences", [])
    )
    return (
        '<section class="vs-overview" aria-label="Summary">'
        f'<p class="vs-summary">{cited or _e(summary["summary"])}</p>'
        f"<h4>Chapters</h4><div>{items(summary['chapters'], 'title')}</div>"
        f"<h4>Key points</h4><div>{items(summary['key_points'], 'text')}</div></section>"
    )


def render_player(
    *,
    src: str = "",
    video_id: str = "",
    vtt: str = "",
    chapters: str = "",
    start: float = 0.0,
    title: str = "",
    play: bool = False,
    message: str = "",
    opened: int = 0,
) -> str:
    """The player. ``opened`` makes each opening a new value: Gradio runs the page's script
    only when the value changes, so opening the same second twice (a citation after the
    search hit it repeats, once the viewer has moved on) would otherwise not seek.
    ``video_id`` is what the page's address names (app/web/watching.py)."""
    if not src:
        return f'<p class="vs-empty">{_e(message)}</p>'
    track = (
        f'<track kind="subtitles" src="{_e(vtt)}" srclang="en" label="Subtitles" default>'
        if vtt
        else ""
    )
    if chapters:
        track += f'<track kind="chapters" src="{_e(chapters)}" srclang="en" label="Chapters">'

    return (
        f'<video id="vs-player" controls preload="metadata" playsinline src="{_e(src)}" '
        f'data-start="{_e(start)}" data-play="{"true" if play else "false"}" '
        f'data-video="{_e(video_id)}" '
        f'data-opened="{_e(opened)}" '
        f'aria-label="{_e(title)}">{track}</video>'
    )


PICK = """
element.addEventListener('click', (event) => {
  const card = event.target.closest('[data-video]');
  if (card) trigger('click', {video_id: card.dataset.video, start: Number(card.dataset.start),
                              end: Number(card.dataset.end)});
});
// A still that cannot be had (the media gone, too many asked at once) shows as the tile, never
// as a broken image. An image's error does not bubble: caught on its way down.
element.addEventListener('error', (event) => {
  if (event.target.tagName !== 'IMG' || !event.target.closest('.vs-card')) return;
  const tile = document.createElement('span');
  tile.className = 'vs-no-still';
  tile.textContent = 'No picture';
  event.target.replaceWith(tile);
}, true);
"""
SEEK = """
element.addEventListener('click', (event) => {
  const line = event.target.closest('[data-start]');
  const video = document.querySelector('#vs-player');
  if (line && video) { video.currentTime = Number(line.dataset.start); video.play(); }
});
"""


_STOPWORDS = frozenset(
    "a an and are at be but by can did do does for from had has have how i in is it its of on "
    "or our so that the their them they this to was we were what when where which who why will "
    "with you your".split()
)


def highlight(text: str, query: str) -> list[dict[str, Any]]:
    """The snippet cut into plain and marked parts where a query word occurs (render_cards
    escapes every part, so a title or transcript can never become markup)."""
    words = {w.lower().strip(".,;:!?\"'()") for w in query.split()} - _STOPWORDS
    parts: list[dict[str, Any]] = []
    for token in text.split(" "):
        bare = token.strip(".,;:!?\"'()").lower()
        parts.append({"text": token + " ", "mark": bool(bare) and bare in words})
    return parts
