"""What reading the pictures costs, old against new in one run (``python -m evals.screen_cost``,
part of ``make bench``): the screen-text stage alone (decode, change detection, OCR), in
seconds per minute of video, with the stills read, the share of their pixels handed to the
reader and, where the words shown are known, the share of them the screen passages keep.

The baseline is the release before regions were read (``BASELINE``, a ``git archive`` under
bench-work); each measurement runs in a process of its own (``evals/screen_cost_child.py``),
the two codes alternating video by video so both see the same load. The videos:

- the committed slide talk (tests/data/slides.mp4, 640×360, four text slides, 23 s; the
  slides `vidscope eval` scores screen text on);
- a 3-minute 720p deck of text slides with a webcam inset moving in every frame
  (``evals.screen_deck``: words at 48, 28 and 18 px, two slides built up, one figure changed);
- the 10-minute talk as a 720p deck of test-pattern pictures with a moving webcam inset;
- the 2-minute talk as 720p high motion (testsrc2: every frame differs).

``--sides`` also measures words kept against the detector's size (``ocr.DETECT_SIDE``) on the
two decks whose words are known: how ``DETECT_SIDE`` was chosen."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from evals.common import ROOT, WORK, log, machine
from evals.screen_deck import screen_deck
from evals.talk_videos import slide_video, talk_video
from pipelines.config import load_settings
from pipelines.jobs.tracking import log_run
from pipelines.vision.ocr import DETECT_SIDE

COMMAND = "python -m evals.screen_cost"
BASELINE = "0798241"  # the last commit that read every changed picture whole
SIDES = (320, 480, 640, 960)
_WORD = re.compile(r"\w+")


def baseline_code() -> Path:
    """The baseline's source (``git archive``), made once."""
    folder = WORK / "screen-cost" / f"baseline-{BASELINE}"
    if not (folder / "pipelines").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", BASELINE], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def measure(code: Path, video: Path, side: int | None = None) -> dict[str, Any]:
    child = ROOT / "evals" / "screen_cost_child.py"
    command = [sys.executable, str(child), str(code), str(video)]
    out = subprocess.run(
        command + ([str(side)] if side else []), check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out)
    result["s_per_min"] = result["seconds"] / (result["duration"] / 60)
    return result


