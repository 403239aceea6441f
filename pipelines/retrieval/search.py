"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidate lists fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from pipelines.errors import QueryError
from pipelines.records import Hit
from pipelines.retrieval.layered import LayeredVectors, LayeredWords
from pipelines.storage.catalog import OwnerCatalog, PassageSentence
from pipelines.storage.catalog.speakers import speaker_key

MAX_QUERY_CHARS = 1000
MAX_SPEAKER_CHARS = 60  # a speaker's name (catalog/speakers.MAX_NAME_CHARS) or label
SNIPPET_CHARS = 280
MAX_K = 200


def check_query(query: str) -> str:
    query = query.strip()
    if not query:
        raise QueryError("the search query is empty", code="query.empty")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query has {len(query)} characters; the limit is {MAX_QUERY_CHARS}",
            code="query.too_long",
        )
    return query


def fuse_rankings(rankings: Sequence[Sequence[int]], rrf_k: int = 60) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: score(d) = sum over lists of 1 / (rrf_k + rank), rank from 1.
    Ties keep the order in which ids were first seen, so results are deterministic."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (rrf_k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def best_sentence(
    sentences: Sequence[PassageSentence], query_vector: np.ndarray
) -> tuple[int, float]:
    """(index, cosine similarity) of the sentence most similar to the query (vectors are
    unit length)."""
    scores = np.stack([s.vector for s in sentences]) @ query_vector
    best = int(np.argmax(scores))
    return best, float(scores[best])


def relevant(similarity: float, *, lexical_match: bool, min_similarity: float) -> bool:
    """The relevance floor. RRF ranks whatever exists, so without a floor nonsense gets k
    hits. On the test talk (docs/benchmarks.md), the best sentence of a paraphrase scored 0.39
    to 0.72 and of nonsense 0.06 to 0.22. A passage that also matches the query's words (BM25)
    needs only two thirds of the floor, so a rare exact term the embedding does not know
    still finds its passage."""
    floor = min_similarity * 2 / 3 if lexical_match else min_similarity
    return similarity >= floor


def make_snippet(
    sentences: Sequence[PassageSentence], best: int, max_chars: int = SNIPPET_CHARS
) -> str:
    """The best sentence with as much of its neighbours as fits, ellipses where cut."""
    return snippet_of(sentences, best, max_chars)[2]


def snippet_of(
    sentences: Sequence[PassageSentence],
    best: int,
    max_chars: int = SNIPPET_CHARS,
    *,
    more_before: bool = False,
    more_after: bool = False,
) -> tuple[int, int, str]:
    """(first, last, text): the sentences ``first..last`` shown around ``best`` (as many
    neighbours as fit) and the snippet, with an ellipsis where it is cut or where the
    passage goes on (``more_before``/``more_after``: ``sentences`` is one speaker's turn
    inside it)."""
    first = last = best
    length = len(sentences[best].text)
    grew = True
    while grew:
        grew = False
        for candidate in (last + 1, first - 1):
            if 0 <= candidate < len(sentences):
                extra = len(sentences[candidate].text) + 1
                if length + extra <= max_chars:
                    first, last = min(first, candidate), max(last, candidate)
                    length += extra
                    grew = True
    text = " ".join(s.text for s in sentences[first : last + 1])
    cut = False
    if len(text) > max_chars:
        text = text[: max_chars - 1].rsplit(" ", 1)[0]
        cut = True  # the trailing ellipsis
    prefix = "…" if first > 0 or more_before else ""
    suffix = "…" if cut or last != len(sentences) - 1 or more_after else ""
    return first, last, prefix + text + suffix


