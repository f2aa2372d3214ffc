"""Errors: the archive's user errors, each message one readable line."""

from __future__ import annotations

import errno

__all__ = [
    "ArticleNotFound",
    "DiskFull",
    "ImportStopped",
    "InvalidInput",
    "RevisionNotFound",
    "StaleRevision",
    "VaultError",
]


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


class DiskFull(OSError):
    """The disk or quota is full: what was being written, and the truth about what was saved."""

    NOTHING = "nothing was saved"

    def __init__(self, what: str, saved: str = NOTHING) -> None:
        super().__init__(errno.ENOSPC, "no space left on device")
        self.what = what
        self.saved = saved

    def __str__(self) -> str:
        return f"no space left on device while writing {self.what}; {self.saved}"

    @classmethod
    def of(cls, exc: BaseException, saved: str = "") -> DiskFull | None:
        """Return a DiskFull for a full-disk error (ENOSPC, EDQUOT), else None.

        `saved` replaces what the error says was saved (by default, what it said already;
        "nothing was saved" for a plain OSError).
        """
        if not isinstance(exc, OSError) or exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            return None
        if isinstance(exc, DiskFull):
            return cls(exc.what, saved or exc.saved)
        return cls(str(exc.filename) if exc.filename else "the archive", saved or cls.NOTHING)


class InvalidInput(VaultError):
    """A revision's input cannot be saved as given; `field` names the culprit when known."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field
