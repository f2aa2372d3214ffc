"""Word-level diffs of article revisions: tokens, minimal diffs, moved paragraphs and stats."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

import regex  # type: ignore[import-untyped, unused-ignore]
from diff_match_patch import diff_match_patch  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "Block",
    "Op",
    "Stats",
    "WordDiff",
    "compare",
    "diff_body",
    "diff_words",
    "render_text",
    "tokenize",
]

Op: TypeAlias = tuple[str, str]
_Diff: TypeAlias = list[tuple[int, str]]

# Tokens: CJK characters one by one, words (letters, digits, marks, with ' \u2019 . , inside),
# whitespace runs, and any other grapheme cluster.
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}"
_WCH = rf"[[\p{{L}}\p{{N}}\p{{M}}]--[{_CJK}]]"
_WORD_RE = rf"[{_CJK}]\p{{M}}*+|{_WCH}++(?:['\u2019.,]{_WCH}++)*+"
_TOKEN = regex.compile(rf"{_WORD_RE}|\s++|\X", regex.V1)
_WORDS = regex.compile(_WORD_RE, regex.V1)

# Body items: paragraph texts and the newline runs between them (and the final newlines).
_ITEMS = re.compile(r"(\n\n+|\n+\Z)")
_PARA_BREAK = re.compile(r"\n\n+")
_SENTENCE_END = re.compile("[\u3002\uff01\uff1f]+\\s*|[.!?\u2026]+[\"'\u201d\u2019)\\]]*\\s+|\n+")

# Private-use code points stand for tokens: planes 15 and 16, then the BMP area.
_CODES = "".join(
    map(chr, [*range(0xF0000, 0xFFFFE), *range(0x100000, 0x10FFFE), *range(0xE000, 0xF900)])
)
_CAP = 250_000  # tokens x tokens of one diff's changed middle; beyond it, go coarser
_SMALL = 2_500  # below this cost a diff is always computed token by token
_MOVE_SIMILARITY = 0.9
_MOVE_MIN_WORDS = 5
_OPS = {0: "=", -1: "-", 1: "+"}
_WORD, _PUNCT, _SPACE, _LINE, _BLANK = range(5)

_TYPOGRAPHY = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`\u00b4", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        "\u2026": "...",
    }
)
_DASHES = re.compile(r"-+")


def _dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    return dmp


_DMP = _dmp()


@dataclass(frozen=True)
class Block:
    """One paragraph-level piece of a body diff."""

    type: str
    ops: tuple[Op, ...]
    move: int | None = None

    def as_dict(self) -> dict[str, object]:
        """Return the block as JSON-ready data."""
        out: dict[str, object] = {"type": self.type}
        if self.move is not None:
            out["move"] = self.move
        out["ops"] = [[op, text] for op, text in self.ops]
        return out


@dataclass(frozen=True)
class Stats:
    """Word and paragraph counts of a diff's body; see `compare` for the definitions."""

    words_added: int
    words_removed: int
    words_changed: int
    paragraphs_changed: int
    paragraphs_moved: int
    percent_changed: float
    headline_changed: bool

    def as_dict(self) -> dict[str, object]:
        """Return the stats as JSON-ready data."""
        return {
            "words_added": self.words_added,
            "words_removed": self.words_removed,
            "words_changed": self.words_changed,
            "paragraphs_changed": self.paragraphs_changed,
            "paragraphs_moved": self.paragraphs_moved,
            "percent_changed": self.percent_changed,
            "headline_changed": self.headline_changed,
        }

    def summary(self, kind: str | None = None) -> str:
        """Return a one-line summary such as ``+12 \u22123 words; headline changed``.

        Given the diff's kind, a change without word edits names it (``typography``).
        """
        words = self.words_added or self.words_removed
        parts = [
            f"+{self.words_added} \u2212{self.words_removed} words" if words else "no word changes"
        ]
        if self.paragraphs_moved:
            s = "" if self.paragraphs_moved == 1 else "s"
            parts.append(f"{self.paragraphs_moved} paragraph{s} moved")
        if self.headline_changed:
            parts.append("headline changed")
        if not words and kind in ("typography", "whitespace"):
            parts.append(kind)
        return "; ".join(parts)