def words_kept(passages: list[list[Any]], shown: list[dict[str, Any]]) -> float:
    """The share of the words each picture shows that a screen passage over its time holds
    (a passage counts for a picture when it covers most of it)."""
    kept = total = 0
    for picture in shown:
        start, end = picture["start"], picture["end"]
        said = " ".join(
            text for a, b, text in passages if min(b, end) - max(a, start) > (end - start) / 2
        )
        found = {w.lower() for w in _WORD.findall(said)}
        words = [w.lower() for line in picture["lines"] for w in _WORD.findall(line)]
        kept += sum(w in found for w in words)
        total += len(words)
    return kept / total if total else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sides", action="store_true", help="also words kept vs detector size")
    args = parser.parse_args()
    settings = load_settings()
    old, new = baseline_code(), ROOT
    deck, deck_shown = screen_deck()
    fixture = ROOT / "tests" / "data" / "slides.mp4"
    fixture_shown = json.loads((ROOT / "tests" / "data" / "slides.json").read_text())["slides"]
    videos: list[tuple[str, Path, list[dict[str, Any]] | None]] = [
        ("slides fixture (tests/data/slides.mp4, 640×360, 23 s)", fixture, fixture_shown),
        ("3-min 720p text deck, webcam inset (evals/screen_deck.py)", deck, deck_shown),
        ("10-min 720p test-pattern deck, webcam inset", slide_video(), None),
        ("2-min 720p high motion (testsrc2)", talk_video("2min"), None),
    ]
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for n, (name, video, shown) in enumerate(videos):
        order = [("old", old), ("new", new)] if n % 2 == 0 else [("new", new), ("old", old)]
        rows[name] = {}
        for label, code in order:
            log(f"{label} code: {name}")
            r = measure(code, video)
            r["kept"] = words_kept(r["passages"], shown) if shown else float("nan")
            rows[name][label] = r
    sweep: dict[int, dict[str, float]] = {}
    if args.sides:
        for side in SIDES:
            results = [measure(new, video, side) for _, video, shown in videos[:2]]
            sweep[side] = {
                "kept_fixture": words_kept(results[0]["passages"], fixture_shown),
                "kept_deck": words_kept(results[1]["passages"], deck_shown),
                "s_per_min_deck": results[1]["s_per_min"],
            }
            log(f"detector side {side}: {sweep[side]}")
    write(rows, sweep)
    log_run(
        "bench",
        uri=settings.tracking_uri,
        name=f"screen text {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        params={"command": COMMAND, "machine": machine(), "baseline": BASELINE},
        metrics={
            **{
                f"{key}_{label}_{n}": float(r[key])
                for n, by_code in enumerate(rows.values())
                for label, r in by_code.items()
                for key in ("s_per_min", "stills", "area_read", "kept")
                if r[key] == r[key]  # MLflow refuses NaN
            },
            **{
                f"speedup_{n}": by_code["old"]["s_per_min"] / by_code["new"]["s_per_min"]
                for n, by_code in enumerate(rows.values())
            },
            **{f"{key}_side_{side}": v for side, r in sweep.items() for key, v in r.items()},
        },
    )
    for name, by_code in rows.items():
        o, w = by_code["old"], by_code["new"]
        log(f"{name}: {o['s_per_min']:.2f} -> {w['s_per_min']:.2f} s per video minute")


def write(rows: dict[str, dict[str, dict[str, Any]]], sweep: dict[int, dict[str, float]]) -> None:
    def kept(r: dict[str, Any]) -> str:
        return "—" if r["kept"] != r["kept"] else f"{r['kept']:.3f}"

    lines = [
        f"\n## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC — `{COMMAND}"
        f"{' --sides' if sweep else ''}` (in `make bench`)\n",
        f"Machine: {machine()}, shared with other work (old and new alternate video by video, "
        f"so the ratio holds better than either figure). The screen-text stage alone (decode, "
        f"change detection, OCR), OCR engine loaded beforehand, default settings. Old: "
        f"`{BASELINE}` (every changed picture decoded and read whole); new: this commit "
        f"(keyframes first, tiles, regions, the detector at {DETECT_SIDE} px, lines "
        f"remembered). *Area read*: stills' worth of pixels handed to the reader. *Words "
        f"kept*: share of the words each slide shows found in a screen passage over it.\n",
        "| video | old s / video min | new s / video min | old ÷ new | stills read (old / new) "
        "| area read (old / new) | words kept (old / new) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, by_code in rows.items():
        o, w = by_code["old"], by_code["new"]
        lines.append(
            f"| {name} | {o['s_per_min']:.2f} | **{w['s_per_min']:.2f}** | "
            f"{o['s_per_min'] / w['s_per_min']:.1f}× | {o['stills']} / {w['stills']} | "
            f"{o['area_read']:.1f} / {w['area_read']:.1f} | {kept(o)} / {kept(w)} |"
        )
    if sweep:
        lines += [
            "",
            "Words kept against the detector's size (the still's longer side the detector "
            "sees; new code, `DETECT_SIDE`):",
            "",
            "| detector side | words kept, slides fixture | words kept, 720p text deck "
            "| s / video min, 720p text deck |",
            "| --- | --- | --- | --- |",
            *(
                f"| {side} | {r['kept_fixture']:.3f} | {r['kept_deck']:.3f} | "
                f"{r['s_per_min_deck']:.2f} |"
                for side, r in sweep.items()
            ),
        ]
    lines.append("")
    with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


if __name__ == "__main__":
    main()
