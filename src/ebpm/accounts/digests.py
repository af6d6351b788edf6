"""How API tokens and session cookies are stored: their hex SHA-256, never the value.

A fast hash is right for them (argon2 is for passwords): they are 256 random bits, which no
one guesses, so slowing down a guess buys nothing.
"""

from __future__ import annotations

import hashlib


def token_hash(token: str) -> str:
    """The hex SHA-256 a token or session cookie is stored as."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
