"""The Streamlit dashboard (`vidscope dashboard`): the library, the jobs, quality trends and a
search playground. It reads through the server's REST API with the signed-in user's token,
so it keeps working while the server writes (DuckDB lets one process hold the catalog), and
reads the MLflow store for the trends.

Configured by the environment: VIDSCOPE_API_URL (the server), VIDSCOPE_HOME /
VIDSCOPE_MLFLOW_URI (the tracking store), VIDSCOPE_DASHBOARD_PLAY_MAX_MB (the largest video
the search playground plays; 100)."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any, Literal

import httpx
import pandas as pd
import streamlit as st

from pipelines.clock import clock
from pipelines.config import load_settings
from pipelines.jobs.tracking import recent_runs

API_URL = os.environ.get("VIDSCOPE_API_URL", "http://127.0.0.1:7860").rstrip("/")
# Streamlit's player takes the whole file (it cannot stream an authorised URL), so larger
# videos are shown as the still at the hit's second.
PLAY_MAX_BYTES = int(float(os.environ.get("VIDSCOPE_DASHBOARD_PLAY_MAX_MB", "100")) * 1e6)


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code


def request(method: str, path: str, *, timeout: float = 30, **kwargs: Any) -> httpx.Response:
    """One REST call with the signed-in user's token; errors keep the API's code."""
    headers = {"Authorization": f"Bearer {st.session_state['token']}"}
    try:
        response = httpx.request(method, API_URL + path, headers=headers, timeout=timeout, **kwargs)
    except httpx.HTTPError as exc:
        raise ApiError("server.unavailable", f"{API_URL} did not answer ({exc})") from exc
    if response.is_error:
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            error = {"code": "server.error", "message": response.text[:200]}
        raise ApiError(error["code"], error["message"])
    return response


def call(method: str, path: str, **kwargs: Any) -> Any:
    """A REST call's JSON answer (None for an empty one)."""
    response = request(method, path, **kwargs)
    return response.json() if response.content else None


def sign_in() -> None:
    st.title("Vidscope dashboard")
    st.caption(f"Sign in to the server at {API_URL}")
    with st.form("sign-in"):
        username = st.text_input("Username", autocomplete="username")
        # Streamlit's default for a password is "new-password": browsers then offer to make
        # one up instead of filling in the saved one.
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        try:
            response = httpx.post(
                f"{API_URL}/api/v1/auth/login",
                json={"username": username, "password": password},
                timeout=30,
            )
        except httpx.HTTPError as exc:
            st.error(f"[server.unavailable] {API_URL} did not answer ({exc})")
            return
        if response.is_error:
            error = response.json().get("error", {})
            st.error(f"[{error.get('code')}] {error.get('message')}")
            return
        st.session_state["token"] = response.json()["access_token"]
        st.session_state["username"] = username
        st.rerun()


def all_videos() -> list[dict[str, Any]]:
    videos: list[dict[str, Any]] = []
    while True:
        page = call("GET", "/api/v1/videos", params={"limit": 200, "offset": len(videos)})
        videos += page["items"]
        if len(videos) >= page["total"] or not page["items"]:
            return videos


def library_page() -> None:
    videos = all_videos()
    ready = [v for v in videos if v["status"] == "ready"]
    seconds = sum(v["duration"] for v in ready)
    left, middle, right = st.columns(3)
    left.metric("Videos", len(videos))
    middle.metric(
        "Indexed", f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"
    )
    right.metric("Passages", sum(v.get("passages", 0) for v in ready))
    if not videos:
        st.info("No videos yet: upload some in the web app, or run 'vidscope batch ingest'.")
        return
    by_status = Counter(v["status"] for v in videos)
    by_language = Counter(v.get("language") or "unknown" for v in ready)
    charts = st.columns(2)
    charts[0].subheader("By status")
    charts[0].bar_chart(pd.Series(by_status, name="videos"), height=220)
    charts[1].subheader("By language")
    charts[1].bar_chart(pd.Series(by_language, name="videos"), height=220)
    table = pd.DataFrame(videos)[["title", "status", "duration", "language", "created_at"]]
    table["duration"] = table["duration"].map(clock)
    table["created_at"] = table["created_at"].map(added)
    st.dataframe(table.rename(columns={"created_at": "added (UTC)"}), hide_index=True)


