"""The word diff of a paired piece: in a long paragraph, sentences are aligned first."""

from __future__ import annotations

import re

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

__all__ = ["diff_rewrite", "rewrite_and_bound"]

# A paragraph of at least this many characters (on either side, about 40 English words)
# with more than one sentence is diffed sentence by sentence, like NewsEdits: a sentence
# added in the middle stays one insertion instead of smearing matches of "the" and "of"
# across its neighbours.
LONG_PARAGRAPH = 250
SENTENCES_FIRST = 0.75
_ASCII_PIECES = re.compile(r"[A-Za-z0-9]+|[^A-Za-z0-9\s]")


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
    if len(old) == len(new) == 1:  # one sentence against one: is its diff a pair's?
        toks_old, toks_new = tokenize(old[0]), tokenize(new[0])
        ops = _diff_text(old[0], new[0], toks_old, toks_new)
        if ops_bound(ops) >= PAIR_SIMILARITY:
            return ops
        if similarity(bag(toks_old), bag(toks_new)) >= PAIR_SIMILARITY:
            return ops
        return [("-", old[0]), ("+", new[0])]
    bags_old, bags_new = [bag(tokenize(x)) for x in old], [bag(tokenize(y)) for y in new]
    groups = pair_up(bags_old, bags_new)
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


def _word_affixes(a: str, b: str) -> tuple[int, int]:
    """Return the lengths of the common prefix and suffix of two texts, cut back to where a
    word starts after a space on both sides, so that they are whole tokens of both."""
    prefix, suffix = _common_affixes(a, b)
    if prefix and not a[prefix - 1].isspace():  # jump back to the last space, then check
        prefix = max(a.rfind(" ", 0, prefix), a.rfind("\n", 0, prefix)) + 1
    while prefix and not (
        a[prefix - 1].isspace()
        and (prefix == len(a) or not a[prefix].isspace())
        and (prefix == len(b) or not b[prefix].isspace())
    ):
        prefix -= 1
    if suffix and not (a[len(a) - suffix - 1].isspace()):
        at = min(
            (k for k in (a.find(" ", len(a) - suffix), a.find("\n", len(a) - suffix)) if k >= 0),
            default=len(a),
        )
        suffix = len(a) - at - 1 if at < len(a) else 0
    while suffix:
        at_a, at_b = len(a) - suffix, len(b) - suffix
        if (
            not a[at_a].isspace()
            and not b[at_b].isspace()
            and (at_a == prefix or a[at_a - 1].isspace())
            and (at_b == prefix or b[at_b - 1].isspace())
        ):
            break
        suffix -= 1
    return prefix, suffix


def _solid(text: str) -> int:
    return len("".join(text.split()))


def _most_tokens(text: str) -> int:
    """Return at least the number of non-space tokens of text: in ASCII text, a word token
    holds one run of letters and digits or more, any other token one character; elsewhere
    (CJK characters are tokens one by one) each non-space character is counted."""
    if text.isascii():
        return len(_ASCII_PIECES.findall(text))
    return _solid(text)


def ops_bound(ops: list[Op]) -> float:
    """Return a lower bound of the pairing score of the two sides of a word diff.

    Equal text is whole tokens, at least one a word between spaces; `_most_tokens` bounds
    the tokens of an edit. With E, D and I those counts, the score (which the shared tokens,
    at least the equal ones, make) is at least 2 E / (2 E + D + I).
    """
    equal = edited = 0
    for op, text in ops:
        if op == "=":
            equal += len(text.split())
        else:
            edited += _most_tokens(text)
    return 2 * equal / (2 * equal + edited) if equal else 0.0


def diff_rewrite(a: str, b: str) -> list[Op]:
    """Return the word diff of two paired texts (a paragraph and its rewrite, or a split or
    merge of paragraphs).

    Only the middle between the common prefix and suffix (whole words) is tokenized. Where
    its word diff spans sentences of a long paragraph and edits much (its `ops_bound` is
    under `SENTENCES_FIRST`, as when a sentence is added or rewritten), the sentences of the
    middle are aligned first (the first and last may be parts of sentences).
    """
    return rewrite_and_bound(a, b)[0]


def rewrite_and_bound(a: str, b: str) -> tuple[list[Op], float | None]:
    """Return `diff_rewrite(a, b)` and its `ops_bound` when that was needed to make it."""
    if a == b or not a or not b:
        return _diff_text(a, b), None
    prefix, suffix = _word_affixes(a, b)
    middle_a, middle_b = a[prefix : len(a) - suffix], b[prefix : len(b) - suffix]
    ops = _merge([("=", a[:prefix]), *_diff_text(middle_a, middle_b), ("=", a[len(a) - suffix :])])
    if not (middle_a and middle_b and max(len(a), len(b)) >= LONG_PARAGRAPH):
        return ops, None
    bound = ops_bound(ops)
    if bound < SENTENCES_FIRST and (
        _SENTENCE_END.search(middle_a) or _SENTENCE_END.search(middle_b)
    ):
        sa, sb = _sentences(middle_a), _sentences(middle_b)
        aligned = _diff_sentences(sa, sb) if len(sa) > 1 or len(sb) > 1 else None
        if aligned is not None:
            return _merge([("=", a[:prefix]), *aligned, ("=", a[len(a) - suffix :])]), None
    return ops, bound
