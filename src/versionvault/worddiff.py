"""Word-level diffs of article revisions: tokens, minimal diffs, moved paragraphs and stats."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
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
    "count_words",
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
# Text free of marks, CJK, joiners and other grapheme extenders tokenizes the same with the
# (much faster) standard library: there every grapheme is one code point, [^\W_] is a letter
# or digit, and \s is the same set.
_COMPLEX = re.compile(  # anything but these ranges
    "[^\x00-\x1b\x20-\u02ff\u0370-\u0482\u2000-\u200b\u200e-\u208e\u20a0-\u20cf"
    "\u2100-\u2cee\u2cf2-\u2d7e\u2d80-\u2ddf\u2e00-\u2e7f]"
)
_SIMPLE_WORD = r"[^\W_]++(?:['\u2019.,][^\W_]++)*+"
_SIMPLE_TOKEN = re.compile(rf"{_SIMPLE_WORD}|\s++|.", re.DOTALL)
_SIMPLE_WORDS = re.compile(_SIMPLE_WORD)
# ASCII text without the information separators \x1c-\x1f (which _COMPLEX excludes too) is
# simple, and there the classes can be spelled out, which the standard library scans faster.
_ASCII_WORD = r"[A-Za-z0-9]++(?:['.,][A-Za-z0-9]++)*+"
_ASCII_TOKEN = re.compile(rf"{_ASCII_WORD}|[ \t\n\r\f\v]++|.", re.DOTALL)
_ASCII_WORDS = re.compile(_ASCII_WORD)
_SEPARATORS = "\x1c\x1d\x1e\x1f"

# Body items: paragraph texts and the newline runs between them (and the final newlines).
_ITEMS = re.compile(r"(\n(?:\n+|\Z))")
_PARA_BREAK = re.compile(r"\n\n+")
_SENTENCE_END = re.compile(
    "((?=[\u3002\uff01\uff1f.!?\u2026\n])"
    "(?:[\u3002\uff01\uff1f]+\\s*|[.!?\u2026]+[\"'\u201d\u2019)\\]]*\\s+|\n+))"
)

# Private-use code points stand for tokens: planes 15 and 16, then the BMP area.
_CODE_RANGES = (range(0xF0000, 0xFFFFE), range(0x100000, 0x10FFFE), range(0xE000, 0xF900))
_MAX_CODES = sum(map(len, _CODE_RANGES))
_CAP = 250_000  # tokens x tokens of one diff's changed middle; beyond it, go coarser
_SMALL = 2_500  # below this cost a diff is always computed token by token
_MOVE_SIMILARITY = 0.9
_MOVE_MIN_WORDS = 5
_FEW_PAIRS = 400  # up to this many candidate pairs, compare every one
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
_SPACES = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    map(chr, range(0x2000, 0x200B))
)
_KEY = str.maketrans({**_TYPOGRAPHY, **dict.fromkeys(map(ord, _SPACES))})


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

        Given the diff's kind, a typography or whitespace change says so.
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
        if kind in ("typography", "whitespace"):
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


def _plain_ascii(text: str) -> bool:
    return text.isascii() and not any(separator in text for separator in _SEPARATORS)


def tokenize(text: str) -> list[str]:
    """Return the tokens of text; they concatenate back to text exactly."""
    if _plain_ascii(text):
        return _ASCII_TOKEN.findall(text)
    if _COMPLEX.search(text) is None:
        return _SIMPLE_TOKEN.findall(text)
    return list(_TOKEN.findall(text))


def count_words(text: str) -> int:
    """Return the number of word tokens in text (words, and CJK characters one by one)."""
    if _plain_ascii(text):
        return len(_ASCII_WORDS.findall(text))
    if _COMPLEX.search(text) is None:
        return _SIMPLE_WORDS.subn("", text)[1]
    return len(_WORDS.findall(text))


def _token_class(token: str) -> int:
    if token.isspace():
        lines = token.count("\n")
        return _BLANK if lines > 1 else _LINE if lines else _SPACE
    return _WORD if token[0].isalnum() or _WORDS.match(token) else _PUNCT


class _Classes(dict[str, int]):
    """Token classes of codes, computed when first asked for."""

    def __init__(self, decode: dict[str, str]) -> None:
        super().__init__()
        self.decode = decode

    def __missing__(self, code: str) -> int:
        value = self[code] = _token_class(self.decode[code])
        return value


def _encode(a: list[str], b: list[str]) -> tuple[str, str, dict[str, str]] | None:
    unique = dict.fromkeys(a)
    unique.update(dict.fromkeys(b))
    if len(unique) > _MAX_CODES:
        return None
    codes = dict(zip(unique, map(chr, itertools.chain(*_CODE_RANGES)), strict=False))
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
    reduced = _DMP.diff_main(
        "".join(map(a.__getitem__, ia)), "".join(map(b.__getitem__, ib)), False
    )
    out: _Diff = []
    pa = pb = xa = xb = 0
    for op, text in reduced:
        if op == -1:
            xa += len(text)
            continue
        if op == 1:
            xb += len(text)
            continue
        end_a, end_b = xa + len(text), xb + len(text)
        while xa < end_a:
            i, j = ia[xa], ib[xb]
            if ia[end_a - 1] - i == end_a - 1 - xa and ib[end_b - 1] - j == end_b - 1 - xb:
                n = end_a - xa  # the rest of the run is contiguous on both sides
            else:
                n = 1
                while xa + n < end_a and ia[xa + n] == i + n and ib[xb + n] == j + n:
                    n += 1
            if i > pa:
                out.append((-1, a[pa:i]))
            if j > pb:
                out.append((1, b[pb:j]))
            out.append((0, a[i : i + n]))
            pa, pb, xa, xb = i + n, j + n, xa + n, xb + n
    if pa < len(a):
        out.append((-1, a[pa:]))
    if pb < len(b):
        out.append((1, b[pb:]))
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
        _DMP.diff_cleanupSemantic(diffs)
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


# ---------------------------------------------------------------- the body, paragraph first

_Unit: TypeAlias = tuple[str, str]  # a paragraph's text and the newlines after it


def _units(text: str) -> list[_Unit]:
    """Split text into paragraphs with their newlines; the final newlines are a unit alone."""
    parts = _ITEMS.split(text)
    units = [
        (content, sep)
        for content, sep in zip(parts[0::2], [*parts[1::2], ""], strict=True)
        if content or sep
    ]
    if units and units[-1][0] and units[-1][1]:
        content, sep = units.pop()
        units += [(content, ""), ("", sep)]
    return units


@dataclass
class _Region:
    """A run of paragraphs found on one side only, between paragraphs found on both."""

    old: list[int]
    new: list[int]
    pre: tuple[str, str] = ("", "")  # differing newlines after the equal paragraph before
    ops: list[Op] | None = None
    settled: bool = False


@dataclass
class _Move:
    old: int
    new: int
    ops: list[Op]
    lead_old: str = ""  # newlines found on the old side only, just before the paragraph
    lead_new: str = ""  # the same on the new side


class _Body:
    """The working state of one body diff."""

    def __init__(self, old: str, new: str) -> None:
        self.a = _units(old)
        self.b = _units(new)
        self.tokens: dict[str, list[str]] = {}

    def toks(self, text: str) -> list[str]:
        tokens = self.tokens.get(text)
        if tokens is None:
            tokens = self.tokens[text] = tokenize(text)
        return tokens

    def pieces(self, units: list[_Unit], indices: list[int], pre: str) -> list[str]:
        return [pre] * bool(pre) + [
            content + sep for content, sep in map(units.__getitem__, indices)
        ]

    def tokens_of(self, units: list[_Unit], indices: list[int], pre: str) -> list[str]:
        out = [pre] * bool(pre)
        for content, sep in map(units.__getitem__, indices):
            out.extend(self.toks(content))
            if sep:
                out.append(sep)
        return out

    def region_ops(self, old: list[int], new: list[int], pre: tuple[str, str]) -> list[Op]:
        pa, pb = self.pieces(self.a, old, pre[0]), self.pieces(self.b, new, pre[1])
        x, y = "".join(pa), "".join(pb)
        if not x or not y:
            return _diff_text(x, y)
        if not _surely_costly(x, y):
            ta, tb = self.tokens_of(self.a, old, pre[0]), self.tokens_of(self.b, new, pre[1])
            ops = _diff_tokens(ta, tb, shortcut=True)
            if ops is not None:
                return ops
        aligned = _align(pa, pb, _diff_text, _diff_text)
        return aligned if aligned is not None else _diff_chunks(x, y)

    def blocks(self) -> list[Block]:
        runs = _seq_diff([content for content, _ in self.a], [content for content, _ in self.b])
        if runs is None:
            runs = [(-1, len(self.a)), (1, len(self.b))]
        parts: list[list[Op] | _Region] = []
        ia = ib = 0
        for op, n in runs:
            if op == 0:
                for (content, sep_a), (_, sep_b) in zip(
                    self.a[ia : ia + n], self.b[ib : ib + n], strict=True
                ):
                    if sep_a == sep_b:
                        parts.append([("=", content + sep_a)])
                    else:
                        parts.extend(([("=", content)], _Region([], [], (sep_a, sep_b))))
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
        regions = [part for part in parts if isinstance(part, _Region)]
        for region in regions:
            self.settle(region)
        moves = self.find_moves(regions)
        expanded: list[list[Op] | tuple[str, _Move]] = []
        for part in parts:
            if isinstance(part, _Region):
                expanded.extend(self.expand(part, moves))
            else:
                expanded.append(part)
        return _assemble(expanded, self.a, self.b)

    def settle(self, region: _Region) -> None:
        """Diff a region with paragraphs on both sides; edits that small are no moves."""
        if not region.old or not region.new:
            return
        region.ops = self.region_ops(region.old, region.new, region.pre)
        edited = sum(count_words(text) for op, text in region.ops if op != "=")
        size = sum(len(self.a[i][0].split()) for i in region.old)
        size += sum(len(self.b[j][0].split()) for j in region.new)
        region.settled = edited <= (1 - _MOVE_SIMILARITY) * size

    def find_moves(self, regions: list[_Region]) -> dict[tuple[str, int], _Move]:
        dels = [
            (i, r)
            for r, reg in enumerate(regions)
            if not reg.settled
            for i in reg.old
            if self.a[i][0]
        ]
        ins = [
            (j, r)
            for r, reg in enumerate(regions)
            if not reg.settled
            for j in reg.new
            if self.b[j][0]
        ]
        if not dels or not ins or len({r for _, r in dels} | {r for _, r in ins}) < 2:
            return {}
        by_text: dict[str, list[int]] = defaultdict(list)
        for j, _ in ins:
            by_text[self.b[j][0]].append(j)
        found: list[_Move] = []
        used_new: set[int] = set()
        left: list[tuple[int, int]] = []
        for i, r in dels:
            content = self.a[i][0]
            spots = by_text.get(content)
            if spots and count_words(content) >= _MOVE_MIN_WORDS:
                j = spots.pop(0)
                used_new.add(j)
                found.append(_Move(i, j, [("=", content)]))
            else:
                left.append((i, r))
        rest = [(j, r) for j, r in ins if j not in used_new]
        if left and rest and len({r for _, r in left} | {r for _, r in rest}) > 1:
            found.extend(self.near_moves(left, rest))
        moves: dict[tuple[str, int], _Move] = {}
        for move in found:
            moves["-", move.old] = move
            moves["+", move.new] = move
        return moves

    def near_moves(self, dels: list[tuple[int, int]], ins: list[tuple[int, int]]) -> list[_Move]:
        """Pair paragraphs at least 90 % alike (on their non-space tokens) across regions."""
        t = _MOVE_SIMILARITY
        sides: list[list[tuple[int, int, list[str]]]] = [[], []]
        for side, (units, entries) in enumerate(((self.a, dels), (self.b, ins))):
            for index, region in entries:
                content = units[index][0]
                if count_words(content) >= _MOVE_MIN_WORDS:
                    words = [tok for tok in self.toks(content) if not tok.isspace()]
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
                a, b = self.a[i][0], self.b[j][0]
                moves.append(_Move(i, j, _diff_text(a, b, self.toks(a), self.toks(b))))
        return moves

    def expand(
        self, region: _Region, moves: dict[tuple[str, int], _Move]
    ) -> list[list[Op] | tuple[str, _Move]]:
        """Cut a region at its moved paragraphs and diff the pieces between them."""
        moved_old = [i for i in region.old if ("-", i) in moves]
        moved_new = [j for j in region.new if ("+", j) in moves]
        if region.ops is not None and not moved_old and not moved_new:
            return [region.ops]
        pieces_old = _cut(region.old, [moves["-", i] for i in moved_old], "old")
        pieces_new = _cut(region.new, [moves["+", j] for j in moved_new], "new")
        out: list[list[Op] | tuple[str, _Move]] = []
        for k in range(max(len(pieces_old), len(pieces_new))):
            old, out_move = pieces_old[k] if k < len(pieces_old) else ([], None)
            new, in_move = pieces_new[k] if k < len(pieces_new) else ([], None)
            pre = region.pre if k == 0 else ("", "")
            if not old and not new and out_move and not pre[1]:
                pre, out_move.lead_old = ("", ""), pre[0]
            elif not old and not new and in_move and not out_move and not pre[0]:
                pre, in_move.lead_new = ("", ""), pre[1]
            if old or new or any(pre):
                out.append(self.region_ops(old, new, pre))
            if out_move is not None:
                out.append(("moved-out", out_move))
            if in_move is not None:
                out.append(("moved-in", in_move))
        return out


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


def _cut(indices: list[int], moves: list[_Move], side: str) -> list[tuple[list[int], _Move | None]]:
    """Split a region's indices at its moved paragraphs: (indices before, move) pairs."""
    pieces: list[tuple[list[int], _Move | None]] = []
    current: list[int] = []
    at = {getattr(move, side): move for move in moves}
    for index in indices:
        move = at.get(index)
        if move is None:
            current.append(index)
        else:
            pieces.append((current, move))
            current = []
    pieces.append((current, None))
    return pieces


