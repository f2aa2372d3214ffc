"""The diff of two bodies, paragraph first: equal paragraphs, rewrites paired, moves linked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

from .core import Op, _diff_text, _merge, _seq_diff
from .moves import _MOVE_SIMILARITY, _find_moves, _Move
from .pairing import PAIR_SIMILARITY, Bag, Group, bag, pair_up, similarity
from .paragraphs import Block, _blank, _split_blocks, _Unit, _units
from .rewrites import diff_rewrite, ops_bound, rewrite_and_bound
from .tokens import tokenize

__all__ = ["Link", "align_body", "diff_body", "pair_diff"]

# What became of a new paragraph: the old paragraphs it comes from and whether its text is
# the same (equal or moved as it was); a paragraph found on the new side only has no Link.
Link: TypeAlias = tuple[tuple[int, ...], bool]
# The diff before it is cut into blocks: a run of ops, a block of its own, a break, a move.
_Part: TypeAlias = tuple[str, list[Op] | _Move | None]


@dataclass
class _Region:
    """A run of paragraphs found on one side only, between paragraphs found on both."""

    old: list[int]
    new: list[int]
    pre: tuple[str, str] = ("", "")  # differing newlines after the equal paragraph before
    groups: list[Group] = field(default_factory=list)
    ops: list[Op] | None = None  # the diff of a region of one paragraph each side, paired


class _Body:
    """The working state of one body diff."""

    def __init__(self, old: str, new: str) -> None:
        self.a = _units(old)
        self.b = _units(new)
        self.tokens: dict[str, list[str]] = {}
        self.bags: dict[str, Bag] = {}
        self.parts: list[list[Op] | _Region] = []
        self.links: dict[int, Link] = {}
        self.moves: dict[tuple[str, int], _Move] = {}

    def toks(self, text: str) -> list[str]:
        tokens = self.tokens.get(text)
        if tokens is None:
            tokens = self.tokens[text] = tokenize(text)
        return tokens

    def bag_of(self, text: str) -> Bag:
        found = self.bags.get(text)
        if found is None:
            found = self.bags[text] = bag(self.toks(text), paragraph=True)
        return found

    def pairing(self, old: list[int], new: list[int]) -> list[Group]:
        """Pair the rewritten paragraphs of a region; indices are the body's."""
        groups = pair_up(
            [self.bag_of(self.a[i][0]) for i in old], [self.bag_of(self.b[j][0]) for j in new]
        )
        return [
            Group(tuple(old[i] for i in g.old), tuple(new[j] for j in g.new), g.score)
            for g in groups
        ]

    def pair_one(self, region: _Region, exact: bool) -> None:
        """Pair the one paragraph of each side of a region from its word diff: the diff's
        lower bound settles most cases, the exact score the rest (and where moves could
        depend on it); a pair's diff is kept for its block."""
        (i,), (j,) = region.old, region.new
        (x, sep_x), (y, sep_y) = self.a[i], self.b[j]
        score, ops = pair_diff(region.pre[0] + x + sep_x, region.pre[1] + y + sep_y, exact)
        if score is None:
            score = similarity(self.bag_of(x), self.bag_of(y))
        if score >= PAIR_SIMILARITY:
            region.groups, region.ops = [Group((i,), (j,), score)], ops
        else:
            region.groups = [Group((i,), ()), Group((), (j,))]

    def plan(self) -> None:
        """Find the equal paragraphs, the regions between them, their pairs and the moves."""
        runs = self.runs()
        ia = ib = 0
        for index, (op, n) in enumerate(runs):
            if op == 0:
                first, last = self.kept(ia, ib, n, index, len(runs))
                for k in range(first, last):
                    (content, sep_a), (_, sep_b) = self.a[ia + k], self.b[ib + k]
                    self.links[ib + k] = ((ia + k,), True)
                    if sep_a == sep_b:
                        self.parts.append([("=", content + sep_a)])
                    else:
                        self.parts.extend(([("=", content)], _Region([], [], (sep_a, sep_b))))
                ia, ib = ia + n, ib + n
                continue
            if not self.parts or not isinstance(self.parts[-1], _Region):
                self.parts.append(_Region([], []))
            region = self.parts[-1]
            assert isinstance(region, _Region)
            if op == -1:
                region.old.extend(range(ia, ia + n))
                ia += n
            else:
                region.new.extend(range(ib, ib + n))
                ib += n
        regions = [part for part in self.parts if isinstance(part, _Region)]
        candidates: list[tuple[list[int], list[int]]] = []
        for region in regions:
            settled_old: set[int] = set()
            settled_new: set[int] = set()
            if len(region.old) == len(region.new) == 1:
                self.pair_one(region, len(regions) > 1)
            elif region.old and region.new:
                region.groups = self.pairing(region.old, region.new)
            for group in region.groups:
                if group.score >= _MOVE_SIMILARITY:  # edited in place, lightly: no move
                    settled_old.update(group.old)
                    settled_new.update(group.new)
            candidates.append(
                (
                    [i for i in region.old if i not in settled_old],
                    [j for j in region.new if j not in settled_new],
                )
            )
        self.moves = _find_moves(self.a, self.b, candidates, self.toks)
        for (side, index), move in self.moves.items():
            if side == "+":
                self.links[index] = ((move.old,), all(op == "=" for op, _ in move.ops))

    def runs(self) -> list[tuple[int, int]]:
        """Return the (op, count) runs of the paragraphs' diff (see `_paragraph_runs`)."""
        return _paragraph_runs(
            [content for content, _ in self.a], [content for content, _ in self.b]
        )

    def kept(self, ia: int, ib: int, n: int, index: int, runs: int) -> tuple[int, int]:
        """Return which paragraphs of the `index`th of `runs` runs, an equal one of `n`
        paragraphs from `ia` and `ib`, to keep as parts (from, to): all of them."""
        return 0, n

    def pieces(
        self, region: _Region
    ) -> list[tuple[list[int], list[int], _Move | None, _Move | None]]:
        """Cut a region at its moved paragraphs: (old, new) runs between them, each with the
        moves that end it on the old side and on the new side."""
        moved_old = [self.moves["-", i] for i in region.old if ("-", i) in self.moves]
        moved_new = [self.moves["+", j] for j in region.new if ("+", j) in self.moves]
        pieces_old = _cut(region.old, moved_old, "old")
        pieces_new = _cut(region.new, moved_new, "new")
        out: list[tuple[list[int], list[int], _Move | None, _Move | None]] = []
        for k in range(max(len(pieces_old), len(pieces_new))):
            old, out_move = pieces_old[k] if k < len(pieces_old) else ([], None)
            new, in_move = pieces_new[k] if k < len(pieces_new) else ([], None)
            out.append((old, new, out_move, in_move))
        return out

    def moved(self, region: _Region) -> bool:
        return any(("-", i) in self.moves for i in region.old) or any(
            ("+", j) in self.moves for j in region.new
        )

    def link_groups(self, groups: list[Group]) -> None:
        for group in groups:
            if group.old:
                for j in group.new:
                    self.links[j] = (group.old, False)

    def align(self) -> dict[int, Link]:
        """Return what became of each new paragraph (no word diffs are computed)."""
        self.plan()
        for part in self.parts:
            if not isinstance(part, _Region):
                continue
            if not self.moved(part):
                self.link_groups(part.groups)
                continue
            for old, new, _, _ in self.pieces(part):
                if old and new:
                    self.link_groups(self.pairing(old, new))
        return self.links

    def blocks(self) -> list[Block]:
        self.plan()
        out: list[_Part] = []
        for part in self.parts:
            if isinstance(part, _Region):
                out.extend(self.expand(part))
            else:
                out.append(("equal", part))
        return _assemble(out, self.a, self.b)

    def expand(self, region: _Region) -> list[_Part]:
        """Diff a region: paired paragraphs as blocks of their own, the rest whole."""
        if not self.moved(region):
            if region.ops is not None:
                return [("block", region.ops)]
            return self.piece(region.old, region.new, region.pre, region.groups)
        out: list[_Part] = []
        for k, (old, new, out_move, in_move) in enumerate(self.pieces(region)):
            pre = region.pre if k == 0 else ("", "")
            if not old and not new and out_move and not pre[1]:
                pre, out_move.lead_old = ("", ""), pre[0]
            elif not old and not new and in_move and not out_move and not pre[0]:
                pre, in_move.lead_new = ("", ""), pre[1]
            if old or new or any(pre):
                out.extend(self.piece(old, new, pre, None))
            if out_move is not None:
                out.append(("moved-out", out_move))
            if in_move is not None:
                out.append(("moved-in", in_move))
        return out

    def piece(
        self, old: list[int], new: list[int], pre: tuple[str, str], groups: list[Group] | None
    ) -> list[_Part]:
        a, b = self.a, self.b
        if not old or not new:
            x = pre[0] + "".join(a[i][0] + a[i][1] for i in old)
            y = pre[1] + "".join(b[j][0] + b[j][1] for j in new)
            return [("run", _diff_text(x, y))]
        pre_a, pre_b = pre
        out: list[_Part] = []
        for group in self.pairing(old, new) if groups is None else groups:
            x = "".join(a[i][0] + a[i][1] for i in group.old)
            y = "".join(b[j][0] + b[j][1] for j in group.new)
            if group.old:
                x, pre_a = pre_a + x, ""
            if group.new:
                y, pre_b = pre_b + y, ""
            if group.old and group.new:
                out.append(("block", diff_rewrite(x, y)))
            else:
                out.extend((("run", [("-", x)] if x else [("+", y)]), ("break", None)))
        return out


