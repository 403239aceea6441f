"""Typed failures. Every failure a user can cause has a stable code and a message that names
the rule that failed or the fix, in the library's words (a query, hits, a video's chapters),
never an interface's (a CLI flag, a JSON field): the CLI, the API and the web page all show
it. Interfaces print ``code: message`` and may add their own names where they catch; the API
gives each code its HTTP status in one table (``app/api/errors.py``)."""

from __future__ import annotations

from typing import Any


class VidscopeError(Exception):
    """Base class. ``code`` is stable (``area.rule``); ``context`` holds the values involved."""

    code = "vidscope.error"

    def __init__(self, message: str, *, code: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.context = context

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.context}


class ConfigError(VidscopeError):
    code = "config.invalid"


class MediaError(VidscopeError):
    """The input file breaks one of the media rules (``media.*``)."""

    code = "media.invalid"


class NotFoundError(VidscopeError):
    code = "library.not_found"


class ModelError(VidscopeError):
    """A bundled model is missing or failed to load (``model.*``)."""

    code = "model.unavailable"


class ProcessingError(VidscopeError):
    """A pipeline stage failed on valid input (``processing.*``)."""

    code = "processing.failed"


class ClipError(VidscopeError):
    code = "clip.invalid"


class QueryError(VidscopeError):
    code = "query.invalid"


class NoMatchError(QueryError):
    """Nothing in the library matches ``query`` (``query.no_match``): a clip or a reel of a
    query has nothing to show. One class, so every path that searches on a person's behalf
    (the best range of a clip, the hits of a reel) says it alike."""

    code = "query.no_match"

    def __init__(self, query: str) -> None:
        super().__init__(f"nothing in the library matches {query!r}", query=query)
