"""Questions about an owner's library, answered with citations to the second: hybrid search
for the passages, their sentences most similar to the question as evidence, and the library's
generator (extractive by default) to write the answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pipelines.services.search_service import SearchService
from pipelines.storage.catalog.speakers import speaker_key
from pipelines.understanding.speaker_questions import speaker_in_question, without_speaker

if TYPE_CHECKING:  # the public models load when a face shows one: a clip needs none
    from pipelines.public import AnswerPublic
    from pipelines.understanding.answers import Answer

# More evidence than citations: the generator may pick, and the extractive answer dedupes.
EVIDENCE_PER_CITATION = 2


class AnswerService(SearchService):
    def answer(
        self,
        question: str,
        *,
        video_id: str | None = None,
        speaker: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """The answer with its citations; ``on_token`` gets its text piece by piece as it is
        written (joined, the pieces are ``Answer.answer``). With ``speaker`` (a name or a
        label), only what that speaker says is evidence."""
        from pipelines.retrieval.search import check_query, said_by
        from pipelines.understanding.answers import compose_answer
        from pipelines.understanding.evidence import gather_evidence
        from pipelines.understanding.grounding import embedder

        question = check_query(question)
        settings = self.settings.answers
        if speaker is None:  # "what did Dana say about…" asks for Dana's sentences
            speaker = speaker_in_question(question, self._catalog.speaker_names())
        asked = without_speaker(question, speaker) if speaker else question
        hits = self.search(asked, k=settings.k, video_id=video_id, speaker=speaker)
        passages = self._catalog.passages(h.chunk_id for h in hits)
        wanted = speaker_key(speaker or "")
        embed = embedder(
            self.settings.embedding.model,
            threads=self.settings.threads,
            cache_dir=self.settings.model_cache,
        )
        vector = self.embed_query(asked)
        found = [passages[h.chunk_id] for h in hits if h.chunk_id in passages]
        # The speaker's sentences only, as search points at them, turn by turn.
        said = None if speaker is None else (lambda s: said_by(s, wanted))
        evidence = gather_evidence(
            vector,
            found,
            min_similarity=settings.min_similarity,
            limit=settings.max_citations * EVIDENCE_PER_CITATION,
            question_text=asked,
            embed=embed,
            said=said,
        )
        if not evidence and settings.verifier != "off":
            # Nothing at the floor: the local model is asked about what is a little under it
            # (loaded on the first such question, then kept by the process).
            from pipelines.understanding import verify
            from pipelines.understanding.gguf_runtime import load_language_model

            model = load_language_model(
                settings.verifier, self.settings.threads, cache=self.settings.model_cache
            )
            under_floor = gather_evidence(
                vector,
                found[:1],
                min_similarity=verify.FLOOR,
                limit=verify.CANDIDATES,
                question_text=asked,
                embed=embed,
                said=said,
            )
            evidence = verify.verified(model, asked, evidence, under_floor)
        return compose_answer(question, evidence, self.generator, embed=embed, on_token=on_token)

    def ask(
        self, question: str, *, video_id: str | None = None, speaker: str | None = None
    ) -> AnswerPublic:
        """The answer as every face shows it (CLI --json, the API, the web app); a question
        asked before of the library as it is now comes from the cache."""
        from pipelines.public import AnswerPublic
        from pipelines.understanding.cache import cache_key
        from pipelines.understanding.evidence import RULES_VERSION

        key = cache_key(
            "answer",
            self.owner_id,
            self._catalog.fingerprint(),
            " ".join(question.split()).lower(),
            video_id or "",
            speaker_key(speaker or ""),  # 'Ｄａｎａ' asks what 'dana' asked
            self.generator.name,
            self.settings.answers.verifier,  # a verified answer may abstain where another did not
            RULES_VERSION,  # an upgrade that answers otherwise does not serve old answers
        )
        cached = self.cache.get(key)
        if cached is not None:  # the same question, perhaps with other case or spacing
            found = AnswerPublic.model_validate_json(cached)
            return found.model_copy(update={"question": question.strip()})  # as it was asked
        answer = AnswerPublic.of(self.answer(question, video_id=video_id, speaker=speaker))
        if answer.fell_back is None:  # a fallback is worth asking again once the server is back
            self.cache.put(key, answer.model_dump_json())
        return answer
