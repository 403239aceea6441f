"""Vidscope's library: every interface calls these functions.

The names below load on first use (PEP 562), so a command that needs only the settings does
not pay for the library, its models and Ray's world (``vidscope --help`` imports this package)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.config import Settings, get_settings, load_settings
    from pipelines.errors import VidscopeError
    from pipelines.library import Library
    from pipelines.records import Hit, IngestResult, Video

_WHERE = {
    "Hit": "pipelines.records",
    "IngestResult": "pipelines.records",
    "Library": "pipelines.library",
    "Settings": "pipelines.config",
    "Video": "pipelines.records",
    "VidscopeError": "pipelines.errors",
    "get_settings": "pipelines.config",
    "load_settings": "pipelines.config",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'pipelines' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)


__all__ = [
    "Hit",
    "IngestResult",
    "Library",
    "Settings",
    "Video",
    "VidscopeError",
    "get_settings",
    "load_settings",
]
