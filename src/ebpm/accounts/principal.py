"""Who is acting, and what they may write: a user's role and ministries."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, cast

Role = Literal["admin", "editor", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "editor", "viewer")


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    role: Role
    ministries: frozenset[str]  # the owners an editor reports for; empty for admins and viewers

    def can_write_for(self, owners: Iterable[str]) -> bool:
        """May this user write for something owned by ``owners`` (ministry abbreviations)?"""
        if self.role == "admin":
            return True
        if self.role == "editor":
            return not self.ministries.isdisjoint(owners)
        return False

    @property
    def is_admin(self) -> bool:
        # a property, not a method: `if p.is_admin:` on a method would always be true
        return self.role == "admin"


def principal_of(row: Any) -> Principal:
    """The principal of a ``users`` row (name, role, ministries)."""
    # a role this version does not know gets the least rights, never more
    role = cast(Role, row.role) if row.role in ROLES else "viewer"
    return Principal(row.name, role, frozenset(json.loads(row.ministries)))
