"""Pairing of rewritten pieces: an order-preserving alignment over a word-overlap score."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = ["PAIR_SIMILARITY", "Group", "bag", "pair_up", "similarity"]

# Two pieces (paragraphs, sentences) are paired when the Dice coefficient of their bags of
# non-space tokens (lowercased) is at least this: 2 |A ∩ B| / (|A| + |B|) >= 0.5, that is at
# least half of their tokens, counted together, are shared. Unrelated news paragraphs share
# their stopwords and punctuation and score about 0.2; a reworded one scores 0.6 or more.
PAIR_SIMILARITY = 0.5
_FEW_PAIRS = 400  # up to this many candidate pairs, score every one


@dataclass(frozen=True)
class Bag:
    """A piece's non-space tokens, lowercased, counted."""

    counts: Counter[str]
    size: int


@dataclass(frozen=True)
class Group:
    """One step of an alignment: old pieces and new pieces shown together.

    Both sides set: a pair (a rewrite, or a split or merge: one piece against two or more)
    with its score; one side empty: pieces found on one side only.
    """

    old: tuple[int, ...]
    new: tuple[int, ...]
    score: float = 0.0


def bag(tokens: Sequence[str]) -> Bag:
    """Return the bag of a piece's tokens (spaces left out, case folded)."""
    counts = Counter(tok.lower() for tok in tokens if not tok.isspace())
    return Bag(counts, sum(counts.values()))


def similarity(a: Bag, b: Bag) -> float:
    """Return the Dice coefficient of two bags (0 when both are empty)."""
    total = a.size + b.size
    if not total:
        return 0.0
    small, large = (a.counts, b.counts) if len(a.counts) <= len(b.counts) else (b.counts, a.counts)
    shared = sum(min(n, large[tok]) for tok, n in small.items() if tok in large)
    return 2 * shared / total


def _merged(bags: Sequence[Bag]) -> Bag:
    counts: Counter[str] = Counter()
    for one in bags:
        counts.update(one.counts)
    return Bag(counts, sum(one.size for one in bags))


def _candidates(old: Sequence[Bag], new: Sequence[Bag], t: float) -> Iterator[tuple[int, int]]:
    """Yield the (old, new) pairs that may score at least t: all of them when few, else those
    sharing one of each bag's rarest tokens (prefix filtering, exact for the Dice bound)."""
    if len(old) * len(new) <= _FEW_PAIRS:
        for i in range(len(old)):
            for j in range(len(new)):
                yield i, j
        return
    freq: Counter[tuple[str, int]] = Counter()
    numbered: list[list[list[tuple[str, int]]]] = [[], []]
    for side, bags in enumerate((old, new)):
        for one in bags:
            elems = [(tok, k) for tok, n in one.counts.items() for k in range(n)]
            freq.update(elems)
            numbered[side].append(elems)

    def prefix(elems: list[tuple[str, int]]) -> list[tuple[str, int]]:
        size = len(elems)
        keep = size - math.ceil(t * size / (2 - t)) + 1
        return sorted(elems, key=lambda e: (freq[e], e))[:keep]

    index: dict[tuple[str, int], list[int]] = defaultdict(list)
    for j, elems in enumerate(numbered[1]):
        for elem in prefix(elems):
            index[elem].append(j)
    for i, elems in enumerate(numbered[0]):
        for j in sorted({j for elem in prefix(elems) for j in index.get(elem, ())}):
            yield i, j


def _best_chain(scored: list[tuple[int, int, float]], width: int) -> list[tuple[int, int, float]]:
    """Return the chain of pairs, increasing on both sides, with the largest total score.

    A Fenwick tree over the new side keeps, for every prefix of it, the best chain ending
    there among the old rows already done; `scored` is sorted by old index.
    """
    tree: list[tuple[float, int]] = [(0.0, -1)] * (width + 1)
    chains: list[tuple[float, int]] = []  # per scored pair: (total, previous pair or -1)

    def best_before(j: int) -> tuple[float, int]:
        found = (0.0, -1)
        while j > 0:
            found = max(found, tree[j])
            j -= j & -j
        return found

    def put(j: int, value: tuple[float, int]) -> None:
        j += 1
        while j <= width:
            tree[j] = max(tree[j], value)
            j += j & -j

    start = 0
    while start < len(scored):
        end = start
        while end < len(scored) and scored[end][0] == scored[start][0]:
            end += 1
        row = []
        for k in range(start, end):
            total, previous = best_before(scored[k][1])
            chains.append((total + scored[k][2], previous))
            row.append(k)
        for k in row:
            put(scored[k][1], (chains[k][0], k))
        start = end
    if not chains:
        return []
    k = max(range(len(chains)), key=lambda m: (chains[m][0], -m))
    out: list[tuple[int, int, float]] = []
    while k >= 0:
        out.append(scored[k])
        k = chains[k][1]
    return out[::-1]


def _extend(
    pairs: list[list[list[int]]], old: Sequence[Bag], new: Sequence[Bag], scores: list[float]
) -> None:
    """Grow pairs into splits and merges: a pair takes in a lone neighbour of one side when
    the pieces together score better against the other side."""
    paired_old = {i for group in pairs for i in group[0]}
    paired_new = {j for group in pairs for j in group[1]}
    for k, (olds, news) in enumerate(pairs):
        while True:
            options: list[tuple[float, int, int]] = []
            if len(olds) == 1:
                for j in (news[0] - 1, news[-1] + 1):
                    if 0 <= j < len(new) and j not in paired_new:
                        grown = sorted([*news, j])
                        here = similarity(old[olds[0]], _merged([new[m] for m in grown]))
                        options.append((here, 1, j))
            if len(news) == 1:
                for i in (olds[0] - 1, olds[-1] + 1):
                    if 0 <= i < len(old) and i not in paired_old:
                        grown = sorted([*olds, i])
                        here = similarity(_merged([old[m] for m in grown]), new[news[0]])
                        options.append((here, 0, i))
            if not options:
                break
            best, side, index = max(options)
            if best <= scores[k]:
                break
            scores[k] = best
            if side:
                news.append(index)
                news.sort()
                paired_new.add(index)
            else:
                olds.append(index)
                olds.sort()
                paired_old.add(index)


def pair_up(
    old: Sequence[Bag], new: Sequence[Bag], threshold: float = PAIR_SIMILARITY
) -> list[Group]:
    """Align two runs of pieces: pairs scoring at least `threshold`, in order on both sides,
    with the largest total score, grown into splits and merges; the rest stay alone.

    Returns groups in order: between two pairs, the old pieces alone come before the new ones.
    """
    scored = []
    for i, j in _candidates(old, new, threshold):
        score = similarity(old[i], new[j])
        if score >= threshold:
            scored.append((i, j, score))
    chain = _best_chain(scored, len(new))
    pairs = [[[i], [j]] for i, j, _ in chain]
    scores = [score for _, _, score in chain]
    _extend(pairs, old, new, scores)
    groups: list[Group] = []
    ia = ib = 0
    for (olds, news), score in [*zip(pairs, scores, strict=True), ([[len(old)], [len(new)]], 0.0)]:
        if olds[0] > ia:
            groups.append(Group(tuple(range(ia, olds[0])), ()))
        if news[0] > ib:
            groups.append(Group((), tuple(range(ib, news[0]))))
        if olds[0] < len(old):
            groups.append(Group(tuple(olds), tuple(news), score))
        ia, ib = olds[-1] + 1, news[-1] + 1
    return groups
