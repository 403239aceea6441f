"""Chapters where the topic changes and a sentence starts (on synthetic sentence embeddings),
titles that name the topic, a summary of whole sentences from every chapter (six to ten
chapters' fused in pairs; never the talk's introduction or a misheard closing line), the
linear diverse pick against the pairwise loop it replaced, and the two export formats."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.records import Chunk, Segment, Word
from pipelines.understanding.chapters import (
    Chapter,
    merge_short,
    summarize,
    topic_boundaries,
    webvtt_chapters,
    youtube_chapters,
)
from pipelines.understanding.digest import diverse, fuse, names, neighbour_pairs


def topics(sizes: list[int], seed: int = 0) -> np.ndarray:
    """Unit vectors: each topic's sentences near their own random direction."""
    rng = np.random.default_rng(seed)
    rows = []
    for size in sizes:
        centre = rng.normal(size=32)
        for _ in range(size):
            v = centre + rng.normal(scale=0.35, size=32)
            rows.append(v / np.linalg.norm(v))
    return np.asarray(rows, dtype=np.float32)


def test_boundaries_fall_where_the_topic_changes() -> None:
    vectors = topics([6, 5, 7])
    starts = [i * 10.0 for i in range(len(vectors))]  # a sentence every 10 s
    assert topic_boundaries(vectors, starts, duration=180.0) == [6, 11]


def test_no_chapter_is_shorter_than_the_minimum() -> None:
    vectors = topics([1, 8, 8])  # the first topic is one 3-second sentence
    starts = [i * 3.0 for i in range(len(vectors))]
    cuts = topic_boundaries(vectors, starts, duration=51.0)
    edges = [0.0, *(starts[c] for c in cuts), 51.0]
    assert all(b - a >= 5.0 for a, b in zip(edges, edges[1:], strict=False))
    assert 9 in cuts  # the change from the second topic to the third is still found


def test_a_summary_has_chapters_from_zero_to_the_end_and_three_to_seven_points() -> None:
    vectors = topics([4, 4, 4])
    texts = [f"First, topic {t} says thing {i}." for t in "abc" for i in range(4)]
    segments = [Segment(i * 5.0, i * 5.0 + 4.0, text) for i, text in enumerate(texts)]
    made = summarize(segments, vectors, duration=60.0)
    assert made.chapters[0].start == 0.0 and made.chapters[-1].end == 60.0
    assert [c.start for c in made.chapters] == [0.0, 20.0, 40.0]
    assert all(not c.title.startswith("First") and c.title[0].isupper() for c in made.chapters)
    assert 3 <= len(made.key_points) <= 7
    assert [p.start for p in made.key_points] == sorted(p.start for p in made.key_points)
    assert made.summary.count(".") == 3


def test_chapters_export_for_youtube_and_as_webvtt() -> None:
    chapters = [Chapter(0.0, 75.5, "Solar panels"), Chapter(75.5, 3725.0, "The budget")]
    assert youtube_chapters(chapters) == "0:00 Solar panels\n1:15 The budget\n"
    assert webvtt_chapters(chapters) == (
        "WEBVTT\n\n1\n00:00:00.000 --> 00:01:15.500\nSolar panels\n"
        "\n2\n00:01:15.500 --> 01:02:05.000\nThe budget\n"
    )


