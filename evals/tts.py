"""Speech from engines other than espeak-ng, for generated talks: Debian's flite (CMU Flite
2.2 with its built-in voices: the statistical voices ``slt``, ``rms``, ``awb`` and the diphone
``kal16``) and festival (the HTS voice ``cmu_us_slt_arctic_hts``, the diphones ``kal`` and
``ked``). A voice is named ``engine:name`` ("flite:slt", "festival:kal_diphone"); its speed is
a share of the voice's own pace in percent (100 = as the engine speaks, 85 = 1/0.85 as long).

``evals.fixtures.speak`` sends such names here; espeak-ng voices ("en-us+m3", speed in words a
minute) stay there. Every engine's output is resampled to espeak-ng's 22,050 Hz mono, so the
talks are made the same way whoever speaks. Nothing is downloaded: each engine and voice is a
Debian package (``make benchdeps``)."""

from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from pipelines.media.ffmpeg import ffmpeg_executable

RATE = 22_050  # as evals.fixtures.RATE (espeak-ng's native rate)
ENGINES = ("flite", "festival")


def engine_of(voice: str) -> str:
    """The engine that speaks ``voice``: "espeak-ng" for a plain espeak-ng name."""
    engine, sep, _ = voice.partition(":")
    return engine if sep else "espeak-ng"


def speak_other(text: str, out: Path, voice: str, speed: int) -> np.ndarray:
    """Speaks ``text`` with ``voice`` ("flite:slt") at ``speed`` % of its pace into the WAV
    ``out`` (22,050 Hz mono, 16-bit); returns the samples."""
    engine, _, name = voice.partition(":")
    stretch = f"{100 / speed:.3f}"
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        if engine == "flite":
            command = ["flite", "-voice", name, "--setf", f"duration_stretch={stretch}"]
            subprocess.run([*command, "-t", text, "-o", str(raw)], check=True)
        elif engine == "festival":
            script = Path(tmp) / "text.txt"
            script.write_text(text + "\n")
            setup = f"(begin (voice_{name}) (Parameter.set 'Duration_Stretch {stretch}))"
            subprocess.run(
                ["text2wave", "-eval", setup, str(script), "-o", str(raw)],
                check=True,
                capture_output=True,
            )
        else:
            raise ValueError(f"unknown engine {engine!r} in voice {voice!r}: {ENGINES}")
        subprocess.run(
            [ffmpeg_executable(), "-y", "-loglevel", "error", "-i", str(raw)]
            + ["-ac", "1", "-ar", str(RATE), "-c:a", "pcm_s16le", str(out)],
            check=True,
        )
    with wave.open(str(out)) as handle:
        return np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
