"""Accounts: password hashing, API tokens, lockout, sessions, and the ``ebpm users`` commands."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner, Result

from ebpm.accounts import clock as accounts_clock
from ebpm.accounts import passwords, service
from ebpm.accounts.principal import Principal
from ebpm.accounts.sessions import LOCKOUT, MAX_FAILURES
from ebpm.audit import log
from ebpm.cli import app
from ebpm.errors import AccountError, LoginFailed, LoginLocked, UnknownUserError
from ebpm.store import knowledge_base, monitoring
from ebpm.store.follow_tables import api_tokens, sessions, users
from ebpm.store.monitoring import Location

Run = Callable[..., Result]
PASSWORD = "correct horse battery staple"
ACTOR = "cli:test"


@pytest.fixture
def store(store_location: Location) -> Iterator[Engine]:
    """The store every test here runs on: a SQLite file, and again a PostgreSQL schema."""
    engine = monitoring.open_store(store_location, "write")
    yield engine
    engine.dispose()


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    """The CLI in-process, in ``tmp_path``, with no store or knowledge base from the environment;
    ``input`` is its stdin."""
    for var in (knowledge_base.ENV_VAR, monitoring.ENV_VAR, monitoring.URL_VAR):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def go(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input)

    return go


class Clock:
    """The accounts' time, moved by the test."""

    def __init__(self) -> None:
        self.t = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)

    def advance(self, **delta: float) -> None:
        self.t += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(accounts_clock, "now", lambda: c.t)
    return c


def add(
    engine: Engine, name: str = "alice", role: str = "editor", ministries: tuple[str, ...] = ("文",)
) -> None:
    service.add_user(engine, name, role, ministries, PASSWORD, actor=ACTOR)


def user_row(engine: Engine, name: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(users).where(users.c.name == name)).one()


# --- users and passwords -------------------------------------------------------------------------


def test_a_password_is_stored_as_an_argon2_hash_and_the_addition_is_audited(store: Engine) -> None:
    user = service.add_user(
        store, "alice", "editor", ["文", "経", "文"], PASSWORD, actor=ACTOR, ip="10.0.0.1"
    )
    assert user == Principal("alice", "editor", frozenset({"文", "経"}))
    row = user_row(store, "alice")
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    assert PasswordHasher().verify(row.password_hash, PASSWORD)
    assert json.loads(row.ministries) == sorted(["文", "経"])
    assert row.failed_logins == 0 and row.disabled_at is None
    [entry] = log.entries(store)
    assert (entry.actor, entry.action, entry.target, entry.outcome, entry.ip) == (
        ACTOR,
        "user.add",
        "alice",
        "ok",
        "10.0.0.1",
    )
    assert entry.after == {"name": "alice", "role": "editor", "ministries": sorted(["文", "経"])}
    assert "argon2" not in json.dumps(entry.after) and PASSWORD not in json.dumps(entry.after)


