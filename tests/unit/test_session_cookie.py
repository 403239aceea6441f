"""The one reading of the session cookie (app.api.session_cookie): it agrees with Starlette's
reading (what ``request.cookies`` shows Gradio and FastAPI) or refuses, whatever the header."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from starlette.requests import cookie_parser

from app.api.session_cookie import AMBIGUOUS, read_session_token

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLWFsaWNl"
OTHER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLW9mLWJvYg"


def headers(*values: str) -> list[tuple[bytes, bytes]]:
    return [(b"cookie", value.encode("latin-1")) for value in values]


def starlette_reads(values: list[str], name: str = "vidscope_session") -> str | None:
    merged: dict[str, str] = {}
    for value in values:
        merged.update(cookie_parser(value))
    return merged.get(name)


def test_the_cookie_as_the_server_writes_it_is_read() -> None:
    assert read_session_token(headers(f"vidscope_session={TOKEN}"), secure=False) == TOKEN
    assert read_session_token(headers(f"a=1; vidscope_session={TOKEN}; b=2"), secure=False) == (
        TOKEN
    )
    # A cookie header split in two (as HTTP/2 allows) is still one reading.
    assert read_session_token(headers("a=1", f"vidscope_session={TOKEN}"), secure=False) == TOKEN
    same_twice = headers(f"vidscope_session={TOKEN}; vidscope_session={TOKEN}")
    assert read_session_token(same_twice, secure=False) == TOKEN  # one answer all the same
    assert read_session_token(headers("theme=dark"), secure=False) is None
    assert read_session_token([], secure=False) is None


@pytest.mark.parametrize(
    "header",
    [
        f'vidscope_session="{TOKEN}"',  # quoted: Starlette unquotes, a naive guard does not
        f"vidscope_session=x; vidscope_session={TOKEN}",  # first match vs last match
        f"vidscope_session={OTHER}; vidscope_session={TOKEN}",
        f"vidscope_session ={TOKEN}",  # a space before '='
        f"vidscope_session= {TOKEN}",
        f"VIDSCOPE_SESSION={TOKEN}",
        f'"vidscope_session"={TOKEN}',
        f"vidscope_session={TOKEN}.extra",
        f"vidscope_session={TOKEN}\\054",
        "vidscope_session=",
    ],
)
def test_any_other_spelling_is_refused(header: str) -> None:
    assert read_session_token(headers(header), secure=False) == AMBIGUOUS


def test_the_cookie_in_two_headers_is_refused() -> None:
    both = headers(f"vidscope_session={OTHER}", f"vidscope_session={TOKEN}")
    assert read_session_token(both, secure=False) == AMBIGUOUS


def test_over_https_only_the_host_cookie_counts() -> None:
    assert read_session_token(headers(f"__Host-vidscope_session={TOKEN}"), secure=True) == TOKEN
    # A plain cookie (which any page of the host may set) is not a session over HTTPS, and
    # one beside the __Host- cookie was planted: nobody decides which one is meant.
    assert read_session_token(headers(f"vidscope_session={TOKEN}"), secure=True) == AMBIGUOUS
    planted = headers(f"vidscope_session={OTHER}; __Host-vidscope_session={TOKEN}")
    assert read_session_token(planted, secure=True) == AMBIGUOUS


_names = st.sampled_from(
    [
        "vidscope_session",
        " vidscope_session",
        "vidscope_session ",
        "Vidscope_Session",
        '"vidscope_session"',
        "__Host-vidscope_session",
        "__host-vidscope_session",
        "theme",
        "",
    ]
)
_values = st.sampled_from(
    [TOKEN, OTHER, f'"{TOKEN}"', f" {TOKEN}", f"{TOKEN} ", "x", "", '"', f"{TOKEN}=", "a\\b"]
)
_separators = st.sampled_from([";", "; ", " ;", ";;", ",", ";\t"])
_pairs = st.lists(st.tuples(_names, st.sampled_from(["=", " =", "= ", ""]), _values), max_size=4)


@st.composite
def cookie_headers(draw: st.DrawFn) -> list[str]:
    count = draw(st.integers(1, 3))
    values = []
    for _ in range(count):
        pairs = draw(_pairs)
        separator = draw(_separators)
        values.append(separator.join(f"{name}{eq}{value}" for name, eq, value in pairs))
    return values


@given(cookie_headers(), st.booleans())
@example([f'vidscope_session="{TOKEN}"'], False)
@example([f"vidscope_session=x; vidscope_session={TOKEN}"], False)
def test_the_reading_agrees_with_starlette_or_refuses(values: list[str], secure: bool) -> None:
    read = read_session_token(headers(*values), secure=secure)
    name = "__Host-vidscope_session" if secure else "vidscope_session"
    if read is not None and read != AMBIGUOUS:
        assert read == starlette_reads(values, name)
        assert read in (TOKEN, OTHER)  # only ever a whole, well-formed token
    if read is None:
        # Nothing the framework would take for a session either.
        assert starlette_reads(values, name) in (None, "")
