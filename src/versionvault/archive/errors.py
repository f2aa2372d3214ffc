"""Errors: the archive's user errors, each message one readable line."""

from __future__ import annotations

__all__ = ["ArticleNotFound", "ImportStopped", "RevisionNotFound", "StaleRevision", "VaultError"]


class VaultError(Exception):
    """A user error: the message is one readable line."""


class ArticleNotFound(VaultError):
    """No article has that id."""


class RevisionNotFound(VaultError):
    """The article has no such revision."""


class StaleRevision(VaultError):
    """The article changed since the revision the writer started from."""

    def __init__(self, message: str, current: str) -> None:
        super().__init__(message)
        self.current = current


class ImportStopped(VaultError):
    """A bulk import stopped at a bad line; what came before it was saved."""