def _blank(ops: list[Op]) -> bool:
    return all(op == "=" and text.isspace() for op, text in ops)


def _split_paragraphs(op: str, text: str) -> list[list[Op]]:
    """Cut a lone deletion or insertion into one block per paragraph."""
    blocks: list[list[Op]] = []
    start = 0
    for match in _PARA_BREAK.finditer(text):
        if text[start : match.start()].strip() and text[match.end() :].strip():
            blocks.append([(op, text[start : match.end()])])
            start = match.end()
    blocks.append([(op, text[start:])])
    return blocks


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
        elif any(op == "=" and not text.isspace() for op, text in block) or all(
            len(_split_paragraphs(op, text)) == 1 for op, text in block
        ):
            merged.append(block)
        else:
            # Only deletions and insertions (and spacing): a block per paragraph.
            for op, text in _merge(block):
                if op == "=" and merged:
                    merged[-1].append((op, text))
                else:
                    merged.extend(_split_paragraphs(op, text))
    return [_merge(block) for block in merged]


def _assemble(
    parts: list[list[Op] | tuple[str, _Move]], old: list[_Unit], new: list[_Unit]
) -> list[Block]:
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
        if kind == "moved-out":
            sign, lead, sep = "-", move.lead_old, old[move.old][1]
        else:
            sign, lead, sep = "+", move.lead_new, new[move.new][1]
        ops = _merge([(sign, lead), *move.ops, (sign, sep)])
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
        words = count_words(text)
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
    old_words: int | None = None,
) -> WordDiff:
    """Return the diff of two revisions (header fields and body) with stats and kind.

    `old_words` may give `count_words(old_body)` when it is known already.

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
    if old_words is None:
        old_words = count_words(old_body)
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


def _trim(ops: Iterable[Op]) -> list[Op]:
    """Drop the whitespace at both ends of a paragraph's ops, unless that is all there is."""
    trimmed = list(ops)
    while trimmed and not trimmed[0][1].strip():
        trimmed.pop(0)
    while trimmed and not trimmed[-1][1].strip():
        trimmed.pop()
    if not trimmed:
        return list(ops)
    trimmed[0] = (trimmed[0][0], trimmed[0][1].lstrip())
    trimmed[-1] = (trimmed[-1][0], trimmed[-1][1].rstrip())
    return trimmed


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
            rendered = _render_ops(_trim(block.ops), color)
            chunks.append(f"[\u2192 moved paragraph {block.move}] {rendered}")
        else:
            chunks.append(_render_ops(_trim(block.ops), color))
    if all(block.type == "equal" for block in blocks):
        chunks = ["… (body unchanged)"]
    return "\n".join(lines) + "\n\n" + "\n\n".join(chunks) + "\n"
