"""The diff of two bodies, paragraph first: equal paragraphs, changed regions and moves."""

from __future__ import annotations

from dataclasses import dataclass

from .core import (
    Op,
    _align,
    _diff_chunks,
    _diff_text,
    _diff_tokens,
    _merge,
    _seq_diff,
    _surely_costly,
)
from .moves import _MOVE_SIMILARITY, _find_moves, _Move
from .paragraphs import Block, _split_blocks, _Unit, _units
from .tokens import count_words, tokenize

__all__ = ["diff_body"]


@dataclass
class _Region:
    """A run of paragraphs found on one side only, between paragraphs found on both."""

    old: list[int]
    new: list[int]
    pre: tuple[str, str] = ("", "")  # differing newlines after the equal paragraph before
    ops: list[Op] | None = None
    settled: bool = False


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
        unsettled = [(region.old, region.new) for region in regions if not region.settled]
        moves = _find_moves(self.a, self.b, unsettled, self.toks)
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
