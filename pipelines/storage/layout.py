"""Where everything lives inside a library folder: one object names every path, so the
server, the CLI, batch workers and repair agree on them (``settings.layout``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LibraryLayout:
    home: Path

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.duckdb"

    @property
    def media_dir(self) -> Path:
        return self.home / "media"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def clips_dir(self) -> Path:
        """Clips the server cuts (the CLI writes its clips where it is told)."""
        return self.home / "clips" / "server"

    @property
    def staging_dir(self) -> Path:
        """Uploads being received (and the web page's, in ``web/``); emptied at start."""
        return self.home / "staging"

    @property
    def shards_dir(self) -> Path:
        """Parquet shards batch workers wrote and the writer has not merged yet."""
        return self.home / "batches" / "shards"

    @property
    def batch_reports_dir(self) -> Path:
        return self.home / "batches" / "reports"

    @property
    def server_info_path(self) -> Path:
        """Where a running server says where it is (for the CLI beside it)."""
        return self.home / ".server" / "server.json"

    @property
    def admin_token_path(self) -> Path:
        """The local administrator's token a running server leaves for the CLI (mode 0600)."""
        return self.home / ".server" / "admin-token"

    @property
    def default_tracking_uri(self) -> str:
        """MLflow's store when VIDSCOPE_MLFLOW_URI is not set: SQLite inside the library."""
        return f"sqlite:///{self.home.resolve() / 'mlflow.db'}"
