"""`vidscope doctor`: a library's health, each finding with its fix; `--fix` repairs what can
be repaired without a person. The exit code says whether the library is healthy."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.core import _plain, _state, app, out

if TYPE_CHECKING:
    from pipelines.doctor import Report


def _examine(fix: bool) -> Report:
    """Through the server when one holds the library (it examines what it has open), else
    here: read-only without --fix."""
    from pipelines.checkup import check_library
    from pipelines.doctor import Finding, Report

    settings = _state["settings"]
    if settings.layout.server_info_path.exists():
        from app.client import find_server

        remote = find_server(settings)
        if remote is not None:
            try:
                found = remote.doctor(fix=fix)
            finally:
                remote.close()
            return Report(
                checked=found["checked"],
                skipped=found["skipped"],
                findings=[Finding(**f) for f in found["findings"]],
                fixed=found["fixed"],
            )
    return check_library(settings, fix=fix)


@app.command()
def doctor(
    fix: Annotated[
        bool, typer.Option("--fix", help="Rebuild indexes, remove partial files, make private")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON")] = False,
) -> None:
    """Check the library without changing it: the catalog (every block's checksum), every
    ready video's media, the search indexes against the catalog, partial files, free space,
    permissions. Each finding says how to fix it. Exit code 0: healthy; 1: findings."""
    report = _examine(fix)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict()) + "\n")
    else:
        troubled = {f.check for f in report.findings}
        for name in report.checked:
            if name not in troubled:
                out.print(f"[green]✓[/] {name}")
        for name in report.skipped:
            out.print(f"[yellow]–[/] {name}: not checked (it needs a readable catalog)")
        for finding in report.findings:
            out.print(f"[red]✗[/] {finding.check}: {_plain(finding.problem)}", highlight=False)
            if finding.fix:
                here = " (vidscope doctor --fix)" if finding.fixable and not fix else ""
                out.print(f"    fix: {_plain(finding.fix)}{here}", highlight=False)
        for done in report.fixed:
            out.print(f"[green]fixed[/] {_plain(done)}", highlight=False)
        out.print("healthy" if report.healthy else f"{len(report.findings)} finding(s)")
    raise typer.Exit(0 if report.healthy else 1)