def test_a_chapter_starts_where_a_sentence_does_not_inside_one() -> None:
    # Segments are pieces of sentences: "Our share of the budget" + "went up from 40 percent
    # to 70 percent." is one sentence, said while the budget was already the talk's subject.
    solar, budget = topics([1, 1], seed=3)
    leaning = (0.4 * solar + 0.6 * budget) / np.linalg.norm(0.4 * solar + 0.6 * budget)
    texts = [
        ("The solar panels on the roof produce forty kilowatts.", solar),
        ("That covers most of our electricity in summer.", solar),
        ("The panels were installed by a local company.", solar),
        ("Our share of the power bill", solar),
        ("went up from 40 percent to 70 percent.", leaning),
        ("Now let me turn to the budget.", budget),
        ("The marketing budget will grow by ten percent.", budget),
        ("We will spend it on video advertising.", budget),
    ]
    segments = [Segment(i * 4.0, i * 4.0 + 3.5, t) for i, (t, _) in enumerate(texts)]
    vectors = np.asarray([v for _, v in texts])
    made = summarize(segments, vectors, duration=32.0)
    # Segment by segment, the deepest valley is before the piece (16 s); the sentence it ends
    # began at 12 s about the power bill, so the budget starts at 20 s.
    starts = [c.start for c in made.chapters]
    assert 20.0 in starts and 16.0 not in starts  # "Now let me turn to the budget"
    assert set(starts) <= {0.0, 4.0, 8.0, 12.0, 20.0, 24.0, 28.0}  # sentence starts only
    assert topic_boundaries(vectors, [s.start for s in segments], duration=32.0) == [4]
    [budget_chapter] = [c for c in made.chapters if c.start == 20.0]
    assert budget_chapter.title == "Marketing budget"


def test_titles_name_the_topic_in_two_to_seven_words() -> None:
    vectors = topics([4, 4])
    texts = [
        "So the solar panels on the warehouse roof produce power.",
        "The solar panels cover our electricity in summer.",
        "Batteries store what the solar panels make.",
        "The inverter failed once this year.",
        "Next we talk about hiring, starting with the recruiting budget.",
        "The recruiting budget looks better than expected.",
        "Interviews for the recruiting budget start in March.",
        "Candidates complete a coding exercise.",
    ]
    segments = [Segment(i * 5.0, i * 5.0 + 4.0, t) for i, t in enumerate(texts)]
    screens = [Chunk(0.0, 19.0, "Solar power on the roof · 40 kW · 2024", 0, 0, source="screen")]
    made = summarize(segments, vectors, duration=40.0, screens=screens)
    assert [c.title for c in made.chapters] == [
        "Solar power on the roof",
        "Hiring: recruiting budget",
    ]
    bare = summarize(segments, vectors, duration=40.0)  # no slide: the chapter's key phrase
    assert bare.chapters[0].title == "Solar panels"
    for title in [c.title for c in made.chapters + bare.chapters]:
        assert 2 <= len(title.split()) <= 7 and not title.endswith(("…", "."))


