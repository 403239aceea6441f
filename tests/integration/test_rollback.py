"""Rollback across releases, each release's own code in its own process: a release's server runs
deploy/smoke.py on a catalog that another release migrated.

- The previous release (git history: the newest commit whose schema.py differs from this one's)
  runs on this release's catalog when this schema's floor is within its migrations, else it
  refuses with library.too_new; likewise the previous migration set (fewer migrations).
- This release runs on the catalog of a newer one (this code with one more migration) when that
  migration is additive, and refuses it by name when it is not.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.storage.catalog import SCHEMA_VERSION, schema
from tests.support.server import Server, environment, free_port

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "deploy" / "smoke.py"
SCHEMA = "pipelines/storage/catalog/schema.py"
PASSWORD = "kettle-orbit-57"


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def migrations_in(source: str) -> int:
    namespace: dict[str, Any] = {}
    exec(compile(source, SCHEMA, "exec"), namespace)  # schema.py imports nothing of ours
    return len(namespace["MIGRATIONS"])


def previous_release(*, fewer_migrations: bool) -> tuple[str, int]:
    """The newest commit whose schema.py differs from this tree's (or has fewer migrations)."""
    here = (ROOT / SCHEMA).read_text()
    for rev in git("log", "--format=%H", "--", SCHEMA).split():
        source = git("show", f"{rev}:{SCHEMA}")
        count = migrations_in(source)
        if count < SCHEMA_VERSION if fewer_migrations else source != here:
            return rev, count
    pytest.skip("no earlier schema in this clone's history")


def tree_at(rev: str, dest: Path) -> Path:
    """That release's code, as `git archive` gives it."""
    dest.mkdir()
    archive = subprocess.run(
        ["git", "archive", rev, "pipelines", "app"], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


def newer_tree(dest: Path, statements: tuple[str, ...], *, additive: bool) -> Path:
    """This code with one more migration: the next release."""
    for package in ("pipelines", "app"):
        shutil.copytree(
            ROOT / package, dest / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    nxt = f"MIGRATIONS = (*MIGRATIONS, {statements!r})\nSCHEMA_VERSION = len(MIGRATIONS)\n"
    if additive:
        # globals(): a release before the rule has no ADDITIVE (it still migrates, and the
        # release it stands next to refuses its catalog).
        nxt += "ADDITIVE = globals().get('ADDITIVE', frozenset()) | {SCHEMA_VERSION}\n"
    with (dest / SCHEMA).open("a") as file:
        file.write("\n" + nxt)
    return dest


def serve(tree: Path, home: Path, log: Path) -> Server:
    # `python -m app.cli` imports from its working directory first: that release's code.
    # Speakers off: a release before 745f89e dies with SIGILL diarizing on a CPU without
    # AVX-512 (senko's prebuilt features), and the smoke test asks nothing of speakers.
    with contextlib.chdir(tree):
        return Server(home, log, VIDSCOPE_SPEAKERS="false")


def command(tree: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=tree,
        env=environment(home),
        capture_output=True,
        text=True,
        timeout=300,
    )


def smoke(url: str, user: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(SMOKE), url, "--user", user, "--password", PASSWORD, "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    failed = [step for step in report["steps"] if step["status"] == "fail"]
    assert done.returncode == 0 and not failed, failed
    return report


def smoke_on(tree: Path, home: Path, log: Path, *users: str) -> None:
    server = serve(tree, home, log)
    try:
        for user in users:
            smoke(server.url, user)
    finally:
        server.stop()


def catalog_version(home: Path) -> int:
    con = duckdb.connect(str(home / "catalog.duckdb"), read_only=True)
    try:
        row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def made_by_this_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library this release made and used: an account, a video, a clip. Made once (a
    server's start and the smoke test: 20-45 s on 2 cores); each test works on a copy."""
    folder = tmp_path_factory.mktemp("this-release")
    home = folder / "home"
    smoke_on(ROOT, home, folder / "this.log", "alice")
    assert catalog_version(home) == SCHEMA_VERSION
    return home


@pytest.fixture
def home_of_this_release(made_by_this_release: Path, tmp_path: Path) -> Path:
    """A copy of that library of this test's own (a library is a folder whose catalog names
    its files relative to it: tests/support/faults.py copies them the same way)."""
    return Path(shutil.copytree(made_by_this_release, tmp_path / "home", symlinks=True))


@pytest.mark.parametrize("fewer_migrations", [False, True], ids=["release", "migration-set"])
def test_the_previous_release_on_this_releases_catalog(
    tmp_path: Path, home_of_this_release: Path, fewer_migrations: bool
) -> None:
    rev, known = previous_release(fewer_migrations=fewer_migrations)
    old = tree_at(rev, tmp_path / "previous")
    home = home_of_this_release
    if schema.oldest_reader(SCHEMA_VERSION) <= known:
        # alice signs in and finds her video; bob signs up and uploads: the old release writes.
        smoke_on(old, home, tmp_path / "previous.log", "alice", "bob")
        smoke_on(ROOT, home, tmp_path / "this-again.log", "alice", "bob")
    else:
        refused = command(old, home, "list")
        assert refused.returncode != 0
        assert "library.too_new" in refused.stdout + refused.stderr, refused


def test_this_release_on_an_additive_newer_releases_catalog(
    tmp_path: Path, home_of_this_release: Path
) -> None:
    # Columns on tables this release writes at every step (the audit trail) and at ingest (the
    # summary), and a table it does not know. DuckDB alters no table that others reference.
    newer = newer_tree(
        tmp_path / "newer",
        (
            "ALTER TABLE audit ADD COLUMN region VARCHAR",
            "ALTER TABLE summaries ADD COLUMN model VARCHAR DEFAULT 'unknown'",
            "CREATE TABLE video_notes (video_id VARCHAR NOT NULL, note VARCHAR NOT NULL)",
        ),
        additive=True,
    )
    home = home_of_this_release
    migrated = command(newer, home, "list")
    assert migrated.returncode == 0, migrated.stderr
    assert catalog_version(home) == SCHEMA_VERSION + 1

    smoke_on(ROOT, home, tmp_path / "rolled-back.log", "alice", "bob")
    assert catalog_version(home) == SCHEMA_VERSION + 1

    # And forward again: the newer release reads what this one wrote.
    listed = command(newer, home, "--user", "bob", "list")
    assert listed.returncode == 0, listed.stderr
    assert "talk" in listed.stdout


def test_this_release_refuses_a_contracted_newer_catalog_by_name(tmp_path: Path) -> None:
    newer = newer_tree(tmp_path / "newer", ("DROP TABLE session_cutoffs",), additive=False)
    home = tmp_path / "home"
    assert command(newer, home, "list").returncode == 0
    refused = command(ROOT, home, "list")
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "library.too_new" in said, said
    assert f"schema v{SCHEMA_VERSION + 1} or later (release" in " ".join(said.split())

    server = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(free_port())],
        cwd=ROOT,
        env=environment(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert server.returncode != 0
    assert "library.too_new" in server.stdout + server.stderr
