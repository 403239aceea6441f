"""What Ray tasks hand back, as typed records. On the wire they are plain dicts (nothing from
a worker is unpickled as our classes); ``from_wire`` turns each back into its record at the
driver, so the rest of the batch code matches on types, not on dict keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipelines.errors import VidscopeError
from pipelines.jobs.shards import ShardSource


@dataclass(frozen=True)
class TaskFailed:
    """A task that ended with a coded error (``media.*`` is the file's fault: no retry)."""

    code: str
    message: str

    @classmethod
    def of(cls, exc: VidscopeError) -> TaskFailed:
        return cls(exc.code, exc.message)

    @property
    def final(self) -> bool:
        """No retry can fix it: the file itself is the problem."""
        return self.code.startswith("media.")


@dataclass(frozen=True)
class Probed:
    """A file that passed the content checks, with its hash and streams."""

    source: ShardSource


@dataclass(frozen=True)
class Computed:
    """A video transcribed and embedded; its shard is written."""

    compute_s: float
    pid: int


@dataclass(frozen=True)
class Cut:
    """A clip written to ``path``."""

    path: str
    seconds: float


TaskResult = TaskFailed | Probed | Computed | Cut


def to_wire(result: TaskResult) -> dict[str, Any]:
    if isinstance(result, TaskFailed):
        return {"kind": "failed", "code": result.code, "message": result.message}
    if isinstance(result, Probed):
        return {"kind": "probed", "source": result.source.to_json()}
    if isinstance(result, Computed):
        return {"kind": "computed", "compute_s": result.compute_s, "pid": result.pid}
    return {"kind": "cut", "path": result.path, "seconds": result.seconds}


def from_wire(data: dict[str, Any]) -> TaskResult:
    kind = data.get("kind")
    if kind == "probed":
        return Probed(ShardSource.from_json(data["source"]))
    if kind == "computed":
        return Computed(float(data["compute_s"]), int(data["pid"]))
    if kind == "cut":
        return Cut(str(data["path"]), float(data["seconds"]))
    return TaskFailed(str(data.get("code", "processing.failed")), str(data.get("message", "")))