def test_the_summary_is_whole_sentences_one_from_every_chapter_with_citations() -> None:
    vectors = topics([5, 5, 5], seed=1)
    texts = [
        "Welcome to the review.",
        "And the length of the run tells them how far away the nectar is.",
        "Bees dance to tell the hive where the flowers are.",
        "The waggle dance points toward the sun.",
        "The bees follow the dance to the flowers",  # cut: no full stop
        "Now the volcano.",
        "The eruption of the volcano happened in April 1815.",
        "Ash from the volcano covered the island.",
        "but the following year became no.",
        "The volcano cooled the whole planet for a year.",
        "Finally, the harvest.",
        "Farmers lost the harvest across Europe that summer.",
        "Bread prices doubled after the lost harvest.",
        "So the harvest failed twice.",
        "People left their farms after the harvest failed.",
    ]
    segments = [Segment(i * 5.0, i * 5.0 + 4.0, t) for i, t in enumerate(texts)]
    made = summarize(segments, vectors, duration=75.0)
    assert [c.start for c in made.chapters] == [0.0, 25.0, 50.0]
    assert 2 <= len(made.sentences) <= 5
    for sentence in made.sentences:
        assert sentence.text[0].isupper() and sentence.text.endswith(".")
        assert sentence.text.split()[0].lower() not in {"and", "but", "so", "or"}
        [(start, end)] = sentence.cites
        assert texts[int(start // 5)].rstrip(".").endswith(sentence.text.rstrip(".")[-20:])
    cited = {int(s.cites[0][0] // 25) for s in made.sentences}
    assert cited == {0, 1, 2}  # every chapter represented
    assert made.summary == " ".join(s.text for s in made.sentences)
    titles = {c.title.lower() for c in made.chapters}
    assert 3 <= len(made.key_points) <= 7
    assert all(p.text.rstrip(".").lower() not in titles for p in made.key_points)


def _plans(count: int) -> tuple[list[Segment], np.ndarray]:
    words = ["solar", "budget", "hiring", "security", "office", "support", "travel", "fleet"]
    words += ["canteen", "archive", "garden", "library"]
    texts = [
        f"The {w} plan number {i} looks good this year." for w in words[:count] for i in range(4)
    ]
    segments = [Segment(i * 5.0, i * 5.0 + 4.0, t) for i, t in enumerate(texts)]
    return segments, topics([4] * count, seed=2)


def test_six_to_ten_chapters_fuse_neighbours_sentences_in_pairs() -> None:
    segments, vectors = _plans(7)
    made = summarize(segments, vectors, duration=140.0)
    assert len(made.chapters) == 7 and len(made.sentences) == 5
    fused = [s for s in made.sentences if len(s.cites) == 2]
    assert len(fused) == 2
    for sentence in fused:  # "A; b.": one sentence, the second clause's "The" in lower case
        assert sentence.text.count("; the ") == 1 and sentence.text.count(".") == 1
        assert sentence.cites[1][0] - sentence.cites[0][0] < 40.0  # neighbouring chapters
    cited = {int(start // 20) for s in made.sentences for start, _ in s.cites}
    assert cited == set(range(7))  # every chapter says something of its own
    assert not made.summary.startswith("The video has")
    assert len(made.key_points) == 7


def test_past_ten_chapters_a_first_sentence_names_them_all() -> None:
    segments, vectors = _plans(11)
    made = summarize(segments, vectors, duration=220.0)
    assert len(made.chapters) == 11 and len(made.sentences) == 5
    assert made.sentences[0].text.startswith("The video has 11 chapters: ")
    assert len(made.sentences[0].cites) == 11


def test_neighbour_pairs_are_disjoint_and_cheapest_where_greedy_strands_one() -> None:
    # Pairing the cheapest neighbours first (1 with 2) would leave 0 and 3 without a partner.
    assert neighbour_pairs([1.0, 0.0, 1.0], 2) == [0, 2]
    assert neighbour_pairs([5.0, 1.0, 5.0, 5.0], 1) == [1]
    assert neighbour_pairs([3.0, 2.0], 0) == []
    with pytest.raises(ValueError, match="3 disjoint pairs do not fit in 5 items"):
        neighbour_pairs([1.0] * 4, 3)


def test_a_fused_clause_starts_lower_case_unless_it_opens_with_a_name_or_i() -> None:
    capitalised = names(
        ["We flew to Mars in May.", "The rover left Mars early.", "So the staff met."]
    )
    assert capitalised == {"mars", "may"}
    assert fuse("The reef lost colour.", "The station kept records.", capitalised) == (
        "The reef lost colour; the station kept records."
    )
    for second in (
        "Mars is far away.",
        "I checked every screen.",
        "I'm sure.",
        "OLED screens help.",
    ):
        assert fuse("It works.", second, capitalised) == f"It works; {second}"


def test_diverse_picks_as_the_pairwise_loop_did() -> None:
    """The running maximum gives the same picks as comparing with every picked row."""
    vectors = topics([6, 5, 7, 3], seed=4)
    relevance = vectors @ vectors.mean(axis=0)
    allowed = np.ones(len(vectors), dtype=bool)

    def pairwise(count: int, picked: list[int]) -> list[int]:
        order: list[int] = []
        for _ in range(count):
            scores = {
                i: 0.7 * relevance[i]
                - 0.3 * max((float(vectors[i] @ vectors[j]) for j in picked), default=0.0)
                for i in range(len(vectors))
                if i not in picked
            }
            best = max(scores, key=lambda i: scores[i])
            picked, order = [*picked, best], [*order, best]
        return order

    assert diverse(vectors, 8, relevance=relevance, allowed=allowed) == pairwise(8, [])
    assert diverse(vectors, 5, relevance=relevance, allowed=allowed, picked=[2, 9]) == pairwise(
        5, [2, 9]
    )


def test_youtube_chapters_merge_those_under_ten_seconds_and_start_at_zero() -> None:
    chapters = [
        Chapter(0.0, 6.0, "Welcome"),
        Chapter(6.0, 40.0, "Solar panels"),
        Chapter(40.0, 47.0, "Aside"),
        Chapter(47.0, 90.0, "The budget"),
        Chapter(90.0, 95.0, "Thanks"),
    ]
    assert youtube_chapters(chapters) == "0:00 Solar panels\n0:47 The budget\n"
    merged = merge_short(chapters)
    assert merged[0].start == 0.0 and merged[-1].end == 95.0
    assert all(c.end - c.start >= 10.0 for c in merged)


def test_slides_decide_between_valleys_a_topic_changes_with_its_slide() -> None:
    vectors = topics([6, 2, 3, 7], seed=5)
    starts = [i * 10.0 for i in range(len(vectors))]
    assert topic_boundaries(vectors, starts, duration=180.0) == [6, 8, 11]
    # One slide until 58 s, the next to the end: the change at 60 s is the slide's; the
    # valleys at 80 s and 110 s fall in the middle of a slide and are no chapters.
    slides = [(0.0, 58.0), (58.0, 180.0)]
    assert topic_boundaries(vectors, starts, duration=180.0, slides=slides) == [6]


def test_turns_and_greetings_frame_the_talk_and_are_not_quoted() -> None:
    from pipelines.understanding.digest import framing

    for text in (
        "Good morning, and welcome to the city transport update.",
        "That is all on the tram line, now let me turn to bicycle lanes.",
        "At a mall on tourism limits, finally, climate records.",
        "Our next topic is tourism limits.",
    ):
        assert framing(text), text
    assert not framing("The cafe next to the train station opened in September.")


def _timed(start: float, end: float, text: str) -> Segment:
    """A segment whose words share its time evenly."""
    tokens = text.split()
    step = (end - start) / len(tokens)
    words = tuple(
        Word(round(start + i * step, 2), round(start + (i + 1) * step, 2), t)
        for i, t in enumerate(tokens)
    )
    return Segment(start, end, text, words)


def test_a_topic_turn_inside_a_segment_starts_a_chapter_at_its_first_word() -> None:
    # As a recogniser heard a stranger's talk: no full stop for 40 s, and the turn to the
    # second topic in the middle of the segment from 18.84 s, its first word at 22.58 s; the
    # slide changes at 22.44 s. The mixed segment's vector lies between the two topics.
    a, b, c = topics([1, 1, 1], seed=3)
    mixed = 0.6 * a + 0.4 * b
    turn_words = [
        *((t, 18.84 + 0.3 * i) for i, t in enumerate("very high in days during the".split())),
        ("swarming", 20.52),
        ("season,", 20.88),
        *((t, 22.58 + 0.28 * i) for i, t in enumerate("now let me turn to sourdough".split())),
        ("making,", 24.24),
    ]
    turn = Segment(
        18.84,
        24.66,
        " ".join(t for t, _ in turn_words),
        tuple(Word(s, s + 0.25, t) for t, s in turn_words),
    )
    segments = [
        _timed(0.03, 5.98, "good morning everyone, today I will talk about bees, let me start"),
        _timed(5.98, 12.07, "with beekeeping in cities, rooftop hives in Paris make honey,"),
        _timed(12.6, 18.84, "a single colony can hold 40,000 bees, beekeepers must inspect each"),
        turn,
        _timed(25.05, 29.23, "a starter is a mix of flour and water that captures wild yeast,"),
        _timed(29.9, 34.66, "most bakers feed their starter twice a day with flour and water,"),
        _timed(35.12, 39.22, "the dough should rest in the fridge overnight."),
        _timed(40.29, 47.49, "Now let me turn to vintage bicycles, steel frames are prized."),
        _timed(48.45, 56.36, "Collectors look for lugged frames built by small workshops."),
        _timed(57.17, 63.04, "Replacing old brake pads is the first job when you restore one."),
    ]
    vectors = np.vstack([a, a, a, mixed / np.linalg.norm(mixed), b, b, b, c, c, c])
    slides = [(0.0, 22.44, "Urban Beekeeping"), (22.44, 40.0, "Sourdough Baking")]
    slides += [(40.0, 64.0, "Vintage Bicycles")]
    screens = [Chunk(s, e, t, 0, 0, "screen") for s, e, t in slides]
    made = summarize(segments, vectors, duration=64.0, screens=screens)
    assert [c.start for c in made.chapters] == [0.0, 22.58, 40.29]
    assert [c.title for c in made.chapters][1] == "Sourdough Baking"


def test_segments_split_into_sentences_at_their_words() -> None:
    from pipelines.understanding.topics import split_sentences

    segments = [
        _timed(0.0, 6.0, "Now let me turn to bikes, steel frames are prized. Collectors love them"),
        _timed(6.0, 9.0, "and so on, next, the budget"),
        _timed(9.0, 12.0, "Okay. Now let us turn to trams"),
    ]
    pieces, vectors = split_sentences(segments, np.ones((3, 4), dtype=np.float32))
    assert [p.text for p in pieces] == [
        "Now let me turn to bikes, steel frames are prized.",
        "Collectors love them",
        "and so on,",
        "next, the budget",
        "Okay.",
        "Now let us turn to trams",
    ]
    assert pieces[1].start == segments[0].words[10].start and pieces[1].end == 6.0
    assert np.allclose(vectors.sum(axis=1)[:2], [4 * 10 / 13, 4 * 3 / 13])


def test_a_spoken_turn_counts_like_a_slide_change() -> None:
    # The first topic is one long sentence and the second's opening sentence half belongs
    # to it (as an unpunctuated transcript runs on): its valley is too shallow alone.
    vectors = topics([1, 3, 3, 4], seed=0).copy()
    vectors[1] = 0.5 * vectors[0] + 0.5 * vectors[2]
    vectors[1] /= np.linalg.norm(vectors[1])
    starts = [i * 8.0 for i in range(len(vectors))]
    assert topic_boundaries(vectors, starts, duration=88.0) == [4, 7]
    turned = [i in (1, 4, 7) for i in range(len(vectors))]  # "Now let me turn to …"
    assert topic_boundaries(vectors, starts, duration=88.0, turned=turned) == [1, 4, 7]


def test_neither_the_talks_introduction_nor_a_misheard_closing_line_is_quoted() -> None:
    texts = [
        "Hi, everyone.",
        "This is our release planning session.",  # the talk's, before its first topic
        "Our first topic is offline mode.",
        "The mobile app will keep working without a network connection.",
        "Changes are saved on the phone and synced when the signal returns.",
        "Next, the night person.",  # as the recogniser heard "night buses"
        "Four night bus routes started running in October.",
        "The busiest route carries nine hundred passengers every Saturday.",
        "Drivers on night routes now work shorter shifts for safety.",
        "At a more long night person.",  # "That is all on night buses."
    ]
    vectors = topics([5, 5], seed=3)
    # Both lines said as the very centre of their chapter: the most central, were they quotable.
    for row, (a, b) in ((1, (0, 5)), (9, (5, 10))):
        centre = vectors[a:b].mean(axis=0)
        vectors[row] = centre / np.linalg.norm(centre)
    segments = [Segment(i * 5.0, i * 5.0 + 4.0, t) for i, t in enumerate(texts)]
    made = summarize(segments, vectors, duration=50.0)
    assert [c.start for c in made.chapters] == [0.0, 25.0]
    quoted = {s.text for s in made.sentences} | {p.text for p in made.key_points}
    assert quoted.isdisjoint({texts[1], texts[9]}), quoted
    assert len(made.sentences) == 2