def added(stamp: str | None) -> str:
    """An API timestamp as a person reads it: '7 Dec 2026, 12:40'."""
    if not stamp:
        return ""
    when = pd.Timestamp(stamp)  # the API's are UTC ("...Z")
    if when.tzinfo is not None:
        when = when.tz_convert("UTC")
    return f"{when.day} {when:%b %Y, %H:%M}"


def jobs_page() -> None:
    jobs = call("GET", "/api/v1/jobs", params={"limit": 200})["items"]
    counts = Counter(j["status"] for j in jobs)
    columns = st.columns(4)
    for column, status in zip(columns, ("queued", "running", "succeeded", "failed"), strict=True):
        column.metric(status.capitalize(), counts.get(status, 0))
    active = [j for j in jobs if j["status"] in ("queued", "running")]
    if active:
        st.subheader("In progress")
        st.dataframe(
            pd.DataFrame(active)[["kind", "status", "stage", "progress", "attempts", "id"]],
            hide_index=True,
        )
    failed = [j for j in jobs if j["status"] == "failed"]
    st.subheader("Failed")
    if not failed:
        st.write("No failed jobs.")
    for job in failed:
        error = job.get("error") or {}
        with st.container(border=True):
            st.markdown(f"**{job['kind']}** `{job['id']}` · {job['attempts']} attempt(s)")
            st.write(f"[{error.get('code')}] {error.get('message')}")
            if st.button("Retry", key=f"retry-{job['id']}"):
                try:
                    call("POST", f"/api/v1/jobs/{job['id']}/retry")
                    st.success("Queued again.")
                except ApiError as exc:
                    st.error(str(exc))


# Each trend's metrics: (label, how a rise is coloured): "normal" where higher is better
# (green up), "inverse" where lower is better (a falling WER is green), "off" for amounts.
Colour = Literal["normal", "inverse", "off"]
TRENDS: tuple[tuple[str, str, dict[str, tuple[str, Colour]]], ...] = (
    (
        "eval",
        "Evaluations",
        {
            "wer": ("WER", "inverse"),
            "recall_at_1": ("recall@1", "normal"),
            "recall_at_5": ("recall@5", "normal"),
            "mrr": ("MRR", "normal"),
            "answer_right": ("answers right", "normal"),
            "abstain_off_topic": ("abstains off-topic", "normal"),
            "chapter_recall": ("chapter recall", "normal"),
            "chapter_precision": ("chapter precision", "normal"),
        },
    ),
    (
        "batch",
        "Batch runs",
        {
            "audio_hours": ("audio hours", "off"),
            "real_time_factor": ("real-time factor", "inverse"),  # wall ÷ audio
            "failures": ("failures", "inverse"),
        },
    ),
    (
        "bench",
        "Benchmarks",
        {
            "scale_ray1_overhead": ("Ray overhead (1 worker)", "inverse"),
            "ingest_speedup_10min": ("ingest speed-up vs baseline", "normal"),
            "search_p50_ms_10000": ("search p50 ms (10k passages)", "inverse"),
        },
    ),
)