def search_library(
    query: str,
    *,
    catalog: OwnerCatalog,
    vectors: LayeredVectors,
    lexical: LayeredWords,
    embed_query: Callable[[str], np.ndarray],
    k: int = 10,
    video_id: str | None = None,
    speaker: str | None = None,
    rrf_k: int = 60,
    min_similarity: float = 0.3,
) -> list[Hit]:
    """The best ``k`` passages for ``query`` (in ``video_id`` only), each pointing at its
    best sentence. With ``speaker`` (a name or a label), only what that speaker says: a hit
    shows the speaker's turn around their best sentence (``turn_around``) and its start and
    end are that turn's shown sentences'."""
    query = check_query(query)
    if not 1 <= k <= MAX_K:
        raise QueryError(f"k must be between 1 and {MAX_K}, got {k}", code="query.bad_k")
    allowed: np.ndarray | None = None
    wanted = speaker_key(speaker or "")
    if speaker is not None:
        allowed = np.array(sorted(spoken_by(catalog, speaker, video_id)), dtype=np.int64)
    elif video_id is not None:  # the caller checked that the video is the owner's
        allowed = catalog.chunk_ids(video_id)
    depth = max(50, 4 * k)
    query_vector = embed_query(query)
    dense = vectors.search(query_vector, depth, allowed)
    sparse = lexical.search(query, depth, allowed)
    fused = fuse_rankings([[i for i, _ in dense], [i for i, _ in sparse]], rrf_k)[:k]
    passages = catalog.passages(i for i, _ in fused)
    lexical_ids = {i for i, _ in sparse}
    hits: list[Hit] = []
    pointed: set[tuple[str, float]] = set()  # overlapping passages share their best sentence
    for chunk_id, score in fused:
        row = passages.get(chunk_id)
        if row is None or not row.sentences:
            continue  # deleted between index and catalog read: the catalog wins
        inside, before, after = row.sentences, False, False
        if speaker is None:
            best, similarity = best_sentence(inside, query_vector)
        else:  # the turn of the speaker asked for that holds their best sentence
            said = [i for i, s in enumerate(inside) if said_by(s, wanted)]
            if not said:
                continue
            mine, similarity = best_sentence([inside[i] for i in said], query_vector)
            first, last = turn_around(inside, said[mine], wanted)
            inside, best = inside[first : last + 1], said[mine] - first
            before, after = first > 0, last < len(row.sentences) - 1
        if not relevant(
            similarity, lexical_match=chunk_id in lexical_ids, min_similarity=min_similarity
        ):
            continue
        if (row.video_id, inside[best].start) in pointed:
            continue
        pointed.add((row.video_id, inside[best].start))
        first, last, text = snippet_of(inside, best, more_before=before, more_after=after)
        # A speaker's hit runs over what it shows (their turn, never another's words);
        # otherwise the best sentence is where to jump and its neighbours are context.
        shown = (inside[first], inside[last]) if speaker else (inside[best], inside[best])
        hits.append(
            Hit(
                video_id=row.video_id,
                title=row.title,
                start=round(shown[0].start, 2),
                end=round(shown[1].end, 2),
                text=text,
                score=round(score, 5),
                source=row.source,
                passage_start=round(row.start, 2),
                passage_end=round(row.end, 2),
                chunk_id=chunk_id,
                speaker=inside[best].speaker,
            )
        )
    return hits


def spoken_by(catalog: OwnerCatalog, speaker: str, video_id: str | None) -> set[int]:
    """The passages where ``speaker`` says a sentence; ``speaker.unknown`` when nobody of
    that name or label speaks in the library (or the video), rather than no hits."""
    allowed = catalog.chunk_ids_spoken_by(speaker, video_id)
    if not allowed:
        where = "this video" if video_id else "your library"
        raise QueryError(
            f"nobody called {speaker.strip()!r} speaks in {where}; a video's list of speakers "
            "names them (Speaker 1, Speaker 2, ... until you name them)",
            code="speaker.unknown",
        )
    return allowed


def said_by(sentence: PassageSentence, wanted: str) -> bool:
    """Whether ``sentence`` is said by the speaker whose ``speaker_key`` is ``wanted``: by
    the name it is shown with or by its label ("Speaker 3" is Beth's sentences once Beth is
    its name), as ``chunk_ids_spoken_by`` compares them."""
    return wanted in (speaker_key(sentence.speaker or ""), speaker_key(sentence.label or ""))


def sentences_said_by(
    sentences: Sequence[PassageSentence], speaker: str
) -> tuple[PassageSentence, ...]:
    """The sentences ``speaker`` (a name or a label) says: what a search hit may point at
    and what an answer filtered by speaker may cite (a passage two voices share holds
    both)."""
    wanted = speaker_key(speaker)
    return tuple(s for s in sentences if said_by(s, wanted))


def turn_around(sentences: Sequence[PassageSentence], index: int, wanted: str) -> tuple[int, int]:
    """(first, last): the sentences around ``index`` that its speaker (``wanted``, as
    ``speaker_key`` spells them) says one after another, up to another voice's sentence or
    the passage's ends. A speaker's snippet stays inside it: their sentences on either side
    of someone else's are different moments ("Good morning, everyone." is not what they
    said twenty seconds later)."""
    first = last = index
    while first > 0 and said_by(sentences[first - 1], wanted):
        first -= 1
    while last + 1 < len(sentences) and said_by(sentences[last + 1], wanted):
        last += 1
    return first, last
