"""The web page's Search and Ask tabs narrowed to one speaker, through the page's own handlers
and layout (app/web/handlers.py, app/web/page.py) on the shared turns.mp4 library, with
turns-reply.m4a (an audio file: no pictures) beside it: a filter of the owner's names,
"Anyone" by default, giving the same hits and citations as ``speaker=`` does; an audio hit's
card shows a tile, not a thumbnail the API refuses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest

from app.web.handlers import WebApp
from app.web.ledger import UploadLedger
from pipelines.library import Library, OwnerLibrary
from tests.support.library import DATA

pytestmark = pytest.mark.slow
REPLY = DATA / "turns-reply.m4a"  # 35 s of two voices, audio only


@pytest.fixture(scope="module")
def page(
    turns_library: tuple[Library, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WebApp, OwnerLibrary, str, str]]:
    """The page's handlers on the shared library, with turns-reply.m4a added (deleted after,
    so other modules see the library they expect): (web, owner, turns id, reply id)."""
    library, turns_id = turns_library
    [reply] = list(library.local.ingest([REPLY]))
    assert reply.status == "indexed", reply
    web = WebApp(UploadLedger(Path(tmp_path_factory.mktemp("web-uploads"))))
    web.attach(library, library.accounts, None)
    yield web, library.local, turns_id, reply.video_id
    library.local.delete(reply.video_id)


def _said_by(cards: str) -> list[str]:
    """Who says each card's sentence, as the card shows it ('Dana · 00:41')."""
    return re.findall(r'<div class="vs-time">(?:\[\d+\] )?([^<]*?) · [\d:]+</div>', cards)


def test_search_and_ask_narrow_to_a_speaker_the_owner_named(
    page: tuple[WebApp, OwnerLibrary, str, str], turns_owner: OwnerLibrary
) -> None:
    web, owner, turns_id, _ = page
    request = gr.Request(username=owner.owner_id)
    # Before anyone is named, the filter offers "Anyone" only (labels differ per video).
    unnamed = web.speaker_filter(None, request)
    assert (unnamed["choices"], unnamed["value"]) == ([("Anyone", "")], "")
    owner.rename_speaker(turns_id, "Speaker 3", "Dana")  # the bicycles
    offered = web.speaker_filter("", request)
    assert (offered["choices"], offered["value"]) == ([("Anyone", ""), ("Dana", "Dana")], "")
    assert web.speaker_filter("Dana", request)["value"] == "Dana"  # kept while she is named

    question = "what do collectors look for in old bicycle frames"
    everyone = web.search_cards(question, "", request)
    assert len(set(_said_by(everyone))) >= 2, everyone  # Anyone: every voice's hits
    dana = web.search_cards(question, "Dana", request)
    assert _said_by(dana) and set(_said_by(dana)) == {"Dana"}, dana
    # Anyone narrows nothing: Dana's words and the slide's, which nobody says and her filter
    # leaves out.
    assert "Dana" in _said_by(everyone) and "shown on screen" in everyone, everyone
    assert "shown on screen" not in dana, dana
    # The same hits the API's speaker= gives, in the same order.
    wanted = [(h.video_id, h.start) for h in owner.search(question, speaker="Dana")]
    shown = re.findall(r'data-video="(\w+)" data-start="([\d.]+)"', dana)
    assert [(v, float(s)) for v, s in shown] == wanted

    frames = "What do collectors look for in bicycle frames?"
    *_, answered = web.answer_cards(frames, "Dana", request)
    assert 'class="vs-answer"' in answered
    assert _said_by(answered) and set(_said_by(answered)) == {"Dana"}, answered
    # What Dana did not say is not evidence: the bees are Speaker 1's.
    *_, bees = web.answer_cards("How many bees can a colony hold in summer?", "Dana", request)
    assert "40,000" not in bees and set(_said_by(bees)) <= {"Dana"}

    # Once nobody is called Dana, the tab opened again offers Anyone, chosen.
    owner.rename_speaker(turns_id, "Dana", None)
    again = web.speaker_filter("Dana", request)
    assert (again["choices"], again["value"]) == ([("Anyone", "")], "")


def test_an_audio_hit_shows_a_tile_not_a_thumbnail_the_api_refuses(
    page: tuple[WebApp, OwnerLibrary, str, str],
) -> None:
    web, owner, turns_id, reply_id = page
    request = gr.Request(username=owner.owner_id)
    cards = web.search_cards("canal boats carrying timber", "", request)
    heard = re.findall(rf'data-video="{reply_id}".*?</button>', cards)
    assert heard, cards  # turns-reply says it
    for card in heard:
        assert "<img" not in card and "Audio only" in card
    assert f"api/v1/videos/{reply_id}/thumbnail" not in cards
    # A video with pictures keeps its still.
    seen = web.search_cards("how often do you feed a sourdough starter", "", request)
    assert f'<img src="api/v1/videos/{turns_id}/thumbnail?t=' in seen
    # And an answer citing the audio file.
    *_, answered = web.answer_cards("How fast does a narrow boat move?", "", request)
    assert f'data-video="{reply_id}"' in answered, answered
    assert f"api/v1/videos/{reply_id}/thumbnail" not in answered and "Audio only" in answered