def trends_page() -> None:
    uri = load_settings().tracking_uri
    st.caption(f"MLflow store: {uri} (open it with 'vidscope mlflow-ui')")
    shown = False
    for kind, title, names in TRENDS:
        runs = recent_runs(uri, kind)
        frame = pd.DataFrame(runs)
        columns = {f"metric.{k}": label for k, (label, _) in names.items()}
        colours: dict[str, Colour] = dict(names.values())
        present = [c for c in columns if not frame.empty and c in frame.columns]
        if not present:
            continue
        shown = True
        st.subheader(title)
        frame["started"] = pd.to_datetime(frame["start_time"], unit="ms")
        frame = frame.sort_values("started").rename(columns=columns)
        labels = [columns[c] for c in present]
        latest = frame.dropna(subset=labels, how="all").tail(2)
        tiles = st.columns(len(labels))
        for tile, label in zip(tiles, labels, strict=True):
            values = latest[label].dropna().tolist()
            delta = values[-1] - values[-2] if len(values) == 2 else None
            tile.metric(
                label,
                f"{values[-1]:.3g}" if values else "—",
                None if delta is None else f"{delta:+.3g}",
                delta_color=colours[label] if delta else "off",
                delta_arrow="auto" if delta else "off",  # no arrow up for "no change"
                help="change since the run before",
            )
        if len(frame) > 1:  # a trend needs two points
            st.line_chart(frame.set_index("started")[labels], height=240)
        st.dataframe(frame[["name", "started", *labels]].iloc[::-1], hide_index=True)
    if not shown:
        st.info("No runs yet: 'vidscope eval', 'vidscope batch ingest' and 'make bench' log them.")


def search_page() -> None:
    query = st.text_input("Search your videos", key="query")
    if not query:
        return
    hits = call("GET", "/api/v1/search", params={"q": query, "k": 5})["hits"]
    if not hits:
        st.write("No results.")
        return
    labels = [f"{h['title']} · {clock(h['start'])}" for h in hits]
    choice = st.radio("Hits", range(len(hits)), format_func=lambda n: labels[n])
    hit = hits[choice if choice is not None else 0]
    player, text = st.columns([3, 2])
    text.write(hit["text"])
    video_path = f"/api/v1/videos/{hit['video_id']}"
    size = call("GET", video_path)["size_bytes"]
    if size > PLAY_MAX_BYTES:
        still = request("GET", f"{video_path}/thumbnail", params={"t": hit["start"]}).content
        player.image(still, caption=labels[choice or 0])
        player.info(
            f"This video is {size / 1e6:.0f} MB: the dashboard plays videos up to "
            f"{PLAY_MAX_BYTES / 1e6:.0f} MB (VIDSCOPE_DASHBOARD_PLAY_MAX_MB), since Streamlit "
            f"holds the whole file in memory. The web app at {API_URL} plays it from this second."
        )
        return
    media = request("GET", f"{video_path}/media", timeout=120).content
    player.video(media, start_time=int(hit["start"]))


def health_page() -> None:
    """The library's health (`vidscope doctor`, through the API), for administrators."""
    try:
        report = call("GET", "/api/v1/admin/doctor", timeout=300)
    except ApiError as exc:
        if exc.code != "auth.forbidden":
            raise
        st.info("The library's health is shown to administrators (`vidscope doctor`).")
        return
    findings = report["findings"]
    st.metric("Health", "healthy" if report["healthy"] else f"{len(findings)} finding(s)")
    troubled = {f["check"] for f in findings}
    for check in report["checked"]:
        if check not in troubled:
            st.success(check)
    for check in report["skipped"]:
        st.warning(f"{check}: not checked (it needs a readable catalog)")
    for finding in findings:
        st.error(f"{finding['check']}: {finding['problem']}")
        if finding["fix"]:
            st.caption(f"fix: {finding['fix']}")


def main() -> None:
    st.set_page_config(page_title="Vidscope dashboard", layout="wide")
    if "token" not in st.session_state:
        sign_in()
        return
    st.sidebar.write(f"Signed in as **{st.session_state['username']}**")
    st.sidebar.caption(API_URL)
    if st.sidebar.button("Sign out"):
        st.session_state.clear()
        st.rerun()
    st.title("Vidscope")
    pages = st.tabs(["Library", "Jobs", "Quality", "Search", "Health"])
    shown = (library_page, jobs_page, trends_page, search_page, health_page)
    for tab, page in zip(pages, shown, strict=True):
        with tab:
            try:
                page()
            except ApiError as exc:
                if exc.code.startswith("auth."):
                    st.session_state.clear()
                st.error(str(exc))


main()
