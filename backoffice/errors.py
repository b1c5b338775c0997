"""Domain errors carry a message in the user's language; views flash it, the CLI prints it."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    def __init__(self, message: Any, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    """The record does not exist or is out of the actor's scope (the two look the same)."""


class Forbidden(DomainError):
    """The actor may not take this action."""