@dataclass(frozen=True)
class WordDiff:
    """The diff of two revisions: header fields, body blocks, stats and kind."""

    fields: dict[str, tuple[Op, ...]]
    body: tuple[Block, ...]
    stats: Stats
    kind: str

    def as_dict(self) -> dict[str, object]:
        """Return the diff document's stats, kind, fields and body as JSON-ready data."""
        return {
            "stats": self.stats.as_dict(),
            "kind": self.kind,
            "fields": {name: [[op, text] for op, text in ops] for name, ops in self.fields.items()},
            "body": [block.as_dict() for block in self.body],
        }

    def summary(self) -> str:
        """Return a one-line summary of the diff (``no changes`` for identical revisions)."""
        changed = any(block.type != "equal" for block in self.body) or any(
            op != "=" for ops in self.fields.values() for op, _ in ops
        )
        return self.stats.summary(self.kind) if changed else "no changes"


# ---------------------------------------------------------------- tokens and the core diff


def tokenize(text: str) -> list[str]:
    """Return the tokens of text; they concatenate back to text exactly."""
    return list(_TOKEN.findall(text))


def _count_words(text: str) -> int:
    return len(_WORDS.findall(text))


def _token_class(token: str) -> int:
    if token.isspace():
        lines = token.count("\n")
        return _BLANK if lines > 1 else _LINE if lines else _SPACE
    return _WORD if token[0].isalnum() or _WORDS.match(token) else _PUNCT


def _encode(a: list[str], b: list[str]) -> tuple[str, str, dict[str, str]] | None:
    unique = dict.fromkeys(a)
    unique.update(dict.fromkeys(b))
    if len(unique) > len(_CODES):
        return None
    codes = dict(zip(unique, _CODES, strict=False))
    ea = "".join(map(codes.__getitem__, a))
    eb = "".join(map(codes.__getitem__, b))
    return ea, eb, dict(zip(codes.values(), codes.keys(), strict=True))


def _common_affixes(a: str, b: str) -> tuple[int, int]:
    prefix: int = _DMP.diff_commonPrefix(a, b)
    suffix: int = _DMP.diff_commonSuffix(a[prefix:], b[prefix:])
    return prefix, suffix


def _core(a: str, b: str) -> _Diff:
    """Return a minimal diff of two code strings (Myers, no deadline)."""
    if a == b:
        return [(0, a)] if a else []
    if not a or not b:
        return [(-1, a)] if a else [(1, b)]
    common = set(a) & set(b)
    if not common:
        return [(-1, a), (1, b)]
    if len(common) == len(set(a)) == len(set(b)):
        return list(_DMP.diff_main(a, b, False))
    # Codes found on one side only can never match: diff the rest, then put them back.
    ia = [i for i, c in enumerate(a) if c in common]
    ib = [j for j, c in enumerate(b) if c in common]
    reduced = _DMP.diff_main("".join(a[i] for i in ia), "".join(b[j] for j in ib), False)
    out: _Diff = []
    pa = pb = xa = xb = 0
    for op, text in reduced:
        if op == -1:
            xa += len(text)
        elif op == 1:
            xb += len(text)
        else:
            for k in range(len(text)):
                i, j = ia[xa + k], ib[xb + k]
                if i > pa:
                    out.append((-1, a[pa:i]))
                if j > pb:
                    out.append((1, b[pb:j]))
                out.append((0, a[i]))
                pa, pb = i + 1, j + 1
            xa += len(text)
            xb += len(text)
    if pa < len(a):
        out.append((-1, a[pa:]))
    if pb < len(b):
        out.append((1, b[pb:]))
    _DMP.diff_cleanupMerge(out)
    return out


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
        pointer += 1
    _DMP.diff_cleanupMerge(diffs)


def _dissimilar(a: str, b: str, classes: dict[str, int]) -> bool:
    """Tell whether two code strings share too little to be worth a token diff."""
    xa = [c for c in a if classes[c] < _SPACE]
    xb = [c for c in b if classes[c] < _SPACE]
    if not xa or not xb:
        return False
    shared = sum((Counter(xa) & Counter(xb)).values())
    if 2 * shared >= 0.5 * (len(xa) + len(xb)):
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
    classes = {code: _token_class(token) for code, token in decode.items()}
    if shortcut and cost > _SMALL and _dissimilar(mid_a, mid_b, classes):
        diffs: _Diff = [(-1, mid_a), (1, mid_b)]
    else:
        diffs = _core(mid_a, mid_b)
    if prefix:
        diffs.insert(0, (0, ea[:prefix]))
    if suffix:
        diffs.append((0, ea[len(ea) - suffix :]))
    if cleanup:
        _DMP.diff_cleanupSemantic(diffs)
        _slide(diffs, classes)
    return [(_OPS[op], "".join(map(decode.__getitem__, text))) for op, text in diffs if text]


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        out.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        out.append(text[start:])
    return out


