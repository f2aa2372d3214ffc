"""The word diff of two texts: a minimal token diff over diff-match-patch, with fallbacks."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from typing import TypeAlias

import fast_diff_match_patch  # type: ignore[import-not-found, import-untyped, unused-ignore]
from diff_match_patch import diff_match_patch  # type: ignore[import-untyped, unused-ignore]

from .tokens import _BLANK, _LINE, _PUNCT, _SPACE, _Classes, _encode, tokenize

__all__ = ["Op", "diff_words"]

Op: TypeAlias = tuple[str, str]
_Diff: TypeAlias = list[tuple[int, str]]

_SENTENCE_END = re.compile(
    "((?=[\u3002\uff01\uff1f.!?\u2026\n])"
    "(?:[\u3002\uff01\uff1f]+\\s*|[.!?\u2026]+[\"'\u201d\u2019)\\]]*\\s+|\n+))"
)

_CAP = 250_000  # tokens x tokens of one diff's changed middle; beyond it, go coarser
_SMALL = 2_500  # below this cost a diff is always computed token by token
_OPS = {0: "=", -1: "-", 1: "+"}

_TYPOGRAPHY = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`\u00b4", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        "\u2026": "...",
    }
)
_SPACES = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    map(chr, range(0x2000, 0x200B))
)
_KEY = str.maketrans({**_TYPOGRAPHY, **dict.fromkeys(map(ord, _SPACES))})


def _dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    return dmp


_DMP = _dmp()


_CODES = {"=": 0, "-": -1, "+": 1}


def _myers(a: str, b: str) -> _Diff:
    """Return a minimal diff of two strings: diff-match-patch's C++ core, no deadline (so no
    half-match shortcut), no cleanup; the same result as the Python `diff_main`, faster."""
    found = fast_diff_match_patch.diff(
        a, b, timelimit=0, checklines=False, cleanup="No", counts_only=False
    )
    return [(_CODES[op], text) for op, text in found]


def _common_affixes(a: str, b: str) -> tuple[int, int]:
    """Return the lengths of the common prefix of a and b and of the common suffix of what
    follows it (a binary search that compares only the part not yet known alike)."""
    most = min(len(a), len(b))
    prefix = 0
    if most and a[0] == b[0]:
        low, high = 1, most
        while low < high:
            mid = (low + high + 1) // 2
            if a.startswith(b[low:mid], low):
                low = mid
            else:
                high = mid - 1
        prefix = low
    most -= prefix
    if not most or a[-1] != b[-1]:
        return prefix, 0
    end_a, end_b = len(a), len(b)
    low, high = 1, most
    while low < high:
        mid = (low + high + 1) // 2
        if a.startswith(b[end_b - mid : end_b - low], end_a - mid):
            low = mid
        else:
            high = mid - 1
    return prefix, low


def _core(a: str, b: str) -> _Diff:
    """Return a minimal diff of two code strings (Myers, no deadline)."""
    if a == b:
        return [(0, a)] if a else []
    if not a or not b:
        return [(-1, a)] if a else [(1, b)]
    return _myers(a, b)


def _seq_diff(a: list[str], b: list[str]) -> list[tuple[int, int]] | None:
    """Return a minimal diff of two sequences as (op, count) runs, None if too many kinds."""
    encoded = _encode(a, b)
    if encoded is None:
        return None
    return [(op, len(text)) for op, text in _core(encoded[0], encoded[1])]


def _boundary_score(one: int | None, two: int | None) -> int:
    if one is None or two is None:
        return 6
    if _BLANK in (one, two):
        return 5
    if _LINE in (one, two):
        return 4
    if one == _PUNCT and two >= _SPACE:
        return 3
    if one >= _SPACE or two >= _SPACE:
        return 2
    return 1 if _PUNCT in (one, two) else 0


def _slide(diffs: _Diff, classes: dict[str, int]) -> None:
    """Shift single edits sideways onto the best word boundary (diff-match-patch's rule)."""

    def score(left: str, edit: str, right: str) -> int:
        first, last = classes[edit[0]], classes[edit[-1]]
        one = classes[left[-1]] if left else None
        two = classes[right[0]] if right else None
        return _boundary_score(one, first) + _boundary_score(last, two)

    changed = False
    pointer = 1
    while pointer < len(diffs) - 1:
        if diffs[pointer - 1][0] == 0 and diffs[pointer + 1][0] == 0:
            left, edit, right = diffs[pointer - 1][1], diffs[pointer][1], diffs[pointer + 1][1]
            common: int = _DMP.diff_commonSuffix(left, edit)
            if common:
                left, edit, right = (
                    left[:-common],
                    edit[-common:] + edit[:-common],
                    (edit[-common:] + right),
                )
            best = (left, edit, right)
            best_score = score(left, edit, right)
            while edit and right and edit[0] == right[0]:
                left, edit, right = left + edit[0], edit[1:] + right[0], right[1:]
                current = score(left, edit, right)
                if current >= best_score:
                    best_score, best = current, (left, edit, right)
            if diffs[pointer - 1][1] != best[0]:
                op = diffs[pointer][0]
                diffs[pointer - 1 : pointer + 2] = [
                    piece for piece in ((0, best[0]), (op, best[1]), (0, best[2])) if piece[1]
                ]
                if not best[0]:
                    pointer -= 1
                if not best[2]:
                    pointer -= 1
                changed = True
        pointer += 1
    if changed:
        _DMP.diff_cleanupMerge(diffs)


def _fold(diffs: _Diff, decode: dict[str, str]) -> None:
    """Fold small equalities between rewrites into them, where deletions and insertions meet.

    An equality of n non-space tokens is folded in when the edits on each side of it have
    at least 3n non-space tokens on their larger side (spaces alone always are): so
    ``[-Hold-] [-Talks-]{+Meet+}`` reads ``[-Hold Talks-]{+Meet+}`` and a lone "the" inside
    a rewritten clause does not cut it in two, but `` in Beijing`` between "Hold Talks" →
    "Meet" and "Before Olympics Opening" stays equal (diff-match-patch's semantic cleanup
    folds it, measuring in characters).
    """

    if len(diffs) < 3:
        return

    def weight(text: str) -> int:
        return sum(1 for code in text if not decode[code][0].isspace())

    for _ in range(8):
        changed = False
        k = 1
        while k < len(diffs) - 1:
            op, text = diffs[k]
            if op or not diffs[k - 1][0] or not diffs[k + 1][0]:
                k += 1
                continue
            sides = []
            ops: set[int] = set()
            for step in (-1, 1):
                sizes = {-1: 0, 1: 0}
                m = k + step
                while 0 <= m < len(diffs) and diffs[m][0]:
                    sizes[diffs[m][0]] += weight(diffs[m][1])
                    ops.add(diffs[m][0])
                    m += step
                sides.append(max(sizes.values()))
            # Two space tokens are never neighbours, so text holds (len - 1) / 2 words or more.
            fits = ops == {-1, 1} and 3 * ((len(text) - 1) // 2) <= min(sides)
            if fits and 3 * weight(text) <= min(sides):
                diffs[k : k + 1] = [(-1, text), (1, text)]
                changed = True
            k += 1
        if not changed:
            return
        _DMP.diff_cleanupMerge(diffs)


def _dissimilar(a: str, b: str, decode: dict[str, str]) -> bool:
    """Tell whether two code strings share too little to be worth a token diff.

    That is when under half their distinct non-space tokens and under a tenth of their
    distinct pairs of neighbouring non-space tokens are shared.
    """
    spaces = dict.fromkeys(ord(code) for code, token in decode.items() if token.isspace())
    xa, xb = a.translate(spaces), b.translate(spaces)
    sa, sb = set(xa), set(xb)
    if not sa or not sb or 2 * len(sa & sb) >= 0.5 * (len(sa) + len(sb)):
        return False
    pairs_a, pairs_b = set(itertools.pairwise(xa)), set(itertools.pairwise(xb))
    return 2 * len(pairs_a & pairs_b) < 0.1 * (len(pairs_a) + len(pairs_b) or 1)


def _diff_tokens(
    ta: list[str], tb: list[str], *, cleanup: bool = True, shortcut: bool = False
) -> list[Op] | None:
    """Return the word diff of two token lists, or None when it would cost too much."""
    encoded = _encode(ta, tb)
    if encoded is None:
        return None
    ea, eb, decode = encoded
    prefix, suffix = _common_affixes(ea, eb)
    mid_a, mid_b = ea[prefix : len(ea) - suffix], eb[prefix : len(eb) - suffix]
    cost = len(mid_a) * len(mid_b)
    if cost > _CAP:
        return None
    related = prefix + suffix >= min(len(ea), len(eb)) // 4
    if shortcut and cost > _SMALL and not related and _dissimilar(mid_a, mid_b, decode):
        diffs: _Diff = [(-1, mid_a), (1, mid_b)]
    else:
        diffs = _core(mid_a, mid_b)
    if prefix:
        diffs.insert(0, (0, ea[:prefix]))
    if suffix:
        diffs.append((0, ea[len(ea) - suffix :]))
    if cleanup:
        _fold(diffs, decode)
        _slide(diffs, _Classes(decode))
    return [(_OPS[op], "".join(map(decode.__getitem__, text))) for op, text in diffs if text]


def _sentences(text: str) -> list[str]:
    parts = _SENTENCE_END.split(text)
    pairs = zip(parts[0::2], [*parts[1::2], ""], strict=True)
    return [sentence for sentence in map("".join, pairs) if sentence]


def _merge(ops: Iterable[Op]) -> list[Op]:
    """Join neighbouring ops of the same kind and drop empty ones."""
    out: list[Op] = []
    texts: list[str] = []
    last = ""
    for op, text in ops:
        if not text:
            continue
        if op != last and texts:
            out.append((last, "".join(texts)))
            texts = []
        texts.append(text)
        last = op
    if texts:
        out.append((last, "".join(texts)))
    return out


_PieceDiff: TypeAlias = Callable[[str, str], list[Op]]


def _align(a: list[str], b: list[str], pair: _PieceDiff, rest: _PieceDiff) -> list[Op] | None:
    """Align pieces on their text without spacing or typography; diff what differs.

    Pieces whose keys match are diffed pair by pair with ``pair``; the runs between matches
    with ``rest``. None when there are too many distinct pieces.
    """
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
                out.extend(rest("".join(old), "".join(new)))
                old, new = [], []
            for x, y in zip(a[ia : ia + n], b[ib : ib + n], strict=True):
                out.extend([("=", x)] if x == y else pair(x, y))
            ia, ib = ia + n, ib + n
        elif op == -1:
            old.extend(a[ia : ia + n])
            ia += n
        else:
            new.extend(b[ib : ib + n])
            ib += n
    return _merge(out)


def _diff_small(a: str, b: str) -> list[Op]:
    """Diff word by word when that is cheap enough, else delete and insert."""
    if not a or not b:
        return [("-", a)] if a else [("+", b)] if b else []
    ops = None if _surely_costly(a, b) else _diff_tokens(tokenize(a), tokenize(b))
    return ops if ops is not None else [("-", a), ("+", b)]


def _diff_chunks(a: str, b: str) -> list[Op]:
    """Diff sentence by sentence, then word by word inside changed runs that are cheap enough."""
    ops = _align(_sentences(a), _sentences(b), _diff_small, _diff_small)
    return ops if ops is not None else [("-", a), ("+", b)]


def _diff_text(
    a: str,
    b: str,
    ta: list[str] | None = None,
    tb: list[str] | None = None,
    *,
    shortcut: bool = False,
) -> list[Op]:
    if a == b:
        return [("=", a)] if a else []
    if not a or not b:
        return [("-", a)] if a else [("+", b)]
    if ta is None and _surely_costly(a, b):
        return _diff_chunks(a, b)
    ops = _diff_tokens(
        tokenize(a) if ta is None else ta, tokenize(b) if tb is None else tb, shortcut=shortcut
    )
    return _diff_chunks(a, b) if ops is None else ops


def _surely_costly(a: str, b: str) -> bool:
    """Tell, without tokenizing, that a token diff of a and b would pass the cost cap."""
    if len(a) * len(b) <= _CAP:
        return False
    prefix, suffix = _common_affixes(a, b)
    # The changed middle holds at least its words and the spaces between them as tokens.
    ta = 2 * len(a[prefix : len(a) - suffix].split()) - 1
    tb = 2 * len(b[prefix : len(b) - suffix].split()) - 1
    return ta > 0 and tb > 0 and ta * tb > _CAP


def diff_words(old: str, new: str) -> list[Op]:
    """Return the word diff of two texts: ``=``/``-`` texts give old, ``=``/``+`` texts new."""
    return _diff_text(old, new)