@pytest.mark.parametrize(
    ("name", "role", "ministries", "password", "message"),
    [
        ("", "viewer", [], PASSWORD, "1 to 64 letters"),
        ("a" * 65, "viewer", [], PASSWORD, "1 to 64 letters"),
        ("bad name", "viewer", [], PASSWORD, "1 to 64 letters"),
        ("名前", "viewer", [], PASSWORD, "1 to 64 letters"),
        ("anonymous", "viewer", [], PASSWORD, "reserved"),
        ("bob", "owner", [], PASSWORD, "use admin, editor, viewer"),
        ("bob", "editor", [], PASSWORD, "an editor needs at least one ministry"),
        ("bob", "viewer", ["文"], PASSWORD, "has no ministries"),
        ("bob", "admin", ["文"], PASSWORD, "has no ministries"),
        ("bob", "viewer", [], "eleven char", "at least 12 characters"),
        ("bob", "viewer", [], "x" * 1025, "at most 1024 characters"),
    ],
)
def test_an_account_that_breaks_a_rule_is_refused_with_the_rule(
    store: Engine, name: str, role: str, ministries: list[str], password: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        service.add_user(store, name, role, ministries, password, actor=ACTOR)
    assert service.list_users(store) == []
    assert log.entries(store) == []


def test_the_longest_name_and_password_are_accepted(store: Engine) -> None:
    service.add_user(store, "a.b_c-" + "d" * 58, "viewer", [], "p" * 1024, actor=ACTOR)
    assert service.login(store, "a.b_c-" + "d" * 58, "p" * 1024, ip=None)
    with pytest.raises(LoginFailed):  # one character more is no prefix match
        service.login(store, "a.b_c-" + "d" * 58, "p" * 1025, ip=None)


def test_a_taken_name_is_refused(store: Engine) -> None:
    add(store)
    with pytest.raises(AccountError, match="'alice' is taken"):
        service.add_user(store, "alice", "viewer", [], PASSWORD, actor=ACTOR)
    assert len(log.entries(store)) == 1


def test_known_ministries_are_checked_and_listed(store: Engine) -> None:
    with pytest.raises(AccountError, match=r"unknown ministry 財.*owners are: 文、経"):
        service.add_user(store, "bob", "editor", ["財"], PASSWORD, actor=ACTOR, known_ministries={"文", "経"})
    user = service.add_user(
        store, "bob", "editor", ["経"], PASSWORD, actor=ACTOR, known_ministries={"文", "経"}
    )
    assert user.ministries == {"経"}


def test_what_each_role_may_write() -> None:
    admin = Principal("a", "admin", frozenset())
    editor = Principal("e", "editor", frozenset({"文"}))
    viewer = Principal("v", "viewer", frozenset())
    assert admin.is_admin and not editor.is_admin and not viewer.is_admin
    assert admin.can_write_for([]) and admin.can_write_for(["経"])
    assert editor.can_write_for(["経", "文"]) and editor.can_write_for(iter(["文"]))
    assert not editor.can_write_for(["経"]) and not editor.can_write_for([])
    assert not viewer.can_write_for(["文"])


def test_users_are_listed_with_their_tokens_and_users_exist_counts_enabled_ones(store: Engine) -> None:
    assert not service.users_exist(store)
    add(store, "bob", "viewer", ())
    add(store)
    service.new_token(store, "alice", actor=ACTOR)
    listed = service.list_users(store)
    assert [(u.name, u.role, u.ministries, u.tokens) for u in listed] == [
        ("alice", "editor", ("文",), 1),
        ("bob", "viewer", (), 0),
    ]
    assert service.users_exist(store)
    service.disable_user(store, "alice", actor=ACTOR)
    service.disable_user(store, "bob", actor=ACTOR)
    assert not service.users_exist(store)
    assert all(u.disabled_at is not None and u.tokens == 0 for u in service.list_users(store))


# --- API tokens ----------------------------------------------------------------------------------


def test_only_a_tokens_hash_is_stored_and_a_new_token_revokes_the_old(store: Engine) -> None:
    add(store)
    first = service.new_token(store, "alice", actor=ACTOR)
    assert first.startswith("ebpm_") and len(first) > 40
    with store.connect() as conn:
        stored = conn.execute(select(api_tokens.c.token_hash)).scalars().all()
    assert stored == [hashlib.sha256(first.encode()).hexdigest()]
    assert service.principal_for_token(store, first) == Principal("alice", "editor", frozenset({"文"}))

    second = service.new_token(store, "alice", actor=ACTOR)
    assert second != first
    assert service.principal_for_token(store, first) is None
    assert service.principal_for_token(store, second) is not None
    entries = [e for e in log.entries(store) if e.action == "user.token"]
    assert [e.after for e in entries] == [{"tokens_revoked": 1}, {"tokens_revoked": 0}]
    assert not any(first in json.dumps(e.after) or second in json.dumps(e.after) for e in entries)


def test_a_disabled_users_token_and_unknown_tokens_are_refused(store: Engine) -> None:
    add(store)
    token = service.new_token(store, "alice", actor=ACTOR)
    service.disable_user(store, "alice", actor=ACTOR)
    assert service.principal_for_token(store, token) is None
    for other in ("", "ebpm_x", token + "x", "x" * 10_000):
        assert service.principal_for_token(store, other) is None
    with pytest.raises(AccountError, match="disabled"):
        service.new_token(store, "alice", actor=ACTOR)
    with pytest.raises(AccountError, match="disabled already"):
        service.disable_user(store, "alice", actor=ACTOR)
    with pytest.raises(UnknownUserError, match="no user named 'nobody'"):
        service.new_token(store, "nobody", actor=ACTOR)
    [entry] = [e for e in log.entries(store) if e.action == "user.disable"]
    assert entry.after["tokens_revoked"] == 1


# --- logins, lockout, sessions -------------------------------------------------------------------


def test_a_login_gives_a_session_whose_cookie_is_stored_only_as_a_hash(store: Engine, clock: Clock) -> None:
    add(store)
    cookie, csrf = service.login(store, "alice", PASSWORD, ip="10.0.0.2")
    with store.connect() as conn:
        row = conn.execute(select(sessions)).one()
    assert row.id == hashlib.sha256(cookie.encode()).hexdigest() and cookie not in row
    assert row.csrf == csrf and row.expires_at == (clock.t + timedelta(hours=8)).isoformat()
    found = service.session_principal(store, cookie)
    assert found == (Principal("alice", "editor", frozenset({"文"})), csrf)
    assert service.session_principal(store, cookie + "x") is None
    login = log.entries(store)[0]
    assert (login.actor, login.action, login.outcome, login.ip) == ("alice", "login", "ok", "10.0.0.2")


def test_five_failures_lock_the_account_even_against_the_right_password(store: Engine, clock: Clock) -> None:
    add(store)
    for n in range(1, MAX_FAILURES + 1):
        with pytest.raises(LoginFailed) as failed:
            service.login(store, "alice", "wrong password!", ip="10.0.0.3")
        assert not isinstance(failed.value, LoginLocked)
        assert user_row(store, "alice").failed_logins == n
    assert user_row(store, "alice").locked_until == (clock.t + LOCKOUT).isoformat()

    clock.advance(minutes=14)
    with pytest.raises(LoginLocked, match="locked until"):
        service.login(store, "alice", PASSWORD, ip="10.0.0.3")
    denied = [e for e in log.entries(store) if e.action == "login"]
    assert len(denied) == MAX_FAILURES + 1 and all(e.outcome == "denied" for e in denied)
    assert denied[0].after["reason"] == "locked" and denied[0].target == "alice"
    assert denied[1].after == {"reason": "wrong password", "failed_logins": 5, "locked_until": ANY_TIME}

    clock.advance(minutes=1)  # the lock has run out
    service.login(store, "alice", PASSWORD, ip=None)
    row = user_row(store, "alice")
    assert (row.failed_logins, row.locked_until) == (0, None)


class _AnyTime:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and datetime.fromisoformat(other).tzinfo is not None

    __hash__ = None  # type: ignore[assignment]


ANY_TIME: Any = _AnyTime()


def test_failures_after_a_lock_has_run_out_count_anew(store: Engine, clock: Clock) -> None:
    add(store)
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginFailed):
            service.login(store, "alice", "wrong password!", ip=None)
    clock.advance(minutes=16)
    with pytest.raises(LoginFailed) as failed:
        service.login(store, "alice", "wrong password!", ip=None)
    assert not isinstance(failed.value, LoginLocked)
    row = user_row(store, "alice")
    assert (row.failed_logins, row.locked_until) == (1, None)