def _diff_chunks(a: str, b: str) -> list[Op]:
    """Diff sentence by sentence, then word by word inside changed runs that are cheap enough."""
    sa, sb = _sentences(a), _sentences(b)
    runs = _seq_diff(sa, sb)
    if runs is None:
        return [("-", a), ("+", b)]
    out: list[Op] = []
    ia = ib = 0
    old: list[str] = []
    new: list[str] = []
    for op, n in [*runs, (0, 0)]:
        if op == 0:
            if old or new:
                x, y = "".join(old), "".join(new)
                ops = _diff_tokens(tokenize(x), tokenize(y)) if x and y else None
                out.extend(ops if ops is not None else [("-", x), ("+", y)])
                old, new = [], []
            out.append(("=", "".join(sa[ia : ia + n])))
            ia, ib = ia + n, ib + n
        elif op == -1:
            old.extend(sa[ia : ia + n])
            ia += n
        else:
            new.extend(sb[ib : ib + n])
            ib += n
    return _merge(out)


def _merge(ops: Iterable[Op]) -> list[Op]:
    out: list[Op] = []
    for op, text in ops:
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return out


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
    ops = _diff_tokens(
        tokenize(a) if ta is None else ta, tokenize(b) if tb is None else tb, shortcut=shortcut
    )
    return _diff_chunks(a, b) if ops is None else ops


def diff_words(old: str, new: str) -> list[Op]:
    """Return the word diff of two texts: ``=``/``-`` texts give old, ``=``/``+`` texts new."""
    return _diff_text(old, new)


# ---------------------------------------------------------------- the body, paragraph first


@dataclass
class _Region:
    old: list[int]
    new: list[int]


@dataclass
class _Move:
    old: int
    new: int
    ops: list[Op]
    old_seps: tuple[str, str] = ("", "")
    new_seps: tuple[str, str] = ("", "")


