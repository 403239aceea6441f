"""Vidscope's library: every interface calls these functions."""

from pipelines.config import Settings, get_settings, load_settings
from pipelines.errors import VidscopeError
from pipelines.library import Library
from pipelines.records import Hit, IngestResult, Video

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
