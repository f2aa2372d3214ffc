"""Blame of a revision, computed revision by revision and kept in memory by commit."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..diff.blame import BlameBlock, blame_step
from .rows import Revision

if TYPE_CHECKING:
    from .vault import Vault

__all__ = ["BLAME_CACHE", "Blame", "blame_of"]

BLAME_CACHE = 4096  # revisions' blames kept; blocks that did not change are shared


@dataclass(frozen=True)
class Blame:
    """For every block of one revision, the revision that wrote it."""

    article: str
    revision: Revision
    blocks: tuple[BlameBlock, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the blame document: article, revision and blocks in document order."""
        return {
            "article": self.article,
            "revision": self.revision.as_dict(),
            "blocks": [block.as_dict() for block in self.blocks],
        }


class _Cache:
    """A least-recently-used map from (article, commit) to the blame of that revision.

    A commit names its whole history, so its blame never changes and one cache serves
    every archive in the process.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple[str, str], tuple[BlameBlock, ...]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, commit: tuple[str, str]) -> tuple[BlameBlock, ...] | None:
        with self.lock:
            found = self.items.get(commit)
            if found is not None:
                self.items.move_to_end(commit)
            return found

    def put(self, commit: tuple[str, str], blocks: tuple[BlameBlock, ...]) -> None:
        with self.lock:
            self.items[commit] = blocks
            self.items.move_to_end(commit)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_CACHE = _Cache(BLAME_CACHE)


def blame_of(vault: Vault, article_id: str, spec: str | int = "latest") -> Blame:
    """Return the blame of a revision (any name `Vault.revision` accepts).

    It starts from the latest revision before it whose blame is cached (else the first)
    and steps forward one revision at a time, caching each.
    """
    target = vault.revision(article_id, spec)
    history = [r for r in vault.history(article_id) if r.number <= target.number]
    start = len(history) - 1
    while start >= 0 and _CACHE.get((article_id, history[start].commit)) is None:
        start -= 1
    blocks = _CACHE.get((article_id, history[start].commit)) if start >= 0 else None
    body = vault.text(history[start]).body if start >= 0 else ""
    for revision in history[start + 1 :]:
        new_body = vault.text(revision).body
        blocks = blame_step(blocks, body, new_body, revision.number, revision.commit)
        _CACHE.put((article_id, revision.commit), blocks)
        body = new_body
    assert blocks is not None
    return Blame(article_id, target, blocks)
