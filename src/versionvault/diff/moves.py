"""Moved paragraphs: deleted in one region, inserted (the same or 90 % alike) in another."""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeAlias

from .core import _CAP, Op, _diff_text, _seq_diff
from .paragraphs import _Unit
from .tokens import count_words

_Tokens: TypeAlias = Callable[[str], list[str]]  # a paragraph's tokens

_MOVE_SIMILARITY = 0.9
_MOVE_MIN_WORDS = 5
_FEW_PAIRS = 400  # up to this many candidate pairs, compare every one


@dataclass
class _Move:
    old: int
    new: int
    ops: list[Op]
    lead_old: str = ""  # newlines found on the old side only, just before the paragraph
    lead_new: str = ""  # the same on the new side


def _find_moves(
    old: list[_Unit], new: list[_Unit], regions: list[tuple[list[int], list[int]]], toks: _Tokens
) -> dict[tuple[str, int], _Move]:
    """Pair paragraphs deleted in one region with the same or near ones inserted in another.

    `regions` gives the old and new paragraph indices of each region not settled; `toks`
    tokenizes a paragraph. The moves are keyed by ``("-", old index)`` and ``("+", new index)``.
    """
    dels = [(i, r) for r, (indices, _) in enumerate(regions) for i in indices if old[i][0]]
    ins = [(j, r) for r, (_, indices) in enumerate(regions) for j in indices if new[j][0]]
    if not dels or not ins or len({r for _, r in dels} | {r for _, r in ins}) < 2:
        return {}
    by_text: dict[str, list[int]] = defaultdict(list)
    for j, _ in ins:
        by_text[new[j][0]].append(j)
    found: list[_Move] = []
    used_new: set[int] = set()
    left: list[tuple[int, int]] = []
    for i, r in dels:
        content = old[i][0]
        spots = by_text.get(content)
        if spots and count_words(content) >= _MOVE_MIN_WORDS:
            j = spots.pop(0)
            used_new.add(j)
            found.append(_Move(i, j, [("=", content)]))
        else:
            left.append((i, r))
    rest = [(j, r) for j, r in ins if j not in used_new]
    if left and rest and len({r for _, r in left} | {r for _, r in rest}) > 1:
        found.extend(_near_moves(old, new, left, rest, toks))
    moves: dict[tuple[str, int], _Move] = {}
    for move in found:
        moves["-", move.old] = move
        moves["+", move.new] = move
    return moves


def _near_moves(
    old: list[_Unit],
    new: list[_Unit],
    dels: list[tuple[int, int]],
    ins: list[tuple[int, int]],
    toks: _Tokens,
) -> list[_Move]:
    """Pair paragraphs at least 90 % alike (on their non-space tokens) across regions."""
    t = _MOVE_SIMILARITY
    sides: list[list[tuple[int, int, list[str]]]] = [[], []]
    for side, (units, entries) in enumerate(((old, dels), (new, ins))):
        for index, region in entries:
            content = units[index][0]
            if count_words(content) >= _MOVE_MIN_WORDS:
                words = [tok for tok in toks(content) if not tok.isspace()]
                sides[side].append((index, region, words))
    bags = [[Counter(words) for _, _, words in side] for side in sides]
    scored: list[tuple[float, int, int]] = []
    for k, m in _move_candidates(sides[0], sides[1]):
        i, region, words = sides[0][k]
        j, other, words_b = sides[1][m]
        total = len(words) + len(words_b)
        if other == region or 2 * min(len(words), len(words_b)) < t * total:
            continue
        if 2 * sum((bags[0][k] & bags[1][m]).values()) < t * total:
            continue
        runs = _seq_diff(words, words_b) if len(words) * len(words_b) <= _CAP else None
        same = sum(n for op, n in runs or () if op == 0)
        if 2 * same >= t * total:
            scored.append((2 * same / total, i, j))
    moves: list[_Move] = []
    taken_old: set[int] = set()
    taken_new: set[int] = set()
    for _, i, j in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if i not in taken_old and j not in taken_new:
            taken_old.add(i)
            taken_new.add(j)
            a, b = old[i][0], new[j][0]
            moves.append(_Move(i, j, _diff_text(a, b, toks(a), toks(b))))
    return moves


def _move_candidates(
    dels: list[tuple[int, int, list[str]]], ins: list[tuple[int, int, list[str]]]
) -> Iterator[tuple[int, int]]:
    """Yield the (deleted, inserted) pairs that may be 90 % alike: all of them when few,
    else those sharing one of the rarest tokens (prefix filtering, exact for the dice bound)."""
    if len(dels) * len(ins) <= _FEW_PAIRS:
        yield from itertools.product(range(len(dels)), range(len(ins)))
        return
    t = _MOVE_SIMILARITY
    elems: list[list[list[tuple[str, int]]]] = [[], []]
    freq: Counter[tuple[str, int]] = Counter()
    for side, entries in enumerate((dels, ins)):
        for _, _, words in entries:
            seen: Counter[str] = Counter()
            numbered = []
            for tok in words:
                seen[tok] += 1
                numbered.append((tok, seen[tok]))
            freq.update(numbered)
            elems[side].append(numbered)

    def prefix(numbered: list[tuple[str, int]]) -> list[tuple[str, int]]:
        size = len(numbered)
        keep = size - math.ceil(t * size / (2 - t)) + 1
        return sorted(numbered, key=lambda e: (freq[e], e))[:keep]

    index: dict[tuple[str, int], list[int]] = defaultdict(list)
    for m, numbered in enumerate(elems[1]):
        for elem in prefix(numbered):
            index[elem].append(m)
    for k, numbered in enumerate(elems[0]):
        for m in sorted({m for elem in prefix(numbered) for m in index.get(elem, ())}):
            yield k, m
