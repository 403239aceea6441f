"""The CLI's way to a library that a running ``vidscope serve`` owns: the same calls as
``OwnerLibrary``, made through the REST API with the local administrator's token, which the
server keeps in the library folder (mode 0600)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import quote

import httpx

from app.api.batch_limits import CLIPS_PER_CALL, SHA256S_PER_CALL
from app.client_admin import RemoteAdministration
from pipelines.config import Settings
from pipelines.errors import NoMatchError, VidscopeError
from pipelines.media.inputs import ExpandedPaths, expand_paths
from pipelines.public import (
    AnswerPublic,
    HitPublic,
    JobPublic,
    SpeakerPublic,
    SummaryPublic,
    VideoPublic,
)
from pipelines.records import Hit, IngestResult, Progress, Segment, no_progress
from pipelines.storage.faults import process_alive
from pipelines.storage.files import atomic_write

if TYPE_CHECKING:  # the batch and clip code load only for the commands that use them
    from pipelines.editing.clips import ClipPlan
    from pipelines.jobs.manifest import ClipRequest
    from pipelines.jobs.merge import MergeReport
    from pipelines.records import ReelPart

POLL_S = 0.5
ACT_AS = "X-Vidscope-User"


def find_server(settings: Settings) -> RemoteLibrary | None:
    """A client for the server that owns this library, if one is running and answers."""
    info_file = settings.layout.server_info_path
    token_file = settings.layout.admin_token_path
    try:
        info = json.loads(info_file.read_text())
        token = token_file.read_text().strip()
    except (OSError, ValueError):
        return None
    if not process_alive(int(info.get("pid", 0))):
        return None
    remote = RemoteLibrary(str(info["url"]), token, settings)
    try:
        remote.http.get("/healthz", timeout=2.0).raise_for_status()
    except httpx.HTTPError:
        remote.close()
        return None
    return remote


class RemoteLibrary(RemoteAdministration):
    """``OwnerLibrary``'s calls over HTTP. ``act_for`` names another user (admin only)."""

    def __init__(
        self, url: str, token: str, settings: Settings, act_for: str | None = None
    ) -> None:
        self.url = url
        self.settings = settings
        self.acting_for = act_for
        headers = {"Authorization": f"Bearer {token}"}
        if act_for:
            headers[ACT_AS] = act_for
        self.http = httpx.Client(base_url=url, headers=headers, timeout=60.0)

    def act_for(self, username: str) -> None:
        self.acting_for = username
        self.http.headers[ACT_AS] = username

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise VidscopeError(
                f"the server at {self.url} did not answer ({exc}); is 'vidscope serve' still "
                "running?",
                code="server.unavailable",
            ) from exc
        if response.is_error:
            try:
                error = response.json()["error"]
            except (ValueError, KeyError, TypeError):
                error = {"code": "server.unavailable", "message": response.text[:200]}
            raise VidscopeError(error["message"], code=error["code"])
        return response

    # -- the calls the CLI makes -------------------------------------------------------------
    def expand_paths(self, paths: Iterable[str | Path]) -> ExpandedPaths:
        return expand_paths(paths, self.settings.limits.allowed_containers)

    def ingest_file(
        self,
        path: str | Path,
        *,
        force: bool = False,
        audio_track: int | None = None,
        speakers: int | None = None,
        progress: Progress | None = None,
    ) -> IngestResult:
        """Uploads the file and follows its job to the end."""
        title = Path(str(path)).stem
        if force or audio_track is not None:
            raise VidscopeError(
                "--force and --audio-track need the library to yourself: stop "
                "'vidscope serve', or leave the option out",
                code="server.unsupported",
            )
        report = progress or (lambda stage, fraction: None)
        report("upload", 0.0)
        try:
            with Path(path).open("rb") as handle:
                accepted = self._call(
                    "POST",
                    "/api/v1/videos",
                    files={"file": (Path(path).name, handle)},
                    # How many people speak goes with the upload, to its job's diarization.
                    data={"speakers": str(speakers)} if speakers is not None else None,
                    timeout=None,
                ).json()
        except OSError as exc:
            return IngestResult(
                "",
                title,
                "failed",
                error_code="media.unreadable",
                message=f"{path}: {exc.strerror or exc}",
            )
        except VidscopeError as exc:
            return IngestResult("", title, "failed", error_code=exc.code, message=exc.message)
        if accepted["status"] == "already_indexed":
            return IngestResult(accepted["video_id"], title, "already_indexed")
        job = self.wait(accepted["job_id"], report)
        if job.status == "failed" and job.error is not None:
            return IngestResult(
                job.video_id or "",
                title,
                "failed",
                error_code=job.error.code,
                message=job.error.message,
            )
        video = self.public_video(accepted["video_id"])
        return IngestResult(video.id, title, "indexed", chunks=video.passages)

    def wait(self, job_id: str, progress: Progress) -> JobPublic:
        while True:
            job = JobPublic.model_validate(self._call("GET", f"/api/v1/jobs/{job_id}").json())
            if job.status in ("succeeded", "failed"):
                return job
            progress(job.stage or job.status, job.progress)
            time.sleep(POLL_S)

    def public_videos(self) -> list[VideoPublic]:
        videos: list[VideoPublic] = []
        while True:
            page = self._call(
                "GET", "/api/v1/videos", params={"limit": 200, "offset": len(videos)}
            ).json()
            videos += [VideoPublic.model_validate(v) for v in page["items"]]
            if len(videos) >= page["total"] or not page["items"]:
                return videos

    def public_video(self, video_id: str) -> VideoPublic:
        return VideoPublic.model_validate(self._call("GET", f"/api/v1/videos/{video_id}").json())

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        video_id: str | None = None,
        speaker: str | None = None,
    ) -> list[Hit]:
        params: dict[str, Any] = {"q": query}
        if k is not None:
            params["k"] = k
        if video_id is not None:
            params["video_id"] = video_id
        if speaker is not None:
            params["speaker"] = speaker
        hits = self._call("GET", "/api/v1/search", params=params).json()["hits"]
        return [Hit(**HitPublic.model_validate(h).model_dump()) for h in hits]

    def ask(
        self, question: str, *, video_id: str | None = None, speaker: str | None = None
    ) -> AnswerPublic:
        body = {"question": question, "video_id": video_id, "speaker": speaker}
        return AnswerPublic.model_validate(self._call("POST", "/api/v1/ask", json=body).json())

    def summary(self, video_id: str, *, regenerate: bool = False) -> SummaryPublic:
        method = "POST" if regenerate else "GET"
        response = self._call(method, f"/api/v1/videos/{video_id}/summary")
        return SummaryPublic.model_validate(response.json())

    def chapters(self, video_id: str, fmt: Literal["youtube", "vtt"] = "youtube") -> str:
        return self._call("GET", f"/api/v1/videos/{video_id}/chapters", params={"format": fmt}).text

    def speakers(self, video_id: str) -> list[SpeakerPublic]:
        found = self._call("GET", f"/api/v1/videos/{video_id}/speakers").json()["items"]
        return [SpeakerPublic.model_validate(s) for s in found]

    def rename_speaker(self, video_id: str, current: str, name: str | None) -> SpeakerPublic:
        path = f"/api/v1/videos/{video_id}/speakers/{quote(current, safe='')}"
        return SpeakerPublic.model_validate(self._call("PATCH", path, json={"name": name}).json())

    def reject_speaker_name(self, video_id: str, current: str, name: str) -> SpeakerPublic:
        path = f"/api/v1/videos/{video_id}/speakers/{quote(current, safe='')}/reject"
        return SpeakerPublic.model_validate(self._call("POST", path, json={"name": name}).json())

    def reel_parts(
        self,
        *,
        query: str | None = None,
        hits_file: Path | None = None,
        chapters_of: str | None = None,
    ) -> list[ReelPart]:
        """Chosen here as the library chooses them (``editing.reel_parts``), from what the
        server answers."""
        from pipelines.editing import reel_parts

        return reel_parts.reel_parts(
            self, query=query, hits_file=hits_file, chapters_of=chapters_of
        )

    def segments(self, video_id: str) -> list[Segment]:
        """A video's sentences, from its transcript as JSON."""
        rows = json.loads(self.transcript(video_id, "json"))
        return [Segment(r["start"], r["end"], r["text"], speaker=r["speaker"]) for r in rows]

    def screen_changes(self, video_id: str) -> list[float]:
        """None: the API does not say when a video's on-screen text changes, so parts chosen
        beside a server end between sentences and chapters only."""
        return []

    def reel(
        self,
        parts: list[ReelPart],
        *,
        output: str | Path,
        vertical: bool = False,
        subtitles: bool = False,
        title_cards: bool = False,
        progress: Progress | None = None,
    ) -> Path:
        """The server makes the reel of ``parts`` (kept as given), as it makes every reel;
        it is downloaded to ``output``."""
        body = {
            "hits": [{"video_id": p.video_id, "start": p.start, "end": p.end} for p in parts],
            "vertical": vertical,
            "subtitles": subtitles,
            "title_cards": title_cards,
        }
        return self._made("reels", "reel", body, Path(output), progress)

    def transcript(self, video_id: str, fmt: str = "txt") -> str:
        return self._call(
            "GET", f"/api/v1/videos/{video_id}/transcript", params={"format": fmt}
        ).text

    def delete(self, video_id: str) -> None:
        self._call("DELETE", f"/api/v1/videos/{video_id}")

    def clip(self, video_id: str, *, start: float, end: float, output: str | Path) -> Path:
        body = {"video_id": video_id, "start": start, "end": end}
        return self._cut(body, Path(output))

    def clip_query(
        self, query: str, *, output: str | Path, video_id: str | None = None
    ) -> tuple[Hit, Path]:
        hits = self.search(query, k=1, video_id=video_id)
        if not hits:
            raise NoMatchError(query)  # as the library says it
        body = {"query": query, "video_id": video_id}
        return hits[0], self._cut(body, Path(output))

    def _cut(self, body: dict[str, Any], output: Path) -> Path:
        return self._made("clips", "clip", body, output, None)

    def _made(
        self,
        kind: Literal["clips", "reels"],
        key: Literal["clip", "reel"],
        body: dict[str, Any],
        output: Path,
        progress: Progress | None,
    ) -> Path:
        """The server makes the clip or reel (a job; it names its own file); the CLI follows
        the job and downloads the file to ``output``."""
        if output.suffix.lower() != ".mp4":
            raise VidscopeError(
                f"{key}s made by the server are MP4: name the output .mp4, or stop the server",
                code="clip.bad_output",
            )
        accepted = self._call("POST", f"/api/v1/{kind}", json=body).json()
        job = self.wait(accepted["job_id"], progress or no_progress)
        if job.status == "failed" and job.error is not None:
            raise VidscopeError(job.error.message, code=job.error.code)
        url = f"/api/v1/{kind}/{accepted[f'{key}_id']}/file"
        name = f".{output.name}.{os.getpid()}.part"
        with (
            atomic_write(output, partial_name=name) as partial,
            self.http.stream("GET", url) as response,
        ):
            if response.is_error:
                raise VidscopeError(f"the {key} could not be downloaded", code=f"{key}.not_ready")
            with partial.open("wb") as handle:
                for block in response.iter_bytes():
                    handle.write(block)
        return output

    # -- batches: the server merges what the CLI's Ray workers computed ----------------------
    def _as_admin(self, path: str, body: dict[str, Any]) -> Any:
        """A call the local administrator makes for ``acting_for`` (named in the body)."""
        body = {"user": self.acting_for, **body}
        return self._call("POST", path, json=body, headers={ACT_AS: ""}, timeout=None).json()

    def _check(self, sha256s: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = self._as_admin("/api/v1/admin/batches/check", {"sha256s": sha256s})
        return found

    def shards_folder(self) -> Path:
        return Path(self._check([])["shards"])

    def ready_sha256s(self, sha256s: list[str]) -> set[str]:
        ready: set[str] = set()
        for part in _parts(sha256s, SHA256S_PER_CALL):
            ready.update(self._check(part)["ready"])
        return ready

    def merge_shards(self, sha256s: list[str], *, batch_id: str) -> MergeReport:
        from pipelines.jobs.merge import ItemOutcome, MergeReport

        report = MergeReport(outcomes=[], catalog_s=0.0, index_s=0.0)
        for part in _parts(sha256s, SHA256S_PER_CALL) or [[]]:
            body = {"batch_id": batch_id, "sha256s": part}
            merged = self._as_admin("/api/v1/admin/batches/merge", body)
            report.outcomes.extend(ItemOutcome(**o) for o in merged["outcomes"])
            report.catalog_s += merged["catalog_s"]
            report.index_s += merged["index_s"]
        return report

    def clip_plans(self, clips: list[ClipRequest]) -> list[ClipPlan | VidscopeError]:
        from pipelines.editing.clips import ClipOptions, ClipPlan

        answers = [
            answer
            for part in _parts(clips, CLIPS_PER_CALL)
            for answer in self._as_admin(
                "/api/v1/admin/batches/clip-plans", {"clips": [asdict(clip) for clip in part]}
            )
        ]
        return [
            ClipPlan(**{**a["plan"], "options": ClipOptions(**a["plan"]["options"])})
            if a["ok"]
            else VidscopeError(a["message"], code=a["code"])
            for a in answers
        ]


T = TypeVar("T")


def _parts(items: list[T], size: int) -> list[list[T]]:
    """The list in parts of at most ``size`` (the batch routes' limits per call)."""
    return [items[i : i + size] for i in range(0, len(items), size)]
