"""The Watch tab's side of the page: the player's script (seek, mark the line being played,
keep it in view, keep the address), the transcript panel's find box, clock times a person
types for a clip, and the Watch tab's address (``/?v=VIDEO_ID&t=SECONDS``).

Following playback: the transcript panel scrolls the line being played into view until the
person scrolls the panel themselves (a wheel, a touch, the scroll bar or the keyboard), and
not while a find is open; "Follow playback" (or clicking a line) starts following again.
Their shared state is ``window.vidscopeTranscript`` (the player and the panel are two Gradio
blocks, each with its own script)."""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs

import gradio as gr

# -- times a person writes ------------------------------------------------------------------
_CLOCK = re.compile(r"^(?:(?:(\d+):)?(\d{1,2}):)?(\d+(?:\.\d*)?|\.\d+)$")
TIME_WORDS = "seconds (75), m:ss (1:15) or h:mm:ss (1:01:15)"
CLIP_DECIMALS = 2  # the clip builder shows a time to the hundredth (pipelines.clock)


def clock_seconds(text: str | float | None) -> float | None:
    """Seconds from ``75``, ``75.5``, ``1:15``, ``1:15.5`` or ``1:01:15``; None for anything
    else (a minute or second part of 60 or more beside a larger part, a sign, a word)."""
    if isinstance(text, int | float):
        return float(text) if math.isfinite(text) and text >= 0 else None
    found = _CLOCK.match((text or "").strip())
    if not found:
        return None
    hours, minutes, seconds = found.groups()
    value = float(seconds)
    if minutes is not None and value >= 60 or hours is not None and int(minutes) >= 60:
        return None
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + value


def clip_seconds(text: str | float | None, what: str) -> float:
    """A clip's start or end as the person wrote it; ``gr.Error`` (clip.bad_range) saying
    what is accepted when it is not a time."""
    seconds = clock_seconds(text)
    if seconds is None:
        raise gr.Error(f"{what} “{text}” is not a time: write {TIME_WORDS} (clip.bad_range)")
    return seconds


def clip_time(label: str, value: str) -> gr.Textbox:
    """A clip builder's box for a time, which says what it takes."""
    return gr.Textbox(label=label, value=value, info=f"As {TIME_WORDS}", max_lines=1)


# -- the Watch tab's address ----------------------------------------------------------------
def linked_video(search: str | None) -> tuple[str, float] | None:
    """The video and second an address's query names (``?v=ID&t=83``, ``t`` also as 1:23),
    or None when it names no video. A time that is not one opens the video at its start."""
    query = parse_qs((search or "").lstrip("?"))
    video_id = (query.get("v") or [""])[0].strip()
    if not video_id:
        return None
    start = clock_seconds((query.get("t") or ["0"])[0]) or 0.0
    return video_id, start


# The address as the page was opened, kept before Gradio starts (a tab's select event at
# start clears it), for the load event that opens its video.
KEEP_ADDRESS = "<script>window.vidscopeAddress = window.location.search;</script>"
READ_ADDRESS = (
    "() => { const asked = window.vidscopeAddress || ''; window.vidscopeAddress = ''; "
    "return [asked]; }"
)
# Another tab opened: the address is the page's own again (a reload opens that page); not
# before the address the page was opened with has been read.
LEAVE_WATCH = (
    "() => { if (window.location.search && !window.vidscopeAddress) "
    "history.replaceState(history.state, '', window.location.pathname); return []; }"
)
# The Watch tab opened again: the open video's address, at the second it is at.
BACK_TO_WATCH = """() => {
  const video = document.querySelector('#vs-player');
  if (video && video.dataset.video) history.replaceState(history.state, '',
    window.location.pathname + '?v=' + encodeURIComponent(video.dataset.video)
    + (Math.floor(video.currentTime) > 0 ? '&t=' + Math.floor(video.currentTime) : ''));
  return [];
}"""

# The clip builder's time as ``clock(seconds, decimals=CLIP_DECIMALS)`` writes it (m:ss,
# hundredths when there are any: 4.5 s is 0:04.5).
CLOCK = """const vsClock = (s) => {
  const cents = Math.round(Math.max(0, s) * 100), whole = Math.floor(cents / 100);
  const fraction = cents % 100, h = Math.floor(whole / 3600), m = Math.floor(whole % 3600 / 60);
  let second = String(whole % 60).padStart(2, '0');
  if (fraction) second += ('.' + String(fraction).padStart(2, '0')).replace(/0$/, '');
  return h ? h + ':' + String(m).padStart(2, '0') + ':' + second : m + ':' + second;
};"""
# "Start at playhead" / "End at playhead": the player's second, in the clip builder's box.
PLAYHEAD = (
    "(now) => { " + CLOCK + " const video = document.querySelector('#vs-player'); "
    "return video ? vsClock(video.currentTime) : now; }"
)

