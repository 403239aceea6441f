"""DuckDB catalog: the source of truth for users, videos, transcripts, speakers, jobs, clips,
reels and the audit trail. This package is the only code that writes SQL; each module keeps one kind
of row."""

from __future__ import annotations

from pipelines.records import JOB_STATUSES, VIDEO_STATUSES
from pipelines.storage.catalog.audit import AuditTables
from pipelines.storage.catalog.clips import ClipTables
from pipelines.storage.catalog.owner import OwnerCatalog
from pipelines.storage.catalog.passages import Passage, PassageSentence, PassageTables
from pipelines.storage.catalog.reels import ReelTables
from pipelines.storage.catalog.schema import LOCAL_OWNER, MIGRATIONS, SCHEMA_VERSION
from pipelines.storage.catalog.speakers import SpeakerRow
from pipelines.storage.catalog.summaries import SummaryTables
from pipelines.storage.catalog.system import SystemCatalog
from pipelines.storage.catalog.users import UserTables
from pipelines.storage.catalog.videos import VideoTables, new_video_id


class Catalog(
    VideoTables, PassageTables, SummaryTables, UserTables, ClipTables, ReelTables, AuditTables
):
    """One open library catalog: every table, through one connection (a cursor per thread).
    Owners' code gets ``for_owner(id)``; repair, the worker and administrators ``system()``."""

    def for_owner(self, owner_id: str) -> OwnerCatalog:
        return OwnerCatalog(self, owner_id)

    def system(self) -> SystemCatalog:
        return SystemCatalog(self)


__all__ = [
    "JOB_STATUSES",
    "LOCAL_OWNER",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SystemCatalog",
    "VIDEO_STATUSES",
    "Catalog",
    "OwnerCatalog",
    "Passage",
    "PassageSentence",
    "SpeakerRow",
    "new_video_id",
]
