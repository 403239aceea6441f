"""Typed failures. Every failure a user can cause has a stable code and a message that names
the rule that failed or the fix. Interfaces print ``code: message``; the API maps codes to HTTP."""

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
