"""The guessable passwords ``pipelines.accounts.check_password`` refuses, as patterns the schema
can state (issue 30): a common password in any case, only digits, or at most two distinct
characters in any case (the check lowercases: 'aAbaAbaA' is two; ECMA 2025's ``(?i:...)``
makes a back-reference match either case), each with spaces around it (the check trims
first). A password one of these matches is refused (422 auth.weak_password); what they leave
out and the server still refuses is the rule no schema can state, one field against another
(the username's letters). BMP characters only (the patterns are ECMA's \\uXXXX as well as
Python's); where Unicode's case folding and Python's ``lower()`` differ (the long s 'ſ', the
Kelvin sign) the two can disagree."""

from __future__ import annotations

from functools import cache

from pydantic import JsonValue

from app.api.char_class import any_case, char_class
from pipelines.accounts import COMMON_PASSWORDS


@cache
def weak_patterns() -> tuple[str, ...]:
    space, digit = char_class(str.isspace), char_class(str.isdigit)
    common = "|".join(any_case(word) for word in sorted(COMMON_PASSWORDS))
    return (
        f"^{space}*(?:{common}){space}*$",
        f"^{space}*{digit}+{space}*$",
        # One character, or two, repeated in any order ([\s\S]: any, line breaks too), in
        # any case: the check counts the lowercased characters ('aAbaAbaA' is two).
        f"^{space}*(?i:([\\s\\S])\\1*(?:([\\s\\S])(?:\\1|\\2)*)?){space}*$",
    )


def weak_schema() -> dict[str, JsonValue]:
    """``not`` any of the patterns: the schema keyword of a password that is not guessable."""
    return {"not": {"anyOf": [{"pattern": pattern} for pattern in weak_patterns()]}}