def test_a_failed_login_never_tells_which_names_exist(
    store: Engine, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(store)
    add(store, "carol", "viewer", ())
    service.disable_user(store, "carol", actor=ACTOR)
    verified: list[str] = []
    real_verify = passwords.verify

    def counting(password_hash: str, password: str) -> bool:
        verified.append(password)
        return real_verify(password_hash, password)

    monkeypatch.setattr(passwords, "verify", counting)
    messages = []
    for name, password in (("alice", "wrong password!"), ("nobody", PASSWORD), ("carol", PASSWORD)):
        with pytest.raises(LoginFailed) as failed:
            service.login(store, name, password, ip=None)
        assert type(failed.value) is LoginFailed
        messages.append(str(failed.value))
    assert messages == ["wrong name or password"] * 3
    assert len(verified) == 3  # an argon2 verify for the unknown and the disabled name too
    reasons = [e.after["reason"] for e in log.entries(store) if e.action == "login"]
    assert reasons == ["disabled user", "unknown user", "wrong password"]


def test_an_outdated_hash_is_replaced_at_login(store: Engine) -> None:
    add(store)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with store.begin() as conn:
        conn.execute(text("UPDATE users SET password_hash = :h WHERE name = 'alice'"), {"h": weak})
    service.login(store, "alice", PASSWORD, ip=None)
    renewed = user_row(store, "alice").password_hash
    assert renewed != weak and not PasswordHasher().check_needs_rehash(renewed)
    service.login(store, "alice", PASSWORD, ip=None)


def test_a_session_ends_when_idle_for_30_minutes(store: Engine, clock: Clock) -> None:
    add(store)
    cookie, _ = service.login(store, "alice", PASSWORD, ip=None)
    for _ in range(3):  # each use keeps it alive for another 30 minutes
        clock.advance(minutes=29)
        assert service.session_principal(store, cookie) is not None
    clock.advance(minutes=31)
    assert service.session_principal(store, cookie) is None


def test_a_session_ends_after_8_hours_however_busy(store: Engine, clock: Clock) -> None:
    add(store)
    cookie, _ = service.login(store, "alice", PASSWORD, ip=None)
    for _ in range(31):
        clock.advance(minutes=15)
        assert service.session_principal(store, cookie) is not None
    clock.advance(minutes=15)  # 8 hours since the login
    assert service.session_principal(store, cookie) is None


def test_logout_and_disabling_end_sessions(store: Engine, clock: Clock) -> None:
    add(store)
    first, _ = service.login(store, "alice", PASSWORD, ip=None)
    second, _ = service.login(store, "alice", PASSWORD, ip=None)
    service.logout(store, first, ip="10.0.0.4")
    assert service.session_principal(store, first) is None
    assert service.session_principal(store, second) is not None
    service.logout(store, first, ip=None)  # no session: nothing to do, nothing audited
    logouts = [e for e in log.entries(store) if e.action == "logout"]
    assert [(e.actor, e.ip) for e in logouts] == [("alice", "10.0.0.4")]

    service.disable_user(store, "alice", actor=ACTOR)
    assert service.session_principal(store, second) is None
    with store.connect() as conn:
        assert conn.execute(select(sessions)).all() == []


# --- the command line ----------------------------------------------------------------------------


def test_users_commands(run: Run, tmp_path: Path) -> None:
    db = ["--monitoring-db", str(tmp_path / "m.sqlite")]
    added = run("users", "add", "alice", "--role", "editor", "--ministry", "文", "--password-stdin", *db,
                   input=PASSWORD + "\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "user alice added: editor for 文" in added.stdout

    token = run("users", "token", "alice", *db)
    assert token.exit_code == 0, token.output
    raw = token.stdout.strip()
    assert token.stdout == raw + "\n" and raw.startswith("ebpm_")
    assert "shown this once" in token.stderr

    listed = run("users", "list", "--json", *db)
    assert listed.exit_code == 0
    [user] = json.loads(listed.stdout)
    assert (user["name"], user["ministries"], user["tokens"]) == ("alice", ["文"], 1)

    disabled = run("users", "disable", "alice", *db)
    assert disabled.exit_code == 0 and "alice disabled" in disabled.stdout
    engine = monitoring.open_store(tmp_path / "m.sqlite", "read")
    try:
        assert service.principal_for_token(engine, raw) is None
        actions = [(e.action, e.actor.startswith("cli:")) for e in log.entries(engine)]
    finally:
        engine.dispose()
    assert actions == [("user.disable", True), ("user.token", True), ("user.add", True)]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["users", "add", "bob", "--role", "viewer", "--password-stdin"],
            "short\n",
            "at least 12 characters",
        ),
        (["users", "add", "bob", "--role", "chief", "--password-stdin"], PASSWORD, "role 'chief'"),
        (["users", "add", "al ice", "--role", "viewer", "--password-stdin"], PASSWORD, "user name 'al ice'"),
        (["users", "disable", "nobody"], "", "no user named 'nobody'"),
        (["users", "token", "nobody"], "", "no user named 'nobody'"),
    ],
)
def test_users_command_errors_are_one_line_and_exit_1(
    run: Run, tmp_path: Path, args: list[str], stdin: str, message: str
) -> None:
    result = run(*args, "--monitoring-db", str(tmp_path / "m.sqlite"), input=stdin)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_users_add_checks_ministries_against_the_knowledge_base(
    run: Run, tmp_path: Path, kb_file: Path
) -> None:
    db = ["--monitoring-db", str(tmp_path / "m.sqlite"), "--db", str(kb_file)]
    bad = run("users", "add", "bob", "--role", "editor", "--ministry", "火星", "--password-stdin", *db,
                 input=PASSWORD)  # fmt: skip
    assert bad.exit_code == 1
    assert "unknown ministry 火星; the strategy's owners are: " in bad.stderr and "文" in bad.stderr
    good = run("users", "add", "bob", "--role", "editor", "--ministry", "文", "--password-stdin", *db,
                  input=PASSWORD)  # fmt: skip
    assert good.exit_code == 0, good.output
    missing = run("users", "add", "eve", "--role", "editor", "--ministry", "文", "--password-stdin",
                     "--monitoring-db", str(tmp_path / "m.sqlite"), "--db", str(tmp_path / "none.sqlite"),
                     input=PASSWORD)  # fmt: skip
    assert missing.exit_code == 1 and "no knowledge base" in missing.stderr