# -- the player -----------------------------------------------------------------------------
# The browser fetches the media itself, with its session cookie, from the owner-checked API
# route: Gradio neither downloads nor caches it, so no Gradio file URL can ever hand one user
# another's video. Seeking, following the transcript and the address happen here.
PLAY = """
const state = window.vidscopeTranscript = window.vidscopeTranscript
  || {following: true, finding: false, ours: null};
const start = () => {
  const video = element.querySelector('video');
  if (!video) return;
  const go = () => {
    video.currentTime = Number(video.dataset.start) || 0;
    // Opened from a search hit: play from there (the click counts as the user's gesture).
    if (video.dataset.play === 'true') video.play().catch(() => {});
  };
  if (video.readyState >= 1) go(); else video.addEventListener('loadedmetadata', go, {once: true});
  // The address names this video at this second while the Watch tab shows it.
  const address = () => {
    if (!video.offsetParent || !video.dataset.video) return;
    const at = Math.floor(video.readyState >= 1 ? video.currentTime : Number(video.dataset.start));
    const want = '?v=' + encodeURIComponent(video.dataset.video) + (at > 0 ? '&t=' + at : '');
    if (window.location.search !== want) {
      history.replaceState(history.state, '', window.location.pathname + want);
    }
  };
  // The line being played, kept in view (a third from the top) unless the person scrolls.
  const follow = (line) => {
    const box = line.closest('.vs-lines');
    if (!state.following || state.finding || !box || !box.offsetParent) return;
    const top = line.offsetTop, bottom = top + line.offsetHeight;
    if (top >= box.scrollTop && bottom <= box.scrollTop + 0.75 * box.clientHeight) return;
    const before = box.scrollTop;
    box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    if (box.scrollTop !== before) state.ours = box.scrollTop;
  };
  let shown = null;
  const mark = () => {
    let current = null;
    document.querySelectorAll('.vs-line[data-start]').forEach((line) => {
      if (Number(line.dataset.start) <= video.currentTime + 0.05) current = line;
      line.classList.remove('vs-now');
      line.removeAttribute('aria-current');
    });
    if (current) {
      current.classList.add('vs-now');
      current.setAttribute('aria-current', 'true');
      if (current !== shown || !state.following) follow(current);
    }
    shown = current;
    // The speakers' strip (app/web/speakers.py) spans the whole video: its playhead follows.
    const head = document.querySelector('.vs-playhead');
    if (head && video.duration) head.style.left = (100 * video.currentTime / video.duration) + '%';
    address();
  };
  state.follow = () => { shown = null; mark(); };
  video.addEventListener('timeupdate', mark);
  video.addEventListener('seeked', mark);
  video.addEventListener('pause', mark);
  address();
};
start();
watch('value', start);
"""

# -- the transcript panel --------------------------------------------------------------------
# Each line seeks the player (and following starts again); a scroll the page did not make
# stops following, and "Follow playback" shows.
TRANSCRIPT = """
const state = window.vidscopeTranscript = window.vidscopeTranscript
  || {following: true, finding: false, ours: null};
const stop = () => {
  state.following = false;
  const again = document.querySelector('.vs-follow');
  if (again) again.hidden = false;
};
element.addEventListener('wheel', stop, {passive: true});
element.addEventListener('touchmove', stop, {passive: true});
element.addEventListener('scroll', (event) => {
  if (!event.target.classList || !event.target.classList.contains('vs-lines')) return;
  if (state.ours !== null && Math.abs(event.target.scrollTop - state.ours) < 1) return;
  stop();
}, true);
element.addEventListener('click', (event) => {
  const line = event.target.closest('[data-start]');
  const video = document.querySelector('#vs-player');
  if (!line || !video) return;
  state.following = true;
  const again = document.querySelector('.vs-follow');
  if (again) again.hidden = true;
  video.currentTime = Number(line.dataset.start);
  video.play();
});
"""

FIND_BAR = (
    '<div class="vs-find">'
    '<input type="search" aria-label="Find in the transcript" '
    'placeholder="Find in the transcript" autocomplete="off">'
    '<button type="button" class="vs-follow" hidden>Follow playback</button>'
    '<p class="vs-found" role="status" aria-live="polite"></p></div>'
)


def find_bar() -> gr.HTML:
    """The transcript panel's find box (FIND), with its count and "Follow playback"."""
    return gr.HTML(value=FIND_BAR, css_template=CSS, js_on_load=FIND)


