"""Accounts and the audit trail: ``vidscope users ...`` and ``vidscope audit``."""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Column, Table

from app.cli.core import _administration, _plain, _state, app, err, print_table

if TYPE_CHECKING:
    from pipelines.ports import AdminPort

users_app = typer.Typer(help="Manage the accounts of the server's users.", no_args_is_help=True)
app.add_typer(users_app, name="users")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _accounts() -> AbstractContextManager[AdminPort]:
    _state["user"] = None  # administration is the local administrator's
    return _administration()


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="3-32 lowercase letters, digits, . _ -")],
    admin: Annotated[bool, typer.Option(help="Make an administrator")] = False,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from the first line of stdin")
    ] = False,
    exist_ok: Annotated[
        bool, typer.Option(help="Succeed without changes if the account exists (scripts)")
    ] = False,
) -> None:
    """Create an account (asks for its password)."""
    password = _read_password(password_stdin)
    with _accounts() as accounts:
        if exist_ok and any(u.username == username.strip().lower() for u in accounts.users()):
            err.print(_plain(f"{username} exists already; left as it is"))
            return
        user = accounts.create_user(username, password, admin=admin)
    err.print(_plain(f"created {user.username} ({user.id})"))


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array only")] = False,
) -> None:
    """List the accounts."""
    with _accounts() as accounts:
        users = accounts.users()
    if as_json:
        sys.stdout.write(json.dumps([u.model_dump(mode="json") for u in users]) + "\n")
        return
    table = Table(Column("id", no_wrap=True), "username", "role", "status", "created")
    for u in users:
        status = "disabled" if u.disabled else "active"
        table.add_row(u.id, _plain(u.username), u.role, status, f"{u.created_at:%Y-%m-%d %H:%M}")
    print_table(table)


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="The account")]) -> None:
    """Disable an account: its tokens stop working and it cannot log in."""
    with _accounts() as accounts:
        accounts.change_user(username, disabled=True)
    err.print(_plain(f"disabled {username}"))


@users_app.command("enable")
def users_enable(username: Annotated[str, typer.Argument(help="The account")]) -> None:
    """Enable a disabled account again."""
    with _accounts() as accounts:
        accounts.change_user(username, disabled=False)
    err.print(_plain(f"enabled {username}"))


@users_app.command("reset-password")
def users_reset_password(
    username: Annotated[str, typer.Argument(help="The account")],
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from the first line of stdin")
    ] = False,
) -> None:
    """Set a new password; every session of the account signs in again."""
    password = _read_password(password_stdin)
    with _accounts() as accounts:
        accounts.change_user(username, password=password)
    err.print(_plain(f"password of {username} reset"))


@app.command()
def audit(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array only")] = False,
    limit: Annotated[int, typer.Option(help="How many events, newest first", min=1)] = 50,
) -> None:
    """Show the security events: sign-ups, logins, token reuse, uploads, deletes, clips and
    reels, through the server or by the command line on its own (detail "via": "cli")."""
    with _accounts() as accounts:
        events = accounts.audit_events(limit)
    if as_json:
        sys.stdout.write(json.dumps(events, ensure_ascii=False) + "\n")
        return
    # The time and the event are never wrapped: a column of them is read down the page.
    table = Table(
        Column("when (UTC)", no_wrap=True),
        Column("event", no_wrap=True),
        "user",
        "address",
        Column("detail", overflow="fold"),
    )
    for e in events:
        user = e.get("username") or e.get("user_id") or ""
        detail = json.dumps(e["detail"], ensure_ascii=False) if e["detail"] else ""
        table.add_row(
            str(e["occurred_at"])[:19].replace("T", " "),
            e["event"],
            _plain(user),
            e.get("ip") or "",
            _plain(detail),
        )
    print_table(table)
