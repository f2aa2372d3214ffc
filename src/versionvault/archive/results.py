"""Results: what a save did, and the word diff of two revisions, as the Vault returns them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..diff import WordDiff
from .rows import Revision

__all__ = ["Diff", "SaveResult"]


@dataclass(frozen=True)
class SaveResult:
    """What a save did: `saved` a new revision or found it `unchanged`."""

    status: str
    article: str
    revision: int
    commit: str

    def line(self) -> str:
        """Return the CLI's one-line report."""
        if self.status == "saved":
            return f"saved {self.article} revision {self.revision} {self.commit}"
        return f"unchanged {self.article} revision {self.revision}"


@dataclass(frozen=True)
class Diff:
    """A word diff between two revisions of one article."""

    article: str
    old: Revision
    new: Revision
    words: WordDiff
    skipped: int

    def as_dict(self) -> dict[str, Any]:
        """Return the diff document of DESIGN.md."""
        document: dict[str, Any] = {
            "article": self.article,
            "from": self.old.as_dict(),
            "to": self.new.as_dict(),
            "skipped": self.skipped,
            "reversed": self.old.number > self.new.number,
        }
        document.update(self.words.as_dict())
        return document