def pair_diff(x: str, y: str, exact: bool) -> tuple[float | None, list[Op]]:
    """Return the word diff of two paragraphs (with their newlines) alone in a region, and
    the pairing score its lower bound settles: None when the exact score must decide (the
    bound is under the threshold or, with `exact`, where moves could depend on it)."""
    ops, bound = rewrite_and_bound(x, y)
    score = ops_bound(ops) if bound is None else bound
    if score < PAIR_SIMILARITY or (exact and score < _MOVE_SIMILARITY):
        return None, ops
    return score, ops


def _paragraph_runs(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Return a minimal diff of two lists of paragraphs as (op, count) runs.

    The paragraphs both lists begin and end with are matched first (that keeps it minimal),
    so the common case of a few changed paragraphs needs no sequence diff at all.
    """
    end = min(len(a), len(b))
    head = 0
    while head < end and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < end - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    middle_a, middle_b = a[head : len(a) - tail], b[head : len(b) - tail]
    if middle_a and middle_b and (len(middle_a) > 1 or len(middle_b) > 1):
        found = _seq_diff(middle_a, middle_b)
        middle = found if found is not None else [(-1, len(middle_a)), (1, len(middle_b))]
    else:
        middle = [(-1, len(middle_a)), (1, len(middle_b))]
    runs = [(0, head), *middle, (0, tail)]
    return [(op, n) for op, n in runs if n]


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


def _assemble(parts: list[_Part], old: list[_Unit], new: list[_Unit]) -> list[Block]:
    blocks: list[Block] = []
    numbers: dict[int, int] = {}
    run: list[Op] = []

    def add(ops: list[Op], own: bool) -> None:
        if own or not _blank(ops) or not blocks or blocks[-1].move is not None:
            kind = "equal" if all(op == "=" for op, _ in ops) else "change"
            blocks.append(Block(kind, tuple(ops)))
        else:  # spacing alone joins the block before
            blocks[-1] = Block(blocks[-1].type, tuple(_merge([*blocks[-1].ops, *ops])))

    for kind, item in [*parts, ("break", None)]:
        if kind == "equal" and not run:  # an equal paragraph after a block: a block itself
            assert isinstance(item, list)
            text = item[0][1]
            if text.strip():
                blocks.append(Block("equal", (item[0],)))
            elif text:
                add(item, False)
            continue
        if kind in ("run", "equal"):
            assert isinstance(item, list)
            run.extend(item)
            if kind == "run" or not item[-1][1].endswith("\n\n"):
                continue
        for ops in _split_blocks(_merge(run)):
            add(ops, False)
        run = []
        if kind == "block":
            assert isinstance(item, list)
            add(_merge(item), True)
        elif isinstance(item, _Move):
            number = numbers.setdefault(id(item), len(numbers) + 1)
            if kind == "moved-out":
                sign, lead, sep = "-", item.lead_old, old[item.old][1]
            else:
                sign, lead, sep = "+", item.lead_new, new[item.new][1]
            ops = _merge([(sign, lead), *item.ops, (sign, sep)])
            blocks.append(Block(kind, tuple(ops), number))
    return blocks


def diff_body(old: str, new: str) -> list[Block]:
    """Return the paragraph-structured diff of two bodies, with moved paragraphs paired."""
    if old == new:
        return [Block("equal", tuple(ops)) for ops in _split_blocks([("=", old)])] if old else []
    return _Body(old, new).blocks()


def align_body(old: str, new: str) -> dict[int, Link]:
    """Return, for each paragraph of the new body found in the old one (equal, moved or
    rewritten), the old paragraphs it comes from and whether its text is the same.

    Indices count the body's paragraph units (`paragraphs._units`) from 0.
    """
    if old == new:
        return {k: ((k,), True) for k in range(len(_units(new)))}
    return _Body(old, new).align()
