"""Paragraphs: a body split into paragraph units, and diff ops cut into paragraph blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

from .core import Op, _merge

__all__ = ["Block"]

# Body items: paragraph texts and the newline runs between them (and the final newlines).
_ITEMS = re.compile(r"(\n(?:\n+|\Z))")
_PARA_BREAK = re.compile(r"\n\n+")

_Unit: TypeAlias = tuple[str, str]  # a paragraph's text and the newlines after it


def _normalised(text: str) -> bool:
    """Tell whether text has single blank lines between paragraphs and one final newline;
    then its units' newlines depend only on their places (see `_units`)."""
    return len(text) > 1 and text[-1] == "\n" and text[-2] != "\n" and "\n\n\n" not in text


def _units(text: str) -> list[_Unit]:
    """Split text into paragraphs with their newlines; the final newlines are a unit alone."""
    if _normalised(text):
        # A normalised body: paragraphs between single blank lines, one final newline.
        contents = text[:-1].split("\n\n")
        return [*((content, "\n\n") for content in contents[:-1]), (contents[-1], ""), ("", "\n")]
    return _split_units(text)


def _split_units(text: str) -> list[_Unit]:
    """`_units` for any text."""
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


def _blank(ops: list[Op]) -> bool:
    return all(op == "=" and text.isspace() for op, text in ops)


def _split_paragraphs(op: str, text: str) -> list[list[Op]]:
    """Cut a lone deletion or insertion into one block per paragraph."""
    blocks: list[list[Op]] = []
    start = 0
    last = len(text.rstrip())  # text follows a break that ends before this
    for match in _PARA_BREAK.finditer(text):
        if match.end() < last and text[start : match.start()].strip():
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
