"""The catalog file: one DuckDB connection per process, a cursor per thread, numbered migrations
and write transactions that run one at a time."""

from __future__ import annotations

import secrets
import threading
from importlib import metadata
from pathlib import Path
from types import TracebackType

import duckdb

from pipelines.errors import VidscopeError
from pipelines.storage import faults
from pipelines.storage.catalog import schema

# For each schema version, the oldest version a release must know to run on the catalog, and
# the release that migrated it (named when an older one must refuse). Made outside the numbered
# migrations: a new numbered table would itself be a version the release before refuses.
READERS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_readers (version INTEGER PRIMARY KEY, "
    "oldest_reader INTEGER NOT NULL, release VARCHAR NOT NULL)"
)


def _release() -> str:
    try:
        return metadata.version("vidscope")
    except metadata.PackageNotFoundError:  # a source tree run without installing it
        return "unknown"


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _open_failure(path: Path, exc: duckdb.Error) -> VidscopeError:
    """Why the catalog would not open. Locked only when a live process holds it."""
    detail = str(exc)
    if faults.is_lock_conflict(detail):
        holder = faults.lock_holder(detail)
        if holder is None or faults.process_alive(holder):
            who = f" (process {holder})" if holder else ""
            return VidscopeError(
                f"library {path.parent} is in use by another Vidscope process{who}; "
                "wait for it to finish or stop it",
                code="library.locked",
                pid=holder,
            )
    if faults.is_damage(detail):
        return faults.damaged_catalog(path, detail)
    if "Permission denied" in detail or "Read-only file system" in detail:
        return faults.read_only_library(path.parent, "opening its catalog for writing")
    return VidscopeError(f"cannot open catalog {path}: {exc}", code="library.unreadable")


