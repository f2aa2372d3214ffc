"""The word diff of a paired piece: in a long paragraph, sentences are aligned first."""

from __future__ import annotations

from collections.abc import Callable

from .core import (
    _KEY,
    _SENTENCE_END,
    Op,
    _common_affixes,
    _diff_small,
    _diff_text,
    _merge,
    _sentences,
    _seq_diff,
)
from .pairing import PAIR_SIMILARITY, _merged, bag, pair_up, similarity
from .tokens import tokenize

__all__ = ["diff_rewrite"]

# A paragraph of at least this many characters (on either side, about 40 English words)
# with more than one sentence is diffed sentence by sentence, like NewsEdits: a sentence
# added in the middle stays one insertion instead of smearing matches of "the" and "of"
# across its neighbours.
LONG_PARAGRAPH = 250


def _diff_sentences(a: list[str], b: list[str]) -> list[Op] | None:
    """Align sentences: equal ones (but for spacing and typography) first, then pair the
    reworded ones between them; paired sentences get a word diff, the rest stay whole."""
    runs = _seq_diff([x.translate(_KEY) for x in a], [y.translate(_KEY) for y in b])
    if runs is None:
        return None
    out: list[Op] = []
    old: list[str] = []
    new: list[str] = []
    ia = ib = 0
    for op, n in [*runs, (0, 0)]:
        if op == 0:
            if old or new:
                out.extend(_pair_sentences(old, new))
                old, new = [], []
            for x, y in zip(a[ia : ia + n], b[ib : ib + n], strict=True):
                out.extend([("=", x)] if x == y else _diff_small(x, y))
            ia, ib = ia + n, ib + n
        elif op == -1:
            old.extend(a[ia : ia + n])
            ia += n
        else:
            new.extend(b[ib : ib + n])
            ib += n
    return _merge(out)


def _pair_sentences(old: list[str], new: list[str]) -> list[Op]:
    if not old or not new:
        return [("-", "".join(old))] if old else [("+", "".join(new))]
    out: list[Op] = []
    toks_old, toks_new = [tokenize(x) for x in old], [tokenize(y) for y in new]
    bags_old, bags_new = [bag(t) for t in toks_old], [bag(t) for t in toks_new]
    groups = pair_up(bags_old, bags_new)
    if len(groups) == 1:  # one sentence against one
        return _diff_text(old[0], new[0], toks_old[0], toks_new[0])
    if not any(group.old and group.new for group in groups):
        # No sentence pairs with another, but the run as a whole may be a rewrite.
        whole = similarity(_merged(bags_old), _merged(bags_new))
        if whole >= PAIR_SIMILARITY:
            return _diff_small("".join(old), "".join(new))
    for group in groups:
        x = "".join(old[i] for i in group.old)
        y = "".join(new[j] for j in group.new)
        out.extend(_diff_small(x, y) if x and y else [("-", x)] if x else [("+", y)])
    return out


def _within_a_sentence(a: str, b: str) -> bool:
    """Tell whether everything that differs lies inside one sentence on each side (then the
    word diff is the same as the sentence-first one, and cheaper)."""
    prefix, suffix = _common_affixes(a, b)
    middle_a, middle_b = a[prefix : len(a) - suffix], b[prefix : len(b) - suffix]
    return _SENTENCE_END.search(middle_a) is None and _SENTENCE_END.search(middle_b) is None


def diff_rewrite(a: str, b: str, toks: Callable[[str], list[str]] | None = None) -> list[Op]:
    """Return the word diff of two paired texts (a paragraph and its rewrite, or a split or
    merge of paragraphs); long ones are aligned sentence by sentence first."""
    if a == b or not a or not b:
        return _diff_text(a, b)
    if max(len(a), len(b)) < LONG_PARAGRAPH or _within_a_sentence(a, b):
        return _diff_text(a, b) if toks is None else _diff_text(a, b, toks(a), toks(b))
    sa, sb = _sentences(a), _sentences(b)
    if (len(sa) > 1 or len(sb) > 1) and max(len(a), len(b)) >= LONG_PARAGRAPH:
        ops = _diff_sentences(sa, sb)
        if ops is not None:
            return ops
    if toks is None:
        return _diff_text(a, b)
    return _diff_text(a, b, toks(a), toks(b))
