"""DuckDB catalog: the source of truth for users, videos, transcripts, jobs, clips and the audit
trail. This package is the only code that writes SQL; each module keeps one kind of row."""

from __future__ import annotations

from pipelines.catalog.audit import AuditTables
from pipelines.catalog.clips import ClipTables
from pipelines.catalog.schema import LOCAL_OWNER, MIGRATIONS, SCHEMA_VERSION
from pipelines.catalog.users import UserTables
from pipelines.catalog.videos import Passage, PassageSentence, VideoTables, new_video_id
from pipelines.records import JOB_STATUSES, VIDEO_STATUSES


class Catalog(VideoTables, UserTables, ClipTables, AuditTables):
    """One open library catalog: every table, through one connection (a cursor per thread)."""


__all__ = [
    "JOB_STATUSES",
    "LOCAL_OWNER",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "VIDEO_STATUSES",
    "Catalog",
    "Passage",
    "PassageSentence",
    "new_video_id",
]