class Database:
    """One open DuckDB file. Safe to share between threads: each thread reads through its own
    cursor, and write transactions take one lock, so two threads never race to write the same
    rows (DuckDB would abort one of them with a conflict)."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._root = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            raise _open_failure(path, exc) from exc
        self.path = path
        self.read_only = read_only
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._closed = False
        # The schema version of a newer catalog this older release runs on (additive
        # migrations only); None when the catalog is this release's own.
        self.newer_schema: int | None = None
        try:
            # Timestamps are UTC whatever the machine's zone (the API adds the offset).
            self._root.execute("SET GLOBAL TimeZone = 'UTC'")
            self.migrate()
        except duckdb.Error as exc:
            self._root.close()
            if faults.is_damage(str(exc)):
                raise faults.damaged_catalog(path, str(exc)) from exc
            raise

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the one connection (created on first use)."""
        if threading.current_thread() is threading.main_thread():
            return self._root
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            if self._closed:
                raise VidscopeError("the library is closed", code="library.closed")
            cursor = self._root.cursor()
            self._local.cursor = cursor
        return cursor

    def close(self) -> None:
        self._closed = True
        self._root.close()

    # -- schema -----------------------------------------------------------------------------
    def schema_version(self) -> int:
        if self.read_only:
            tables = self.con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version'"
            ).fetchone()
            if not tables or not tables[0]:
                return 0
            found = self.con.execute(
                "SELECT coalesce(max(version), 0) FROM schema_version"
            ).fetchone()
            return int(found[0]) if found else 0
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
        )
        row = self.con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def migrate(self) -> int:
        """Applies missing migrations, each in its own transaction; returns the catalog's
        version. A newer catalog is opened as it is when its newer migrations are all additive
        (``schema.ADDITIVE``); otherwise ``library.too_new`` names the schema and release
        it needs."""
        current = self.schema_version()
        latest = len(schema.MIGRATIONS)
        if current > latest:
            self._check_readable(current, latest)
            self.newer_schema = current
            return current
        if self.read_only and current < latest:
            raise faults.read_only_library(
                self.path.parent, f"upgrading its catalog (v{current} to v{latest})"
            )
        if not self.read_only:
            self.con.execute(READERS_TABLE)
        for version in range(current + 1, latest + 1):
            with self.transaction():
                for statement in schema.MIGRATIONS[version - 1]:
                    self.con.execute(statement)
                self.con.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
                self._record_reader(version)
        if current < latest:
            # Write the new schema into the database file now: DuckDB 1.5 cannot replay an
            # ALTER TABLE ... DEFAULT from the write-ahead log, so a process killed before the
            # next automatic checkpoint would leave a library that no longer opens.
            self.con.execute("CHECKPOINT")
        elif not self.read_only:
            self._record_missing_readers(current)
        return latest

    def _record_reader(self, version: int) -> None:
        self.con.execute(
            "INSERT OR IGNORE INTO schema_readers VALUES (?, ?, ?)",
            [version, schema.oldest_reader(version), _release()],
        )

    def _record_missing_readers(self, current: int) -> None:
        """Rows a release before the rule did not write (its catalogs have none)."""
        rows = self.con.execute("SELECT version FROM schema_readers").fetchall()
        known = {int(row[0]) for row in rows}
        missing = [version for version in range(1, current + 1) if version not in known]
        if missing:
            with self.transaction():
                for version in missing:
                    self._record_reader(version)

    def _check_readable(self, current: int, latest: int) -> None:
        has_readers = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_readers'"
        ).fetchone()
        row = None
        if has_readers and has_readers[0]:
            row = self.con.execute(
                "SELECT oldest_reader, release FROM schema_readers WHERE version = ?", [current]
            ).fetchone()
        # No row: the catalog's newest migrations say nothing of who may read them.
        floor, release = (int(row[0]), str(row[1])) if row else (current, None)
        if floor <= latest:
            return
        made_by = f" (release {release} migrated it)" if release else ""
        raise VidscopeError(
            f"library schema v{current} is newer than this Vidscope (v{latest}) and needs one "
            f"that knows schema v{floor} or later{made_by}; run that release or a newer one, "
            "or restore the backup taken before the upgrade",
            code="library.too_new",
            schema=current,
            needs_schema=floor,
            release=release,
        )

    def copy_to(self, target: Path) -> None:
        """A consistent copy of the whole catalog in the new file ``target``: DuckDB copies
        one transaction's snapshot (tables, sequences, indexes, constraints), so writers may
        go on meanwhile. For backups."""
        alias = f"copy_{secrets.token_hex(4)}"
        self.con.execute(f"ATTACH '{_quoted(target)}' AS {alias}")
        try:
            self.con.execute(f"COPY FROM DATABASE {self._name()} TO {alias}")
        finally:
            self.con.execute(f"DETACH {alias}")

    def _name(self) -> str:
        row = self.con.execute("SELECT current_database()").fetchone()
        return str(row[0]) if row else "main"

    def transaction(self) -> Transaction:
        return Transaction(self.con, self._write_lock, self._local, self.path.parent)


class Transaction:
    """``with db.transaction():`` — commits on success, rolls back on any exception. Holds the
    write lock throughout; re-entrant in one thread (an inner block joins the outer one)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        lock: threading.RLock,
        local: threading.local,
        path: Path,
    ) -> None:
        self.con = con
        self.path = path
        self.lock = lock
        self.local = local
        self.outer = False

    def __enter__(self) -> None:
        self.lock.acquire()
        depth = getattr(self.local, "depth", 0)
        self.outer = depth == 0
        self.local.depth = depth + 1
        if self.outer:
            try:
                self.con.execute("BEGIN TRANSACTION")
            except BaseException:
                self.local.depth = depth
                self.lock.release()
                raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.local.depth -= 1
        try:
            if self.outer:
                self.con.execute("COMMIT" if exc_type is None else "ROLLBACK")
        except duckdb.Error as error:
            # DuckDB rolls the transaction back itself when its log cannot be written: a full
            # disk, or one remounted read-only, is named as such.
            fault = faults.library_fault(error, self.path.parent)
            if fault is not None:
                raise fault from error
            raise
        finally:
            self.lock.release()