class _Body:
    """The working state of one body diff."""

    def __init__(self, old: str, new: str) -> None:
        self.a = [item for item in _ITEMS.split(old) if item]
        self.b = [item for item in _ITEMS.split(new) if item]
        self.tokens: dict[str, list[str]] = {}

    def toks(self, item: str) -> list[str]:
        tokens = self.tokens.get(item)
        if tokens is None:
            tokens = self.tokens[item] = tokenize(item)
        return tokens

    def region_ops(self, old: list[int], new: list[int]) -> list[Op]:
        x = "".join(self.a[i] for i in old)
        y = "".join(self.b[j] for j in new)
        if not x or not y:
            return _diff_text(x, y)
        ta = [t for i in old for t in self.toks(self.a[i])]
        tb = [t for j in new for t in self.toks(self.b[j])]
        return _diff_text(x, y, ta, tb, shortcut=True)

    def blocks(self) -> list[Block]:
        runs = _seq_diff(self.a, self.b)
        if runs is None:
            runs = [(-1, len(self.a)), (1, len(self.b))]
        parts: list[list[Op] | _Region] = []
        ia = ib = 0
        for op, n in runs:
            if op == 0:
                parts.append([("=", "".join(self.a[ia : ia + n]))])
                ia, ib = ia + n, ib + n
                continue
            if not parts or not isinstance(parts[-1], _Region):
                parts.append(_Region([], []))
            region = parts[-1]
            assert isinstance(region, _Region)
            if op == -1:
                region.old.extend(range(ia, ia + n))
                ia += n
            else:
                region.new.extend(range(ib, ib + n))
                ib += n
        moves = self.find_moves([part for part in parts if isinstance(part, _Region)])
        expanded: list[list[Op] | tuple[str, _Move]] = []
        for part in parts:
            if isinstance(part, _Region):
                expanded.extend(self.expand(part, moves))
            else:
                expanded.append(part)
        return _assemble(expanded)

    def find_moves(self, regions: list[_Region]) -> dict[tuple[str, int], _Move]:
        dels = [(i, r) for r, reg in enumerate(regions) for i in reg.old if _is_text(self.a[i])]
        ins = [(j, r) for r, reg in enumerate(regions) for j in reg.new if _is_text(self.b[j])]
        found: list[_Move] = []
        if dels and ins:
            by_text: dict[str, list[int]] = defaultdict(list)
            for j, _ in ins:
                by_text[self.b[j]].append(j)
            used_new: set[int] = set()
            left: list[tuple[int, int]] = []
            for i, r in dels:
                text = self.a[i]
                spots = by_text.get(text)
                if spots and _count_words(text) >= _MOVE_MIN_WORDS:
                    j = spots.pop(0)
                    used_new.add(j)
                    found.append(_Move(i, j, [("=", text)]))
                else:
                    left.append((i, r))
            rest = [(j, r) for j, r in ins if j not in used_new]
            found.extend(self.near_moves(left, rest))
        moves: dict[tuple[str, int], _Move] = {}
        for move in found:
            moves["-", move.old] = move
            moves["+", move.new] = move
        return moves

    def near_moves(self, dels: list[tuple[int, int]], ins: list[tuple[int, int]]) -> list[_Move]:
        """Pair paragraphs at least 90 % alike (on their non-space tokens) across regions."""
        t = _MOVE_SIMILARITY
        sides: list[list[tuple[int, int, list[str], list[tuple[str, int]]]]] = [[], []]
        freq: Counter[tuple[str, int]] = Counter()
        for side, (items, entries) in enumerate(((self.a, dels), (self.b, ins))):
            for index, region in entries:
                words = [tok for tok in self.toks(items[index]) if not tok.isspace()]
                if sum(1 for tok in words if _token_class(tok) == _WORD) < _MOVE_MIN_WORDS:
                    continue
                seen: Counter[str] = Counter()
                elems = []
                for tok in words:
                    seen[tok] += 1
                    elems.append((tok, seen[tok]))
                freq.update(elems)
                sides[side].append((index, region, words, elems))
        if not sides[0] or not sides[1]:
            return []

        def prefix(elems: list[tuple[str, int]]) -> list[tuple[str, int]]:
            size = len(elems)
            keep = size - math.ceil(t * size / (2 - t)) + 1
            return sorted(elems, key=lambda e: (freq[e], e))[:keep]

        index_new: dict[tuple[str, int], list[int]] = defaultdict(list)
        for k, (_, _, _, elems) in enumerate(sides[1]):
            for elem in prefix(elems):
                index_new[elem].append(k)
        scored: list[tuple[float, int, int]] = []
        for i, region, words, elems in sides[0]:
            candidates = {k for elem in prefix(elems) for k in index_new.get(elem, ())}
            bag = set(elems)
            for k in sorted(candidates):
                j, other, words_b, elems_b = sides[1][k]
                total = len(words) + len(words_b)
                if other == region or 2 * min(len(words), len(words_b)) < t * total:
                    continue
                if 2 * len(bag.intersection(elems_b)) < t * total:
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
                a, b = self.a[i], self.b[j]
                moves.append(_Move(i, j, _diff_text(a, b, self.toks(a), self.toks(b))))
        return moves

    def expand(
        self, region: _Region, moves: dict[tuple[str, int], _Move]
    ) -> list[list[Op] | tuple[str, _Move]]:
        """Cut a region at its moved paragraphs and diff the pieces between them."""
        pieces_old = self.cut(region.old, self.a, "-", moves)
        pieces_new = self.cut(region.new, self.b, "+", moves)
        out: list[list[Op] | tuple[str, _Move]] = []
        for k in range(max(len(pieces_old), len(pieces_new))):
            old, out_move = pieces_old[k] if k < len(pieces_old) else ([], None)
            new, in_move = pieces_new[k] if k < len(pieces_new) else ([], None)
            if old or new:
                out.append(self.region_ops(old, new))
            if out_move is not None:
                out.append(("moved-out", out_move))
            if in_move is not None:
                out.append(("moved-in", in_move))
        return out

    def cut(
        self, indices: list[int], items: list[str], side: str, moves: dict[tuple[str, int], _Move]
    ) -> list[tuple[list[int], _Move | None]]:
        pieces: list[tuple[list[int], _Move | None]] = []
        current: list[int] = []
        k = 0
        while k < len(indices):
            move = moves.get((side, indices[k]))
            if move is None:
                current.append(indices[k])
                k += 1
                continue
            before = after = ""
            nxt = indices[k + 1] if k + 1 < len(indices) else None
            if nxt is not None and not _is_text(items[nxt]) and (side, nxt) not in moves:
                after = items[nxt]
                k += 1
            elif current and not _is_text(items[current[-1]]):
                before = items[current.pop()]
            if side == "-":
                move.old_seps = (before, after)
            else:
                move.new_seps = (before, after)
            pieces.append((current, move))
            current = []
            k += 1
        pieces.append((current, None))
        return pieces


