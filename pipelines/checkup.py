"""The doctor run in a process of its own (``vidscope doctor`` with no server holding the
library): it opens the library itself, read-only unless asked to fix. Above the library in
the layers (it opens one); pipelines/doctor.py, which examines and repairs what it is handed,
is below it (the library's administration calls it while the library is open)."""

from __future__ import annotations

from pipelines.config import Settings
from pipelines.doctor import Finding, Report, catalog_finding, examine, examine_and_repair
from pipelines.errors import VidscopeError
from pipelines.retrieval.indexes import SearchIndexes
from pipelines.storage.catalog import Catalog


def check_library(settings: Settings, *, fix: bool = False) -> Report:
    """The doctor in this process (no server holds the library). Without ``fix`` the catalog
    is opened read-only and nothing is changed; with it, the library is opened as usual
    (start-up repair runs) and the fixable findings are repaired."""
    from pipelines.library import Library

    if not settings.home.is_dir():
        report = Report(checked=["library"])
        report.findings.append(
            Finding(
                "library",
                f"{settings.home} is not a library folder",
                "check the library folder (VIDSCOPE_HOME)",
            )
        )
        return report
    indexes = SearchIndexes(settings.layout.index_dir)
    if fix:
        try:
            library = Library(settings)
        except VidscopeError as exc:
            report = examine(settings, None, indexes)
            report.findings.insert(0, catalog_finding(exc))
            return report
        with library:
            report = examine_and_repair(settings, library.catalog, library.indexes)
            done = {k: v for k, v in library.repaired.items() if v}
            if done:
                report.fixed.insert(
                    0,
                    "start-up repair: "
                    + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in done.items()),
                )
            return report
    try:
        catalog = Catalog(settings.layout.catalog_path, read_only=True)
    except VidscopeError as exc:
        report = examine(settings, None, indexes)
        report.findings.insert(0, catalog_finding(exc))
        return report
    try:
        return examine(settings, catalog, indexes)
    finally:
        catalog.close()
