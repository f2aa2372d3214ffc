"""The changed blocks of a body diff alone, for a revision's figures: equal paragraphs skipped."""

from __future__ import annotations

from .body import _Body, _Region
from .core import _merge
from .paragraphs import Block, _normalised, _split_paragraphs

__all__ = ["changed_blocks"]


class _Changes(_Body):
    """A body diff that makes only the blocks that are not equal (and what they depend on)."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__(old, new)
        # Normalised bodies end in the units ("", "\n") and (last paragraph, "") alone.
        self.normalised = _normalised(old) and _normalised(new)

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

    def one_pair(self) -> list[Block] | None:
        """Return the changed block of the commonest revision, one paragraph edited in place,
        as `blocks` would make it; None for any other."""
        runs = self.runs()
        k = 1 if runs[0][0] == 0 else 0
        if runs[k : k + 2] != [(-1, 1), (1, 1)] or len(runs) > k + 3 or not self.normalised:
            return None
        i = runs[0][1] if k else 0
        a, b = self.a, self.b
        if i and a[i - 1][1] != b[i - 1][1]:  # newlines that differ before it: a region
            return None
        region = _Region([i], [i])
        self.pair_one(region, False)  # the only region: the word diff alone decides
        if region.ops is None:
            return None
        ops = _merge(region.ops)
        for content, sep in a[i + 1 :]:  # blank units after it join its block
            if (content + sep).strip():
                break
            ops = _merge([*ops, ("=", content + sep)])
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
    body = _Changes(old, new)
    quick = body.one_pair()
    if quick is not None:
        return quick
    return [block for block in body.blocks() if block.type != "equal"]