def _is_text(item: str) -> bool:
    return bool(item.strip("\n"))


def _blank(ops: list[Op]) -> bool:
    return all(op == "=" and text.isspace() for op, text in ops)


def _split_blocks(ops: list[Op]) -> list[list[Op]]:
    """Cut a run of ops at the paragraph breaks both sides share."""
    blocks: list[list[Op]] = []
    current: list[Op] = []
    for k, (op, text) in enumerate(ops):
        if op == "=":
            start = 0
            for match in _PARA_BREAK.finditer(text):
                current.append(("=", text[start : match.end()]))
                blocks.append(current)
                current = []
                start = match.end()
            if start < len(text):
                current.append(("=", text[start:]))
            continue
        if text.startswith("\n\n") and current:
            blocks.append(current)
            current = []
        current.append((op, text))
        if text.endswith("\n\n") and k + 1 < len(ops) and ops[k + 1][0] == "=":
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    merged: list[list[Op]] = []
    for block in blocks:
        if merged and (_blank(block) or _blank(merged[-1])):
            merged[-1].extend(block)
        else:
            merged.append(block)
    return [_merge(block) for block in merged]


def _assemble(parts: list[list[Op] | tuple[str, _Move]]) -> list[Block]:
    blocks: list[Block] = []
    numbers: dict[int, int] = {}
    run: list[Op] = []
    end: list[tuple[str, _Move | None]] = [("", None)]
    for part in [*parts, *end]:
        if isinstance(part, list):
            run.extend(part)
            continue
        for ops in _split_blocks(_merge(run)):
            kind = "equal" if all(op == "=" for op, _ in ops) else "change"
            blocks.append(Block(kind, tuple(ops)))
        run = []
        kind, move = part
        if move is None:
            continue
        number = numbers.setdefault(id(move), len(numbers) + 1)
        sign, (before, after) = (
            ("-", move.old_seps) if kind == "moved-out" else ("+", move.new_seps)
        )
        ops = _merge([(sign, before), *move.ops, (sign, after)])
        blocks.append(Block(kind, tuple(ops), number))
    return blocks


def diff_body(old: str, new: str) -> list[Block]:
    """Return the paragraph-structured diff of two bodies, with moved paragraphs paired."""
    if old == new:
        return [Block("equal", tuple(ops)) for ops in _split_blocks([("=", old)])] if old else []
    return _Body(old, new).blocks()


# ---------------------------------------------------------------- comparing revisions


def _sides(ops: Iterable[Op]) -> tuple[str, str]:
    old = "".join(text for op, text in ops if op != "+")
    new = "".join(text for op, text in ops if op != "-")
    return old, new


def _word_edits(ops: tuple[Op, ...]) -> tuple[int, int, int]:
    """Return words added, removed, and replaced (the smaller side of each -/+ pair)."""
    added = removed = changed = 0
    last_op, last_words = "=", 0
    for op, text in ops:
        if op == "=":
            last_op = "="
            continue
        words = _count_words(text)
        if op == "+":
            added += words
        else:
            removed += words
        if last_op not in ("=", op):
            changed += min(words, last_words)
            last_op = "="
        else:
            last_op, last_words = op, words
    return added, removed, changed


def _no_space(text: str) -> str:
    return "".join(text.split())


def _typography(text: str) -> str:
    return _DASHES.sub("-", _no_space(text.translate(_TYPOGRAPHY)))


def _kind(
    changes: list[tuple[str, str]], moved: int, headline: bool, edited: int, percent: float
) -> str:
    if not moved and all(_no_space(a) == _no_space(b) for a, b in changes):
        return "whitespace"
    if not moved and all(_typography(a) == _typography(b) for a, b in changes):
        return "typography"
    if not moved and not headline and (edited <= 3 or percent < 2.0):
        return "minor"
    return "substantive"