def test_users_add_without_a_knowledge_base_does_not_check_ministries(run: Run, tmp_path: Path) -> None:
    result = run("users", "add", "bob", "--role", "editor", "--ministry", "火星", "--password-stdin",
                    "--monitoring-db", str(tmp_path / "m.sqlite"), input=PASSWORD)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "not checked" in result.stderr


def test_users_add_refuses_a_taken_name_before_asking_for_a_password(run: Run, tmp_path: Path) -> None:
    engine = monitoring.open_store(tmp_path / "m.sqlite", "write")
    add(engine)
    engine.dispose()
    result = run("users", "add", "alice", "--role", "viewer", "--monitoring-db", str(tmp_path / "m.sqlite"))
    assert result.exit_code == 1
    assert result.output == "error: user name 'alice' is taken\n"


def test_users_add_asks_for_the_password_twice(run: Run, tmp_path: Path) -> None:
    args = ["users", "add", "root", "--role", "admin", "--monitoring-db", str(tmp_path / "m.sqlite")]
    mismatch = run(*args, input=f"{PASSWORD}\nother password!\n{PASSWORD}\n{PASSWORD}\n")
    assert mismatch.exit_code == 0, mismatch.output
    assert "do not match" in mismatch.output and PASSWORD not in mismatch.output
    engine = monitoring.open_store(tmp_path / "m.sqlite", "write")
    try:
        service.login(engine, "root", PASSWORD, ip=None)
    finally:
        engine.dispose()
