"""The README and troubleshooting guide must keep up with the code."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices

from pipelines.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def environment_name(name: str) -> str:
    """The variable a setting is read from: its alias when it has one (VIDSCOPE_OCR)."""
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0]).upper()
    return f"VIDSCOPE_{name.upper()}"


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        name for name in Settings.model_fields if f"`{environment_name(name)}`" not in readme
    ]
    assert missing == []
    assert environment_name("ocr_enabled") == "VIDSCOPE_OCR"


def test_every_error_code_is_in_troubleshooting() -> None:
    guide = (ROOT / "docs" / "troubleshooting.md").read_text()
    # errors.py only holds each class's fallback code; the codes users meet are raised elsewhere.
    source = "\n".join(
        p.read_text()
        for folder in ("pipelines", "app")
        for p in (ROOT / folder).rglob("*.py")
        if p.name != "errors.py"
    )
    codes = set(re.findall(r"""code\s*=\s*["']([a-z_]+\.[a-z_]+)["']""", source))
    codes |= set(re.findall(r"'(ingest\.interrupted)'", source))
    assert len(codes) > 20
    missing = sorted(code for code in codes if f"`{code}`" not in guide)
    assert missing == []
