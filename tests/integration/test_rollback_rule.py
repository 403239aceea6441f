"""The catalog's rollback rule on a real DuckDB file: an older release opens a newer catalog
when the newer schema's recorded floor is within what it knows, and refuses by name otherwise.
A newer release is stood for by the rows it writes (schema_version, schema_readers); the
releases themselves run in tests/integration/test_rollback.py."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.errors import VidscopeError
from pipelines.storage.catalog import SCHEMA_VERSION, Catalog, schema

NEWER = SCHEMA_VERSION + 1


def newer_catalog(path: Path, *, oldest_reader: int | None, release: str = "9.9.9") -> None:
    """A catalog as a release with one more migration leaves it."""
    Catalog(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_version (version) VALUES (?)", [NEWER])
    if oldest_reader is not None:
        con.execute("INSERT INTO schema_readers VALUES (?, ?, ?)", [NEWER, oldest_reader, release])
    con.close()


def test_the_floors_of_todays_migrations() -> None:
    assert schema.oldest_reader(1) == 1
    assert schema.oldest_reader(2) == 1  # audio tracks: columns with a default
    assert schema.oldest_reader(3) == 3  # owners: the tables remade
    assert schema.oldest_reader(5) == 4  # summaries: a table nothing older touches
    assert schema.oldest_reader(SCHEMA_VERSION) == SCHEMA_VERSION
    with pytest.raises(ValueError, match="not one of"):
        schema.oldest_reader(NEWER)


def test_a_catalog_records_who_may_read_each_version(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "c.duckdb")
    rows = catalog.con.execute(
        "SELECT version, oldest_reader FROM schema_readers ORDER BY version"
    ).fetchall()
    catalog.close()
    assert rows == [(v, schema.oldest_reader(v)) for v in range(1, SCHEMA_VERSION + 1)]


def test_a_catalog_from_before_the_rule_is_given_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    Catalog(path).close()
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE schema_readers")  # as every release before the rule left it
    con.close()
    catalog = Catalog(path)
    count = catalog.con.execute("SELECT count(*) FROM schema_readers").fetchone()
    catalog.close()
    assert count == (SCHEMA_VERSION,)


@pytest.mark.parametrize("read_only", [False, True])
def test_an_older_release_opens_a_newer_additive_catalog(tmp_path: Path, read_only: bool) -> None:
    path = tmp_path / "c.duckdb"
    newer_catalog(path, oldest_reader=SCHEMA_VERSION)
    catalog = Catalog(path, read_only=read_only)
    try:
        assert catalog.newer_schema == NEWER
        assert catalog.schema_version() == NEWER
        # It writes nothing of its own about versions: the newer release's rows stand.
        assert catalog.con.execute(
            "SELECT version, oldest_reader FROM schema_readers WHERE version > ?",
            [SCHEMA_VERSION],
        ).fetchall() == [(NEWER, SCHEMA_VERSION)]
    finally:
        catalog.close()


@pytest.mark.parametrize("read_only", [False, True])
def test_an_older_release_refuses_a_contracted_catalog_naming_the_release(
    tmp_path: Path, read_only: bool
) -> None:
    path = tmp_path / "c.duckdb"
    newer_catalog(path, oldest_reader=NEWER, release="9.9.9")
    with pytest.raises(VidscopeError) as caught:
        Catalog(path, read_only=read_only)
    assert caught.value.code == "library.too_new"
    assert f"schema v{NEWER} or later (release 9.9.9 migrated it)" in caught.value.message
    assert caught.value.context["needs_schema"] == NEWER


def test_a_newer_catalog_that_says_nothing_of_its_readers_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    newer_catalog(path, oldest_reader=None)
    with pytest.raises(VidscopeError) as caught:
        Catalog(path)
    assert caught.value.code == "library.too_new"
    assert caught.value.context["release"] is None
