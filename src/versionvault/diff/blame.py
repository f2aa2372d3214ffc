"""Blame: which revision gave each block of a body its wording, one revision at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from .body import align_body
from .paragraphs import _units

__all__ = ["BlameBlock", "blame_step"]


@dataclass(frozen=True)
class BlameBlock:
    """A block (paragraph) of a revision's body and where its text comes from.

    `revision` and `commit` name the revision that gave the block its current wording;
    `first` the one where it first appeared (as this text or an earlier wording of it).
    """

    text: str
    revision: int
    commit: str
    first: int

    def as_dict(self) -> dict[str, object]:
        """Return the block as JSON-ready data."""
        return {
            "text": self.text,
            "revision": self.revision,
            "commit": self.commit,
            "first": self.first,
        }


def blame_step(
    before: Sequence[BlameBlock] | None,
    old_body: str,
    new_body: str,
    revision: int,
    commit: str,
) -> tuple[BlameBlock, ...]:
    """Return the blame of `new_body`, the revision after the one `before` blames.

    `before` is None for a first revision (every block is new). A block equal to one before,
    or moved as it was, keeps its blame; a rewritten one (paired with one or more blocks
    before: reworded, split or merged) gets this revision and keeps the earliest `first`; a
    new one gets this revision for both.
    """
    units = _units(new_body)
    if before is None:
        return tuple(
            BlameBlock(content, revision, commit, revision) for content, _ in units if content
        )
    links = align_body(old_body, new_body)
    # Blame blocks are the units with text, in order: map unit indices to them.
    place: dict[int, int] = {}
    for index, (content, _) in enumerate(_units(old_body)):
        if content:
            place[index] = len(place)
    out: list[BlameBlock] = []
    for index, (content, _) in enumerate(units):
        if not content:
            continue
        sources, same = links.get(index, ((), False))
        found = [before[place[i]] for i in sources if i in place]
        if same and found:
            out.append(found[0] if found[0].text == content else replace(found[0], text=content))
        elif found:
            out.append(BlameBlock(content, revision, commit, min(b.first for b in found)))
        else:
            out.append(BlameBlock(content, revision, commit, revision))
    return tuple(out)
