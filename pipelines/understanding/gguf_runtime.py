"""The LanguageModel on this machine's CPU: a GGUF model run by llama.cpp, through the library
the ``gpt4all`` wheel ships prebuilt (``pip install`` takes seconds; ``llama-cpp-python``
publishes no wheel and compiles for about twelve minutes; README "Language models" has the
measurements that chose it).

Greedy decoding (the same messages give the same text), a repeat penalty so small models do
not loop, a cap on the tokens written, and stop strings cut where they begin. A model is loaded
once per process (``load_language_model`` keeps it) and writes one reply at a time: two callers
would only share the same CPU, each at half speed."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pipelines.errors import ModelError
from pipelines.logs import get_logger
from pipelines.understanding.gguf_models import PreparedModel, prepare_model
from pipelines.understanding.language_model import LanguageModel, Message

log = get_logger(__name__)

CONTEXT_TOKENS = 4096  # prompt and reply together; ~8 evidence passages take ~600
REPEAT_PENALTY = 1.1  # 1.0 is off; small models may repeat a sentence to the cap without it
# The penalty's window counts the prompt's last tokens too: over 64 it reached back into the
# evidence, and Qwen2.5 0.5B paraphrased it badly to avoid its words ("Bee dances on comb,
# which tells them where food is." for "[1] Honey bees tell each other where food is with a
# waggle dance on the comb."); over 16 it answers as with no penalty (evals/llm_runtime.py).
REPEAT_LAST_N = 16
PROMPT_BATCH = 128  # prompt tokens read per step (gpt4all's default of 8 is 3x slower here)
# End-of-turn markers of the chat templates these models use: never part of a reply.
END_OF_TURN = ("<|im_end|>", "<|im_start|>", "<|endoftext|>")
_DONE = object()


class GgufLanguageModel:
    """A loaded GGUF model; ``name`` is what answers say wrote them."""

    def __init__(self, prepared: PreparedModel, *, threads: int, libraries: Path | None) -> None:
        self.name = prepared.name
        self.path = prepared.path
        self._template = _chat_template(prepared.metadata.chat_template or "")
        self._model = _load(prepared.path, threads=threads, libraries=libraries)
        self._lock = threading.Lock()

    def prompt(self, messages: Sequence[Message]) -> str:
        """The text the model reads: ``messages`` in its own chat template."""
        return str(
            self._template.render(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                add_generation_prompt=True,
            )
        )

    def complete(
        self, messages: Sequence[Message], *, max_tokens: int, stop: Sequence[str] = ()
    ) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens, stop=stop)).strip()

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, stop: Sequence[str] = ()
    ) -> Iterator[str]:
        """Pieces of the reply as the model writes them; text that may begin a stop string is
        held back until it is clear. Closing the iterator early stops the model. Raises
        ModelError ``model.prompt_too_long`` when the prompt leaves no room in the context."""
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        stops = tuple(s for s in (*stop, *END_OF_TURN) if s)
        prompt = self.prompt(messages)
        with self._lock:
            pieces: queue.Queue[Any] = queue.Queue()
            cancelled = threading.Event()
            worker = threading.Thread(
                target=self._generate,
                args=(prompt, max_tokens, pieces, cancelled),
                name=f"llm-{self.name}",
                daemon=True,
            )
            worker.start()
            try:
                yield from _until_stop(pieces, stops, cancelled)
            finally:
                cancelled.set()
                worker.join()

    def _generate(
        self, prompt: str, max_tokens: int, pieces: queue.Queue[Any], cancelled: threading.Event
    ) -> None:
        def on_token(token_id: int, text: str) -> bool:
            if token_id == -1:  # llama.cpp reports its errors through the reply
                pieces.put(_failure(text))
                return False
            pieces.put(text)
            return not cancelled.is_set()

        try:
            self._model.prompt_model(
                prompt,
                "%1",
                on_token,
                n_predict=max_tokens,
                top_k=1,
                top_p=1.0,
                temp=0.0,
                n_batch=PROMPT_BATCH,
                repeat_penalty=REPEAT_PENALTY,
                repeat_last_n=REPEAT_LAST_N,
                reset_context=True,  # each reply starts afresh; no conversation is kept
                special=True,  # the template's <|im_start|> are tokens, not text
            )
        except Exception as exc:  # noqa: BLE001 - handed to the reader, who raises it
            pieces.put(ModelError(f"the language model failed: {exc}", code="model.failed"))
        finally:
            pieces.put(_DONE)


def _until_stop(
    pieces: queue.Queue[Any], stops: Sequence[str], cancelled: threading.Event
) -> Iterator[str]:
    held = ""
    while True:
        piece = pieces.get()
        if piece is _DONE:
            break
        if isinstance(piece, ModelError):
            raise piece
        held += piece
        cut = min((i for i in (held.find(s) for s in stops) if i >= 0), default=-1)
        if cut >= 0:
            cancelled.set()
            if held[:cut]:
                yield held[:cut]
            while pieces.get() is not _DONE:  # until the model notices and ends
                pass
            return
        keep = max((_partial_suffix(held, s) for s in stops), default=0)
        if len(held) > keep:
            yield held[: len(held) - keep]
            held = held[len(held) - keep :]
    if held:
        yield held


def _partial_suffix(text: str, stop: str) -> int:
    """The length of the longest end of ``text`` that is a beginning of ``stop``."""
    for length in range(min(len(text), len(stop) - 1), 0, -1):
        if stop.startswith(text[-length:]):
            return length
    return 0


def _failure(text: str) -> ModelError:
    if "exceeds the context window" in text or "The prompt is" in text:
        return ModelError(
            f"the question and its evidence do not fit the language model's context of "
            f"{CONTEXT_TOKENS} tokens; ask with fewer passages (VIDSCOPE_ASK_K)",
            code="model.prompt_too_long",
        )
    return ModelError(f"the language model failed: {text.strip()}", code="model.failed")


def _chat_template(source: str) -> Any:
    from jinja2.exceptions import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise TemplateError(message)

    environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    environment.globals["raise_exception"] = raise_exception
    try:
        return environment.from_string(source)
    except TemplateError as exc:
        raise ModelError(
            f"the language model's chat template cannot be read ({exc}); name another model "
            "(VIDSCOPE_LLM_LOCAL_MODEL)",
            code="model.unsupported",
        ) from exc


def _load(path: Path, *, threads: int, libraries: Path | None) -> Any:
    try:
        from gpt4all import _pyllmodel
    except ImportError as exc:
        raise ModelError(
            "the local language model needs the 'llm' extra (gpt4all): pip install "
            "'vidscope[llm]', or run 'make setup'",
            code="model.missing",
        ) from exc
    _use_cpu_libraries(_pyllmodel, libraries)
    try:
        model = _pyllmodel.LLModel(str(path), CONTEXT_TOKENS, 0, "kompute")
        loaded = model.load_model()
    except (RuntimeError, OSError) as exc:
        raise ModelError(
            f"cannot load the language model {path.name}: {exc}", code="model.unavailable"
        ) from exc
    if not loaded:
        raise ModelError(
            f"cannot load the language model {path.name}: llama.cpp refused it (an "
            "architecture or quantisation newer than the runtime?)",
            code="model.unsupported",
        )
    model.set_thread_count(threads or os.cpu_count() or 1)
    return model


_libraries_set = False


def _use_cpu_libraries(pyllmodel: Any, folder: Path | None) -> None:
    """Points gpt4all at its CPU builds only: it otherwise tries its CUDA builds first, which
    print a failed ``dlopen`` to the process's stderr on every machine without CUDA."""
    global _libraries_set
    if _libraries_set or folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for library in Path(str(pyllmodel.MODEL_LIB_PATH)).glob("libllamamodel-*kompute*"):
            link = folder / library.name
            if not (link.is_symlink() and link.resolve() == library.resolve()):
                link.unlink(missing_ok=True)
                link.symlink_to(library)
    except OSError:
        return  # the package's own folder then: the same models, a noisier start
    pyllmodel.llmodel.llmodel_set_implementation_search_path(str(folder).encode())
    _libraries_set = True


_loaded: dict[tuple[str, int], GgufLanguageModel] = {}
_loading = threading.Lock()


def load_language_model(name: str, threads: int, *, cache: Path | None = None) -> LanguageModel:
    """The model ``name`` (``qwen2.5-0.5b``, ``qwen2.5-1.5b``, ``smollm2`` or the path of a
    ``.gguf`` file), prepared in ``cache`` (default: ``VIDSCOPE_MODEL_CACHE``) if needed and
    loaded once per process: later calls return the same one. ``threads`` 0 means every core.
    Raises ModelError (``model.*``)."""
    key = (name, threads)
    with _loading:
        if key not in _loaded:
            if cache is None:
                from pipelines.config import get_settings

                cache = get_settings().model_cache
            cache = cache.expanduser()
            prepared = prepare_model(name, cache)
            _loaded[key] = GgufLanguageModel(
                prepared, threads=threads, libraries=cache / "llm" / "cpu-runtime"
            )
            log.info("llm.model_loaded", model=name, path=str(prepared.path), threads=threads)
        return _loaded[key]
