"""Who an unnamed voice may be: the names an owner gave voices in other videos, compared by
voice print (the unit-length mean CAM++ embedding diarization stores for each speaker).

A name is suggested when the person's closest print is at least ``threshold`` similar
(cosine). The threshold is chosen by ``python -m evals.voice_match`` on generated
conversations, for precision of 0.95 or more: a wrong name is worse than none (docs/evals.md).
Plain NumPy over a handful of vectors, so suggestions are worked out whenever speakers are read
and a name given in one video is suggested in every other one at once."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # loaded when names are suggested, not when the catalog imports this
    import numpy as np

Combine = Literal["max", "mean"]
# How one person's several prints (one per video they were named in) are compared with a
# voice: by their closest print ("max"), or by the mean of their prints ("mean"). Measured by
# `python -m evals.voice_match` (docs/evals.md): both find 85 of 86 voices, but "max" keeps
# precision >= 0.95 over a wider range of thresholds (0.945-0.960 against 0.940-0.950), and
# a mean print drifts from each recording's voice as a person is named in unlike ones.
COMBINE: Combine = "max"


@dataclass(frozen=True)
class NamedVoice:
    """A voice print somebody named: the name, the video it is in, the print (unit length)."""

    name: str
    video_id: str
    vector: Sequence[float]


@dataclass(frozen=True)
class Suggestion:
    """The name suggested for a voice, how similar the voice is to that person (cosine of
    voice prints, -1 to 1), and the video whose named voice was the closest."""

    name: str
    similarity: float
    from_video_id: str


def suggest_names(
    unnamed: Mapping[str, Sequence[float]],
    named: Sequence[NamedVoice],
    *,
    threshold: float,
    taken: Collection[str] = (),
    rejected: Mapping[str, Collection[str]] | None = None,
    combine: Combine = COMBINE,
) -> dict[str, Suggestion]:
    """A suggestion for each label of ``unnamed`` (label -> print, one video's unnamed
    voices) whose closest person in ``named`` (the owner's named voices in other videos; one
    person = one name, any case) is at least ``threshold`` similar. Never suggested: a name in
    ``taken`` (the video's other speakers have it) or in ``rejected[label]`` (a person said it
    is not them; any case). Two voices of one video never get the same name: the closer one
    keeps it and the other gets none, not its second choice (a voice diarization split in two
    is one person, whose other half would get the wrong runner-up). A threshold of 1 or more
    suggests nothing."""
    if not unnamed or not named or threshold >= 1.0:
        return {}
    import numpy as np

    closed = {name.casefold() for name in taken}
    people: dict[str, list[NamedVoice]] = {}
    for voice in named:
        if voice.name.casefold() not in closed:
            people.setdefault(voice.name.casefold(), []).append(voice)
    if not people:
        return {}
    labels = list(unnamed)
    voices = _unit(np.asarray([unnamed[label] for label in labels], dtype=np.float64))
    best: dict[str, Suggestion] = {}
    for key, prints in people.items():
        matrix = _unit(np.asarray([p.vector for p in prints], dtype=np.float64))
        each = voices @ matrix.T  # labels x this person's prints
        closest = each.argmax(axis=1)
        if combine == "max":
            score = each.max(axis=1)
        else:
            score = voices @ _unit(matrix.mean(axis=0, keepdims=True))[0]
        for row, label in enumerate(labels):
            if key in {n.casefold() for n in (rejected or {}).get(label, ())}:
                continue
            similarity = float(score[row])
            if label not in best or similarity > best[label].similarity:
                source = prints[int(closest[row])]
                best[label] = Suggestion(source.name, round(similarity, 4), source.video_id)
    kept = {label: s for label, s in best.items() if s.similarity >= threshold}
    winners: dict[str, str] = {}  # person -> the label that keeps the name
    for label, suggestion in sorted(kept.items(), key=lambda item: -item[1].similarity):
        winners.setdefault(suggestion.name.casefold(), label)
    return {label: s for label, s in kept.items() if winners[s.name.casefold()] == label}


def _unit(rows: np.ndarray) -> np.ndarray:
    import numpy as np

    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)
