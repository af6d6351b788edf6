"""Shapes every part of the API shares: pages of a list, errors, health."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    total: int
    limit: int
    offset: int
    items: list[T]


class Health(BaseModel):
    status: str


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """A 404 or 422: a message, or for invalid parameters one item per parameter."""

    detail: str | list[ErrorItem]
