"""The changed blocks of a body diff alone, for a revision's figures: equal paragraphs skipped."""

from __future__ import annotations

from .body import _Body, _paragraph_runs, pair_diff
from .core import _merge
from .pairing import PAIR_SIMILARITY, bag, similarity
from .paragraphs import Block, _normalised, _split_paragraphs
from .tokens import tokenize

__all__ = ["changed_blocks"]


class _Changes(_Body):
    """A body diff that makes only the blocks that are not equal (and what they depend on)."""

    def kept(self, ia: int, ib: int, n: int, index: int, runs: int) -> tuple[int, int]:
        """Return which paragraphs of an equal run (from, to) the changed blocks depend on.

        Equal paragraphs (newlines alike) before the first change only ever become equal
        blocks; after the last change, two paragraphs with text end the changes' blocks (a
        run of ops takes in equal text up to a paragraph break, spacing joins the block
        before), and the paragraphs after them become equal blocks too.
        """
        a, b = self.a, self.b
        first = 0
        if index == 0:
            while first < n and a[ia + first][1] == b[ib + first][1]:
                first += 1
        if index == 0 or index < runs - 1:
            return first, n
        last = texts = 0
        while last < n and texts < 2:
            if a[ia + last][1] != b[ib + last][1]:
                return first, n
            texts += bool(a[ia + last][0].strip())
            last += 1
        return first, last


def _one_pair(old: str, new: str) -> list[Block] | None:
    """Return the changed block of the commonest revision of normalised bodies, one paragraph
    edited in place, as `_Body.blocks` makes it; None for any other revision."""
    a, b = [*old[:-1].split("\n\n"), ""], [*new[:-1].split("\n\n"), ""]
    runs = _paragraph_runs(a, b)
    k = 1 if runs[0][0] == 0 else 0
    if runs[k : k + 2] != [(-1, 1), (1, 1)] or len(runs) > k + 3:
        return None
    i = runs[0][1] if k else 0
    # In normalised bodies the newlines after a paragraph depend on its place from the end
    # alone: "\n\n", then "" after the last one, "\n" after the final unit.
    sep = "\n\n" if i < len(a) - 2 else ""
    score, ops = pair_diff(a[i] + sep, b[i] + sep, False)  # the only region: no moves
    if (
        score is None
        and similarity(bag(tokenize(a[i]), True), bag(tokenize(b[i]), True)) < PAIR_SIMILARITY
    ):
        return None
    ops = _merge(ops)
    for unit in range(i + 1, len(a)):  # blank units after it join its block
        text = a[unit] + ("\n\n" if unit < len(a) - 2 else "" if unit == len(a) - 2 else "\n")
        if text.strip():
            break
        ops = _merge([*ops, ("=", text)])
    return [Block("change", tuple(ops))]


def _paragraphs(text: str) -> list[str]:
    """Return the pieces `_split_blocks` cuts a lone insertion of text into."""
    return [piece for [(_, piece)] in _split_paragraphs("+", text)]


def changed_blocks(old: str, new: str) -> list[Block]:
    """Return the blocks of `diff_body(old, new)` that are not equal, exactly, in order."""
    if old == new:
        return []
    if not old:  # a first revision: a block per paragraph, as `_split_blocks` cuts it
        return [Block("change", (("+", text),)) for text in _paragraphs(new)]
    if _normalised(old) and _normalised(new):
        quick = _one_pair(old, new)
        if quick is not None:
            return quick
    return [block for block in _Changes(old, new).blocks() if block.type != "equal"]
