"""``ebpm users``: accounts of the web app (add, list, disable, API tokens)."""

from __future__ import annotations

import getpass
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ebpm.accounts import service
from ebpm.cli.common import DbOption, app, console, err, fail
from ebpm.cli.indicators import JsonOption, MonitoringOption, open_monitoring
from ebpm.commitments.listing import owners
from ebpm.errors import AccountError, UnknownUserError
from ebpm.store import knowledge_base
from ebpm.store.knowledge_base import KnowledgeBaseError

users = typer.Typer(help="Users of the web app: add, list, disable, API tokens.", no_args_is_help=True)
app.add_typer(users, name="users")


def cli_actor() -> str:
    """Who the audit log names for a command: the operating-system user who ran it."""
    try:
        return "cli:" + getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor the password database
        return "cli:unknown"


def _known_ministries(db: Path | None) -> set[str] | None:
    """The strategy's owners, which an editor's ministries must be among; None (not checked)
    where there is no knowledge base to say, unless --db named one."""
    try:
        return owners(knowledge_base.read(knowledge_base.resolve_path(db)))
    except KnowledgeBaseError as exc:
        if db is not None:
            raise fail(str(exc)) from None
        err.print(f"note: {escape(str(exc))}; the ministries are not checked", highlight=False)
        return None


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="Login name: letters, digits, . _ - (at most 64).")],
    role: Annotated[str, typer.Option(help="admin, editor (reports for its ministries) or viewer.")],
    ministry: Annotated[
        list[str] | None, typer.Option("--ministry", help="An editor's ministry, e.g. 文 (repeatable).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Add a user; the password is asked for twice (hidden), or read from stdin."""
    # everything that can fail is checked before anyone is asked for a password
    engine = open_monitoring(store, "write")
    try:
        known = _known_ministries(db) if ministry else None
        service.check_new_user(name, role, ministry or [], known_ministries=known)
        if any(u.name == name for u in service.list_users(engine)):
            raise AccountError(f"user name {name!r} is taken")
        password = _password(password_stdin)
        user = service.add_user(
            engine, name, role, ministry or [], password, actor=cli_actor(), known_ministries=known
        )
    except AccountError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    mins = f" for {'、'.join(sorted(user.ministries))}" if user.ministries else ""
    console.print(f"user {user.name} added: {user.role}{mins}", highlight=False)


@users.command("list")
def list_command(as_json: JsonOption = False, store: MonitoringOption = None) -> None:
    """Every user with role, ministries, when added or disabled, and active API tokens."""
    engine = open_monitoring(store, "read")
    try:
        rows = service.list_users(engine)
    finally:
        engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps([asdict(u) for u in rows], ensure_ascii=False, indent=1) + "\n")
        return
    table = Table(title=f"{len(rows)} users")
    for column in ("name", "role", "ministries", "created", "disabled", "locked until", "tokens"):
        table.add_column(column)
    for u in rows:
        table.add_row(
            escape(u.name),
            u.role,
            "、".join(u.ministries),
            u.created_at or "",
            u.disabled_at or "",
            u.locked_until or "",
            str(u.tokens),
        )
    console.print(table)


@users.command("disable")
def disable_command(
    name: Annotated[str, typer.Argument(help="The user to disable.")], store: MonitoringOption = None
) -> None:
    """Disable a user: their API tokens are revoked and their sessions end."""
    engine = open_monitoring(store, "write")
    try:
        service.disable_user(engine, name, actor=cli_actor())
    except (AccountError, UnknownUserError) as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    console.print(f"user {name} disabled: API tokens revoked, sessions ended", highlight=False)


@users.command("token")
def token_command(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")], store: MonitoringOption = None
) -> None:
    """A new API token for a user (their earlier ones stop working); printed once, alone on stdout."""
    engine = open_monitoring(store, "write")
    try:
        token = service.new_token(engine, name, actor=cli_actor())
    except (AccountError, UnknownUserError) as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    err.print(
        f"API token for {escape(name)}: shown this once only (the store keeps its hash); "
        "earlier tokens of this user are revoked",
        highlight=False,
    )
    sys.stdout.write(token + "\n")


@users.command("password")
def password_command(
    name: Annotated[str, typer.Argument(help="The user whose password is reset.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from stdin (one line).")
    ] = False,
    store: MonitoringOption = None,
) -> None:
    """Reset a user's password (a forgotten one, a lock to lift): their sessions end."""
    engine = open_monitoring(store, "write")
    try:
        service.set_password(engine, name, _password(password_stdin), actor=cli_actor())
    except (AccountError, UnknownUserError) as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    console.print(f"password of {name} changed; their sessions ended", highlight=False)
