"""A talk in two languages, for the language tests and the multilingual measurements: English
first, then Spanish, each sentence spoken by espeak-ng in its language. Each Spanish sentence
carries its English translation, so the cross-language search can be measured with queries
made the same way as the English ones (from content words), nothing written per query.

Written as an audio-only M4A (tests/data/languages.m4a) with a manifest naming each
sentence's language, start and end, and the second where the language switches. Spanish,
not German: Whisper base hears espeak-ng's German voice as Latin or Latvian (it detected
0.62 "la" on three German sentences) and its Spanish as Spanish (0.90)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from evals.fixtures import speak_script
from pipelines.media.ffmpeg import ffmpeg_executable

# (language, espeak-ng voice, sentence, English translation or None)
SENTENCES = (
    ("en", "en-us", "Good morning and welcome to the product launch review.", None),
    ("en", "en-us", "Our new camera ships to stores in the first week of June.", None),
    ("en", "en-us", "The battery now lasts for two full days of recording.", None),
    ("en", "en-us", "Early customers asked for a lighter tripod and a longer cable.", None),
    ("en", "en-us", "Now my colleague from the Madrid office will continue in Spanish.", None),
    (
        "es",
        "es",
        "El almacén de Madrid se ampliará en otoño con dos naves nuevas.",
        "The warehouse in Madrid will be extended with two new buildings in the autumn.",
    ),
    (
        "es",
        "es",
        "Vamos a contratar a doce personas nuevas para la logística.",
        "We are going to hire twelve new people for logistics.",
    ),
    (
        "es",
        "es",
        "El plazo de entrega para los pedidos de Portugal baja a tres días.",
        "The delivery time for orders from Portugal drops to three days.",
    ),
    (
        "es",
        "es",
        "En diciembre probaremos furgonetas eléctricas en el centro de la ciudad.",
        "In December we will test electric vans in the city centre.",
    ),
    (
        "es",
        "es",
        "Muchas gracias por su atención y hasta el próximo trimestre.",
        "Thank you very much for your attention and see you next quarter.",
    ),
)


def make_language_talk(out: Path) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "talk.wav"
        manifest, duration = speak_script(
            [
                (text, voice, 150, {"language": language} | ({"translation": t} if t else {}))
                for language, voice, text, t in SENTENCES
            ],
            wav,
        )
        subprocess.run(
            [
                ffmpeg_executable(),
                "-y",
                "-loglevel",
                "error",
                "-i",
                str(wav),
                "-c:a",
                "aac",
                "-b:a",
                "48k",
                str(out),
            ],
            check=True,
        )
    switch = next(s["start"] for s in manifest if s["language"] != manifest[0]["language"])
    return {"duration": round(duration, 3), "switch": switch, "sentences": manifest}


def main() -> None:
    data = Path(__file__).resolve().parents[1] / "tests" / "data"
    manifest = make_language_talk(data / "languages.m4a")
    (data / "languages.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    print("written: tests/data/languages.m4a, tests/data/languages.json")


if __name__ == "__main__":
    main()
