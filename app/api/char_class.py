"""A regular-expression character class of the Basic Multilingual Plane's characters that
pass a test, as runs of ``\\uXXXX`` ranges: how the OpenAPI document states a rule the server
checks one character at a time (speaker names, guessable passwords)."""

from __future__ import annotations

import re
from collections.abc import Callable


def char_class(allowed: Callable[[str], bool]) -> str:
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        if not allowed(chr(code)):
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    spans = (
        f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges
    )
    return "[" + "".join(spans) + "]"


def any_case(word: str) -> str:
    """A pattern of ``word`` with each ASCII letter in either case ('Admin' as '[aA][dD]...'),
    the other characters escaped: what the server's ``.lower()`` makes equal, for ASCII."""
    return "".join(f"[{c}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)
