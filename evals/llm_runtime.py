"""Which llama.cpp runs the local language model: load time, time to the first token, tokens per
second and peak memory of one answer (eight numbered evidence sentences, greedy, 120 tokens at
most), each model in a fresh process, for the runtime Vidscope uses (gpt4all's prebuilt
library, ``pipelines/understanding/gguf_runtime.py``) and, when a Python that has it is given,
llama-cpp-python.

    python -m evals.llm_runtime                       # qwen2.5-0.5b and qwen2.5-1.5b, gpt4all
    python -m evals.llm_runtime --llama-cpp-python /tmp/lcp/bin/python --models qwen2.5-0.5b

The system's load average is printed with each row: on a shared machine the figures vary with
it. The install times in README "Language models" come from the commands given there."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

SYSTEM = (
    "You answer questions about recorded videos using only the numbered excerpts you are "
    "given. Cite every statement with the number of its excerpt in square brackets, like [2]. "
    "If the excerpts do not contain the answer, say that they do not. Answer in at most three "
    "sentences."
)
EVIDENCE = (
    "Honey bees tell each other where food is with a waggle dance on the comb.",
    "The length of the run tells them how far away the nectar is.",
    "The angle of the dance against the vertical gives the direction relative to the sun.",
    "Now let me turn to the budget for next year.",
    "The city spent four point two million dollars on road repairs in 2023.",
    "Tambora erupted in April 1815; the following year was called the year without a summer.",
    "Crop failures spread across Europe and North America in 1816.",
    "Solar panels on the roof make about six kilowatts at noon in summer.",
)
QUESTION = "How do bees tell each other how far away the food is?"
MAX_TOKENS = 120


def user_message() -> str:
    lines = "\n".join(f"[{i}] {text}" for i, text in enumerate(EVIDENCE, 1))
    return f"Excerpts:\n{lines}\n\nQuestion: {QUESTION}"


# Run in a fresh interpreter: one model, one runtime; prints one JSON line.
CHILD = r"""
import json, os, resource, sys, time
runtime, name, path, threads, system, user, max_tokens = sys.argv[1:8]
threads, max_tokens = int(threads), int(max_tokens)
messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
started = time.perf_counter()
if runtime == "gpt4all":
    from pipelines.understanding.gguf_runtime import load_language_model
    from pipelines.understanding.language_model import Message
    model = load_language_model(name, threads)
    loaded = time.perf_counter() - started
    def pieces():
        return model.stream([Message(**m) for m in messages], max_tokens=max_tokens)
else:
    from llama_cpp import Llama
    model = Llama(model_path=path, n_ctx=4096, n_threads=threads, verbose=False)
    loaded = time.perf_counter() - started
    def pieces():
        for chunk in model.create_chat_completion(
            messages, max_tokens=max_tokens, temperature=0.0, top_k=1, repeat_penalty=1.1,
            stream=True,
        ):
            text = chunk["choices"][0]["delta"].get("content")
            if text:
                yield text
rows = []
for _ in range(2):  # the second is the warm one a server answers with
    asked = time.perf_counter()
    first, count, text = None, 0, ""
    for piece in pieces():
        first = first or time.perf_counter() - asked
        count += 1
        text += piece
    total = time.perf_counter() - asked
    rows.append({"first_token_s": round(first or total, 2), "total_s": round(total, 2),
                 "pieces": count,
                 "tokens_per_s": round((count - 1) / max(total - (first or total), 1e-9), 1),
                 "text": text.strip()})
print(json.dumps({"load_s": round(loaded, 2), "runs": rows,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  "load_average": round(os.getloadavg()[0], 1)}))
"""


def measure(runtime: str, name: str, python: str, threads: int) -> dict[str, object]:
    from pipelines.config import get_settings
    from pipelines.models import prepare_language_model

    path = prepare_language_model(name, get_settings().model_cache)
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            python,
            "-c",
            CHILD,
            runtime,
            name,
            str(path),
            str(threads),
            SYSTEM,
            user_message(),
            str(MAX_TOKENS),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(Path.cwd())},
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["qwen2.5-0.5b", "qwen2.5-1.5b"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--llama-cpp-python", metavar="PYTHON", help="a Python with llama_cpp")
    args = parser.parse_args()
    runtimes = [("gpt4all", sys.executable)]
    if args.llama_cpp_python:
        runtimes.append(("llama-cpp-python", args.llama_cpp_python))
    for model in args.models:
        for runtime, python in runtimes:
            result = measure(runtime, model, python, args.threads)
            print(json.dumps({"model": model, "runtime": runtime, **result}))


if __name__ == "__main__":
    main()
