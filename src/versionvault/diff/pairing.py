"""Pairing of rewritten pieces: an order-preserving alignment over a word-overlap score."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

__all__ = ["LEAD_TOKENS", "PAIR_SIMILARITY", "Group", "bag", "pair_up", "similarity"]

# Two pieces (paragraphs, sentences) are paired when the Dice coefficient of their bags of
# non-space tokens (lowercased) is at least this: 2 |A ∩ B| / (|A| + |B|) >= 0.5, that is at
# least half of their tokens, counted together, are shared. Unrelated news paragraphs share
# their stopwords and punctuation and score about 0.2; a reworded one scores 0.6 or more.
PAIR_SIMILARITY = 0.5
_FEW_PAIRS = 400  # up to this many candidate pairs, score every one
_RARE = 3  # beyond that, pairs sharing a token of at most this many new pieces are scored
_BAND = 2  # and pairs at most this far from the diagonal


# A paragraph's lead is its first sentence, when it has at least this many non-space tokens
# and more text follows: two paragraphs whose leads are alike are the same paragraph
# rewritten (an announcement that became a report: "A public meeting will be held at the
# Chapel hall on Tuesday" / "More than 150 people attended the public meeting at the Chapel
# hall on Tuesday"), if they also share half as much as a pair would as a whole.
LEAD_TOKENS = 10
_SENTENCE_ENDS = frozenset(".!?\u2026\u3002\uff01\uff1f")


@dataclass(frozen=True)
class Bag:
    """A piece's non-space tokens, lowercased, counted; and a paragraph's lead, if any."""

    counts: Counter[str]
    size: int
    lead: Bag | None = None


@dataclass(frozen=True)
class Group:
    """One step of an alignment: old pieces and new pieces shown together.

    Both sides set: a pair (a rewrite, or a split or merge: one piece against two or more)
    with its score; one side empty: pieces found on one side only.
    """

    old: tuple[int, ...]
    new: tuple[int, ...]
    score: float = 0.0


def bag(tokens: Sequence[str], paragraph: bool = False) -> Bag:
    """Return the bag of a piece's tokens (spaces left out, case folded); a `paragraph`'s
    carries the bag of its lead (see `LEAD_TOKENS`)."""
    words = list(map(str.lower, filter(str.strip, tokens)))
    counts = Counter(words)
    lead = None
    if paragraph:
        end = next((k for k, word in enumerate(words) if word in _SENTENCE_ENDS), len(words))
        if end + 1 >= LEAD_TOKENS and any(map(str.isalnum, words[end + 1 :])):
            lead = bag(words[: end + 1])
    return Bag(counts, sum(counts.values()), lead)


def _dice(a: Bag, b: Bag) -> float:
    total = a.size + b.size
    if not total:
        return 0.0
    keys = a.counts.keys() & b.counts.keys()
    shared = sum(map(min, map(a.counts.__getitem__, keys), map(b.counts.__getitem__, keys)))
    return 2 * shared / total


def similarity(a: Bag, b: Bag) -> float:
    """Return the pairing score of two bags: the Dice coefficient of their tokens (0 when
    both are empty) or, for paragraphs that both have a lead, that of their leads when
    larger, at most twice their own (so that paragraphs sharing little besides their leads
    stay apart)."""
    score = _dice(a, b)
    if a.lead is not None and b.lead is not None and score < PAIR_SIMILARITY:
        score = max(score, min(_dice(a.lead, b.lead), 2 * score))
    return score


def _merged(bags: Sequence[Bag]) -> Bag:
    """Return the bag of pieces together; its lead is the first piece's."""
    counts: Counter[str] = Counter()
    for one in bags:
        counts.update(one.counts)
    return Bag(counts, sum(one.size for one in bags), bags[0].lead if bags else None)


def _candidates(old: Sequence[Bag], new: Sequence[Bag], t: float) -> Iterator[tuple[int, int]]:
    """Yield the (old, new) pairs worth scoring: all of them when few; else, in a long run,
    those sharing a rare token (found in at most `_RARE` new pieces) or near the diagonal.

    Pairs whose sizes alone rule out a score of t (Dice is at most 2 min / sum) are left out.
    """
    if len(old) * len(new) <= _FEW_PAIRS:
        found: Iterable[tuple[int, int]] = (
            (i, j) for i in range(len(old)) for j in range(len(new))
        )
    else:
        postings: dict[str, list[int]] = defaultdict(list)
        for j, piece in enumerate(new):
            for token in piece.counts:
                postings[token].append(j)
        rare = {token: js for token, js in postings.items() if len(js) <= _RARE}
        pairs: list[tuple[int, int]] = []
        for i, piece in enumerate(old):
            near = i * len(new) // len(old)
            js = set(range(max(0, near - _BAND), min(len(new), near + _BAND + 1)))
            for token in piece.counts.keys() & rare.keys():
                js.update(rare[token])
            pairs.extend((i, j) for j in sorted(js))
        found = pairs
    for i, j in found:
        a, b = old[i].size, new[j].size
        if 2 * min(a, b) >= t * (a + b) and a + b:
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
    if len(old) == len(new) == 1:
        score = similarity(old[0], new[0])
        return (
            [Group((0,), (0,), score)] if score >= threshold else [Group((0,), ()), Group((), (0,))]
        )
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