# Typing narrows the transcript to the lines that say it, marked; Enter seeks the player to
# the next of them (Shift+Enter the one before), Escape clears. A transcript drawn again (a
# video opened, a speaker named) is narrowed by what the box holds.
FIND = """
const state = window.vidscopeTranscript = window.vidscopeTranscript
  || {following: true, finding: false, ours: null};
const box = element.querySelector('input');
const told = element.querySelector('.vs-found');
const again = element.querySelector('.vs-follow');
let at = -1;
const lines = () => [...document.querySelectorAll('#vs-transcript .vs-line')];
// What a line says: its text after the time and the speaker (marks of an earlier find
// included), painted again with the words found marked.
const saidBy = (line) => [...line.childNodes]
  .filter((n) => n.nodeType === Node.TEXT_NODE || n.nodeName === 'MARK');
const paint = (line, text, words) => {
  saidBy(line).forEach((n) => n.remove());
  let from = 0;
  const lower = text.toLowerCase();
  for (let hit = words ? lower.indexOf(words) : -1; hit >= 0; hit = lower.indexOf(words, from)) {
    line.append(text.slice(from, hit));
    const marked = document.createElement('mark');
    marked.textContent = text.slice(hit, hit + words.length);
    line.append(marked);
    from = hit + words.length;
  }
  line.append(text.slice(from));
};
const apply = () => {
  const words = box.value.trim().toLowerCase();
  state.finding = words !== '';
  let count = 0;
  lines().forEach((line) => {
    const text = saidBy(line).map((n) => n.textContent).join('');
    const hit = !words || text.toLowerCase().includes(words);
    line.hidden = !hit;
    line.classList.remove('vs-at');
    paint(line, text, hit ? words : '');
    if (words && hit) count += 1;
  });
  at = -1;
  told.textContent = !words ? '' : count === 0 ? 'No line says that'
    : count + (count === 1 ? ' line says' : ' lines say') + ' that: Enter plays the next';
  if (!words && state.follow) state.follow();
};
box.addEventListener('input', apply);
box.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') { box.value = ''; apply(); return; }
  if (event.key !== 'Enter') return;
  event.preventDefault();
  const found = lines().filter((line) => !line.hidden);
  if (!box.value.trim() || !found.length) return;
  at = (at + (event.shiftKey ? found.length - 1 : 1)) % found.length;
  found.forEach((line) => line.classList.remove('vs-at'));
  const line = found[at];
  line.classList.add('vs-at');
  const list = line.closest('.vs-lines');
  if (list) {
    list.scrollTop = Math.max(0, line.offsetTop - list.clientHeight / 3);
    state.ours = list.scrollTop;
  }
  const video = document.querySelector('#vs-player');
  if (video) video.currentTime = Number(line.dataset.start);
  told.textContent = (at + 1) + ' of ' + found.length + ': '
    + line.querySelector('.vs-time').textContent;
});
again.addEventListener('click', () => {
  state.following = true;
  again.hidden = true;
  if (state.follow) state.follow();
});
let drawn = null;
new MutationObserver(() => {
  const now = document.querySelector('#vs-transcript .vs-lines');
  if (now !== drawn) { drawn = now; if (box.value.trim()) apply(); }
}).observe(document.body, {childList: true, subtree: true});
"""

# Beside the player from 1024 px (the transcript as tall as the player is), below it on a
# narrower screen; the line being played and a find's current line stand out.
CSS = """
@media (max-width: 1023px) {
  /* The player, then the transcript, then the clip builder: the left column's blocks join the
     row's, so the transcript can come between them. */
  #vs-watch { flex-direction: column; }
  #vs-main { display: contents; }
  #vs-main > * { order: 2; }
  #vs-main > :first-child { order: 0; }
  #vs-side { order: 1; }
}
@media (min-width: 1024px) { #vs-side .vs-lines { max-height: min(62vh, 30rem); } }
@media (max-width: 1023px) { #vs-side .vs-lines { max-height: 50vh; } }
.vs-lines { position: relative; }
.vs-line[hidden] { display: none; }
.vs-line.vs-at { outline: 2px solid #1f3aa8; outline-offset: -2px; }
.vs-line mark { background: #ffe27a; color: inherit; }
.vs-find { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.vs-find input { flex: 1 1 12rem; min-width: 0; padding: .45rem .6rem; font: inherit;
                 border: 1px solid #6b7280; border-radius: 6px; color: #1d2330;
                 background: #fff; }
.vs-find input:focus { outline: 3px solid #f0b400; outline-offset: 1px; }
.vs-follow { padding: .4rem .7rem; border: 1px solid #1f3aa8; border-radius: 6px;
             background: #fff; color: #1f3aa8; font: inherit; cursor: pointer; }
.vs-found { flex-basis: 100%; margin: 0; color: #4a5160; font-size: .9rem; }
.vs-found:empty { display: none; }
.vs-answer .vs-mark { border: 0; background: none; padding: 0 .1rem; font: inherit;
                      color: #1f3aa8; text-decoration: underline; cursor: pointer; }
.vs-answer .vs-mark:focus { outline: 3px solid #f0b400; outline-offset: 1px; }
"""
