"""A speaker's name as the API takes it, stated exactly in the schema (issue 30).

The library reads a name as NFKC spells it, trimmed, and refuses what would break an export
(``pipelines.storage.catalog.speaker_rules.valid_name``). No pattern can follow NFKC over a
whole string, but it can over each character: a name the API takes is 1-60 characters, each
of which NFKC turns into exactly one printable character other than ``: < >`` (so the
full-width 'Ｄａｎａ' is still 'Dana'), neither end being one NFKC makes a space. Such a name
passes ``valid_name`` as it is: NFKC of the whole never lengthens it (a composition only
joins characters), nor adds a control character, a space at an end or ``: < >``. The server
holds a name to this same pattern first (``speaker.bad_name``), so the schema and the
server agree on every string. Characters past the Basic Multilingual Plane are outside it."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from pydantic import JsonValue

from app.api.char_class import char_class
from pipelines.errors import VidscopeError
from pipelines.storage.catalog.speaker_rules import MAX_NAME_CHARS


def _allowed(char: str, *, at_end: bool) -> bool:
    plain = unicodedata.normalize("NFKC", char)
    if len(plain) != 1 or not plain.isprintable() or plain in ":<>":
        return False
    return not (at_end and plain.isspace())


@cache
def name_pattern() -> str:
    """The pattern (ECMA and Python alike: ``\\uXXXX`` escapes, no class shorthand)."""
    end = char_class(lambda c: _allowed(c, at_end=True))
    inner = char_class(lambda c: _allowed(c, at_end=False))
    return f"^{end}(?:{inner}*{end})?$"


@cache
def _compiled() -> re.Pattern[str]:
    return re.compile(name_pattern())


NAME_RULE = (
    f"1-{MAX_NAME_CHARS} characters on one line, each one printable once read as NFKC (the "
    "full-width 'Ｄａｎａ' is 'Dana'), without ':', '<' or '>', not starting or ending with "
    "a space; characters past U+FFFF (emoji) are not taken"
)


def check_name(value: object) -> object:
    """A name string that breaks the schema's rule is ``speaker.bad_name`` (the rule's own
    code, as the library gives it), not ``request.invalid``."""
    if isinstance(value, str) and not (
        1 <= len(value) <= MAX_NAME_CHARS and _compiled().fullmatch(value)
    ):
        raise VidscopeError(f"a speaker's name is {NAME_RULE}", code="speaker.bad_name")
    return value


def name_schema() -> dict[str, JsonValue]:
    """The schema keywords of a name string."""
    return {"minLength": 1, "maxLength": MAX_NAME_CHARS, "pattern": name_pattern()}
