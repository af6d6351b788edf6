"""Passwords: checked against ASVS level 1, hashed with argon2 (its current default parameters)."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ebpm.errors import AccountError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # long passphrases are welcome; a megabyte is an attempt to make hashing slow

_hasher = PasswordHasher()


def check(password: str) -> None:
    """Raise :class:`AccountError` for a password too short or too long to set."""
    if len(password) < MIN_LENGTH:
        raise AccountError(f"the password is too short: use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise AccountError(f"the password is too long: use at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> bool:
    """Does ``password`` match? False also for a hash that is damaged or of another kind."""
    if len(password) > MAX_LENGTH:  # none so long is ever set: spend the usual time, not more
        password_hash, password = _dummy_hash(), ""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def spend_verify_time(password: str) -> None:
    """Verify ``password`` against a hash no one knows: a login for a name that does not exist
    then takes as long as one with a wrong password, so timing does not tell which names exist."""
    verify(_dummy_hash(), password)