def compare(
    old_fields: Mapping[str, str],
    old_body: str,
    new_fields: Mapping[str, str],
    new_body: str,
) -> WordDiff:
    """Return the diff of two revisions (header fields and body) with stats and kind.

    Stats count body words (word tokens: words and CJK characters). ``words_changed`` is the
    number of replaced words: for each deletion next to an insertion, the smaller word count.
    ``percent_changed`` is the edited words (added + removed - changed) as a share of the old
    body's words, at most 100 (100 when the old body is empty and words were added).
    ``paragraphs_changed`` counts ``change`` blocks; ``paragraphs_moved`` counts moves.

    The kind is ``whitespace`` when the changed parts of the body and fields differ only in
    whitespace (also for identical revisions), ``typography`` when they differ only in quotes,
    apostrophes, dashes, ellipses and spacing, ``minor`` when the title is unchanged, nothing
    moved and at most 3 words were edited (body and other fields) or under 2 % of the body's
    words, else ``substantive``.
    """
    names = dict.fromkeys([*old_fields, *new_fields])
    fields = {
        name: tuple(diff_words(old_fields.get(name, ""), new_fields.get(name, "")))
        for name in names
    }
    body = tuple(diff_body(old_body, new_body))
    added = removed = changed = 0
    changes: list[tuple[str, str]] = []
    for block in body:
        if block.type == "equal":
            continue
        if block.type != "moved-out":
            a, r, c = _word_edits(block.ops)
            added, removed, changed = added + a, removed + r, changed + c
        if block.type == "change":
            changes.append(_sides(block.ops))
    moved = sum(1 for block in body if block.type == "moved-in")
    old_words = _count_words(old_body)
    edited = added + removed - changed
    if old_words:
        percent = round(min(100.0, 100.0 * edited / old_words), 1)
    else:
        percent = 100.0 if edited else 0.0
    headline = old_fields.get("title", "") != new_fields.get("title", "")
    stats = Stats(
        words_added=added,
        words_removed=removed,
        words_changed=changed,
        paragraphs_changed=sum(1 for block in body if block.type == "change"),
        paragraphs_moved=moved,
        percent_changed=percent,
        headline_changed=headline,
    )
    field_edits = 0
    for name, ops in fields.items():
        if any(op != "=" for op, _ in ops):
            changes.append(_sides(ops))
            if name != "title":
                a, r, c = _word_edits(ops)
                field_edits += a + r - c
    kind = _kind(changes, moved, headline, edited + field_edits, percent)
    return WordDiff(fields=fields, body=body, stats=stats, kind=kind)


# ---------------------------------------------------------------- text rendering

_RED, _GREEN, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[0m"
_CONTEXT = 200


def _render_ops(ops: Iterable[Op], color: bool) -> str:
    out: list[str] = []
    for op, text in ops:
        if op == "=":
            out.append(text)
        else:
            mark = f"[-{text}-]" if op == "-" else f"{{+{text}+}}"
            out.append(f"{_RED if op == '-' else _GREEN}{mark}{_RESET}" if color else mark)
    return "".join(out)


def _shorten(text: str, head: bool, tail: bool) -> str:
    if len(text) <= 2 * _CONTEXT:
        return text
    if head and tail:
        return f"{text[: _CONTEXT // 2]} … {text[-_CONTEXT // 2 :]}"
    return f"{text[:_CONTEXT]} …" if head else f"… {text[-_CONTEXT:]}"


def render_text(diff: WordDiff, color: bool = False) -> str:
    """Return the diff as text: changed fields and the title, then the body's changes.

    Deletions read ``[-old-]``, insertions ``{+new+}`` (red and green with color); equal
    paragraphs next to a change are shown (long ones shortened), the others elided to ``…``.
    """
    lines = [
        f"{name}: {_render_ops(ops, color)}"
        for name, ops in diff.fields.items()
        if name == "title" or any(op != "=" for op, _ in ops)
    ]
    chunks: list[str] = []
    blocks = diff.body
    for k, block in enumerate(blocks):
        if block.type == "equal":
            after = k > 0 and blocks[k - 1].type != "equal"
            before = k + 1 < len(blocks) and blocks[k + 1].type != "equal"
            text = "".join(text for _, text in block.ops).strip()
            if not text:
                continue
            if before or after:
                chunks.append(_shorten(text, after, before))
            elif not chunks or chunks[-1] != "…":
                chunks.append("…")
        elif block.type == "moved-out":
            old = _shorten(_sides(block.ops)[0].strip(), True, False)
            chunks.append(f"[moved paragraph {block.move} \u2192] {old}")
        elif block.type == "moved-in":
            chunks.append(
                f"[\u2192 moved paragraph {block.move}] {_render_ops(block.ops, color).strip()}"
            )
        else:
            chunks.append(_render_ops(block.ops, color).strip("\n"))
    if all(block.type == "equal" for block in blocks):
        chunks = ["… (body unchanged)"]
    return "\n".join(lines) + "\n\n" + "\n\n".join(chunks) + "\n"
