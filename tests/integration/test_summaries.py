"""Summaries, key points and chapters of real ingested talks: chapter boundaries where the
topics change (tests/data/talk.json: solar, budget, hiring), titles that name them (a slide
talk's titles are its slide titles), a summary of whole sentences with citations; made by
the ingest job's own stage once the video is searchable, under its own time limit, kept in
the catalog, made again on re-ingest and on demand (``--regenerate``)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipelines.errors import VidscopeError
from pipelines.jobs.startup import library_worker
from pipelines.library import Library
from pipelines.services.summary_service import STORED_AS
from pipelines.storage.files import sha256_file
from pipelines.understanding.summaries import stored_as
from tests.support.library import DATA, TALK, make_settings

SLIDES = DATA / "slides.mp4"


def test_chapters_start_where_the_talk_changes_topic(
    talk_library: Library, talk_manifest: dict[str, Any]
) -> None:
    [video] = talk_library.local.list_videos()
    made = talk_library.local.summary(video.id)
    sentences = talk_manifest["sentences"]
    budget, hiring = sentences[3]["start"], sentences[5]["start"]
    starts = [c.start for c in made.chapters]
    assert starts[0] == 0.0 and made.chapters[-1].end == round(video.duration, 2)
    assert len(starts) == 3, made.chapters
    assert abs(starts[1] - budget) <= 2.0 and abs(starts[2] - hiring) <= 2.0, starts
    assert 3 <= len(made.key_points) <= 7 and made.summary
    vtt = talk_library.local.chapters(video.id, "vtt")
    assert vtt.startswith("WEBVTT") and vtt.count(" --> ") == 3


def test_titles_name_the_topics_and_the_summary_cites_every_chapter(
    talk_library: Library,
) -> None:
    [video] = talk_library.local.list_videos()
    made = talk_library.local.summary(video.id)
    titles = [c.title.lower() for c in made.chapters]
    assert "solar" in titles[0] and "budget" in titles[1] and "hiring" in titles[2], titles
    assert all(2 <= len(t.split()) <= 7 for t in titles)
    assert made.method == "extractive" and 2 <= len(made.sentences) <= 5
    assert made.summary == " ".join(s.text for s in made.sentences)
    covered = set()
    for sentence in made.sentences:
        assert re.match(r"[A-Z]", sentence.text) and sentence.text.endswith(".")
        assert not re.match(r"(and|but|so|or|first|second|finally)\b", sentence.text, re.I)
        for cite in sentence.cites:
            covered |= {n for n, c in enumerate(made.chapters) if c.start <= cite.start < c.end}
    assert covered == {0, 1, 2}
    point_texts = {p.text.rstrip(".").lower() for p in made.key_points}
    assert not point_texts & set(titles)


def test_a_slide_talks_chapters_are_titled_by_their_slides(library: Library) -> None:
    [result] = list(library.local.ingest([SLIDES]))
    made = library.local.summary(result.video_id)
    # tests/data/slides.json: "Orders shipped this quarter" from 4 s, "Delivery partners"
    # from 12.6 s (the title slide and the thank-you slide fall inside those chapters).
    assert [c.title for c in made.chapters] == ["Orders shipped this quarter", "Delivery partners"]


def test_the_summary_is_made_in_the_ingest_and_again_on_reingest(library: Library) -> None:
    mine = library.local
    [result] = list(mine.ingest([TALK]))
    # Made by the ingest itself (its "summary" stage, once the video is searchable): the
    # first request reads it.
    fingerprint, stored = mine._catalog.stored_summary(result.video_id, method=STORED_AS)
    assert stored is not None
    first = mine.summary(result.video_id)
    assert first.model_dump_json() == stored and first.chapters
    again = mine.ingest_file(TALK, force=True)
    assert again.status == "indexed"
    refreshed, stored_again = mine._catalog.stored_summary(result.video_id, method=STORED_AS)
    assert refreshed != fingerprint and stored_again is not None  # made from the new transcript
    assert mine.summary(result.video_id).chapters == first.chapters  # same talk, same chapters


def test_an_older_rules_summary_is_made_again_and_regenerate_replaces_it(
    library: Library,
) -> None:
    mine = library.local
    [result] = list(mine.ingest([TALK]))
    fingerprint, stored = mine._catalog.stored_summary(result.video_id, method=STORED_AS)
    assert stored is not None
    # One kept by older rules is not served: the current rules' key finds nothing.
    assert STORED_AS == "extractive/4"
    mine._catalog.store_summary(
        result.video_id, method="extractive/2", fingerprint=fingerprint, payload="{}"
    )
    stale = stored.replace('"method":"extractive"', '"method":"stale"')
    mine._catalog.store_summary(
        result.video_id, method=STORED_AS, fingerprint=fingerprint, payload=stale
    )
    assert mine.summary(result.video_id).method == "stale"  # stored: served as kept
    assert mine.summary(result.video_id, regenerate=True).method == "extractive"
    assert mine.summary(result.video_id).method == "extractive"  # the new one is kept


@pytest.fixture
def queued_talk(tmp_path: Path) -> tuple[Path, str]:
    staged = tmp_path / "upload.mp4"
    shutil.copy(TALK, staged)
    return staged, sha256_file(staged)


def test_the_video_is_searchable_before_its_summary_and_a_slow_summary_fails_nothing(
    tmp_path: Path, queued_talk: tuple[Path, str]
) -> None:
    # A summary stage that can never finish in time: the video is ready and searchable all
    # the same, the job succeeds, and the summary is made when first asked for.
    settings = make_settings(tmp_path / "library", job_timeout_summary_s=1e-6)
    staged, sha256 = queued_talk
    with Library(settings) as library:
        mine = library.local
        video, job_id = mine.accept_upload(staged, title="talk", sha256=sha256, shown_as="t")
        assert job_id is not None
        with pytest.raises(VidscopeError) as refused:
            mine.summary(video.id)
        assert refused.value.code == "summary.not_ready"
        job = library.system.claim_job(lease_s=60, kinds=("ingest",))
        assert job is not None and job.id == job_id
        worker = library_worker(library)
        try:
            worker.run(job)
        finally:
            worker.stop()
        done = library.system.job(job_id)
        assert (done.status, done.stage) == ("succeeded", "done")
        assert mine.get_video(video.id).status == "ready"
        assert mine.search("solar panels on the warehouse roof")
        assert mine._catalog.stored_summary(video.id, method=STORED_AS)[1] is None
        assert mine.summary(video.id).chapters  # made now, on demand
        assert mine._catalog.stored_summary(video.id, method=STORED_AS)[1] is not None


def test_an_ingest_over_its_limit_names_the_stage_it_stopped_in(
    tmp_path: Path, queued_talk: tuple[Path, str]
) -> None:
    settings = make_settings(tmp_path / "library", job_timeout_ingest_s=1.5)
    staged, sha256 = queued_talk
    with Library(settings) as library:
        _, job_id = library.local.accept_upload(staged, title="t", sha256=sha256, shown_as="t")
        job = library.system.claim_job(lease_s=60, kinds=("ingest",))
        assert job is not None and job.id == job_id
        worker = library_worker(library)
        try:
            worker.run(job)
        finally:
            worker.stop()
        failed = library.system.job(job_id)
    assert (failed.status, failed.error_code) == ("failed", "job.timed_out")
    assert failed.error_message is not None
    assert re.search(
        r"1\.5 s \(VIDSCOPE_JOB_TIMEOUT_INGEST_S\) in its '\w+' stage", failed.error_message
    ), failed.error_message


def test_the_cli_regenerates_a_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import app

    monkeypatch.setenv("VIDSCOPE_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(TALK)]).exit_code == 0
    [listed] = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    made = runner.invoke(app, ["summary", listed["id"], "--regenerate"])
    assert made.exit_code == 0, made.output
    assert "Chapters" in made.output and re.search(r"\(\d\d:\d\d:\d\d", made.output), made.output


def test_the_cli_regenerates_before_it_prints_chapters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.cli import app
    from pipelines.config import load_settings

    home = tmp_path / "home"
    monkeypatch.setenv("VIDSCOPE_HOME", str(home))
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(TALK)]).exit_code == 0
    [listed] = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    with Library(load_settings(home=home)) as opened:
        catalog = opened.local._catalog
        fingerprint, stored = catalog.stored_summary(listed["id"], method=STORED_AS)
        assert stored is not None
        stale = re.sub(r'"title":"[^"]*"', '"title":"A stale title"', stored)
        catalog.store_summary(
            listed["id"], method=STORED_AS, fingerprint=fingerprint, payload=stale
        )
    kept = runner.invoke(app, ["summary", listed["id"], "--chapters", "youtube"])
    assert "A stale title" in kept.stdout  # without --regenerate the stored one is printed
    made = runner.invoke(app, ["summary", listed["id"], "--chapters", "youtube", "--regenerate"])
    assert made.exit_code == 0, made.output
    assert "A stale title" not in made.stdout and made.stdout.startswith("0:00 "), made.stdout


@pytest.mark.slow
def test_a_model_written_summary_keeps_only_what_the_talk_says(tmp_path: Path) -> None:
    """The real Qwen2.5-0.5B writes the titles and the summary; whatever it writes, what is
    kept names each chapter in 2-7 words of its own, cites the talk for every sentence,
    covers every chapter and shows no time the model wrote."""
    settings = make_settings(
        tmp_path / "library", ask_generator="local", llm_local_model="qwen2.5-0.5b"
    )
    with Library(settings) as library:
        [result] = list(library.local.ingest([TALK]))
        made = library.local.summary(result.video_id)
        stored = library.local._catalog.stored_summary(
            result.video_id, method=stored_as("qwen2.5-0.5b")
        )
    assert stored[1] == made.model_dump_json()  # made by the ingest, kept under the writer
    assert made.method in ("qwen2.5-0.5b", "extractive")
    assert len(made.chapters) == 3
    assert all(2 <= len(c.title.split()) <= 7 for c in made.chapters), made.chapters
    assert 2 <= len(made.sentences) <= 5
    covered = set()
    for sentence in made.sentences:
        assert sentence.cites and not re.search(r"\d+:\d\d", sentence.text), sentence
        for cite in sentence.cites:
            covered |= {n for n, c in enumerate(made.chapters) if c.start <= cite.start < c.end}
    assert covered == {0, 1, 2}, made.sentences


def test_a_topic_turn_heard_mid_segment_starts_its_chapter(library: Library) -> None:
    # tests/data/turns.json: the recogniser puts "now let me turn to sourdough" in the middle
    # of a segment starting at 17.7 s (the word at 22.6 s, the slide changing at 22.4 s), and
    # "now let me turn to vintage bicycles" in the middle of one starting at 36.3 s.
    [result] = list(library.local.ingest([DATA / "turns.mp4"]))
    made = library.local.summary(result.video_id)
    starts = [c.start for c in made.chapters]
    assert len(starts) == 3, made.chapters
    assert abs(starts[1] - 22.6) <= 0.5 and abs(starts[2] - 40.4) <= 0.5, starts
    assert [c.title for c in made.chapters][1] == "Sourdough Baking", made.chapters
