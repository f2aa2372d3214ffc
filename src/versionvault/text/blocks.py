"""Blocks: the body's structure, a small Markdown subset of headings, lists, quotes and tables."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Block",
    "block_words",
    "format_heading",
    "format_list",
    "format_quote",
    "format_table",
    "parse_blocks",
]

# The subset (docs/architecture.md, "Body blocks"): a block is the text between blank lines.
#   "## T" / "### T"      a heading (one line)
#   "- a\n- b"            a list: every line an item
#   "> a\n> b"            a quote: every line one of its paragraphs
#   "| a | b |\n|---|---|\n| 1 | 2 |"   a table: pipe rows, the rule after an optional header row;
#                         a "|" inside a cell is written "\|"
# Anything else is a plain paragraph (old archives hold nothing else).
_HEADING = re.compile(r"(#{2,3}) (\S.*)")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_RULE_CELL = re.compile(r":?-+:?")


@dataclass(frozen=True)
class Block:
    """One block of a body: its kind and content, and the exact text it came from."""

    kind: str  # "paragraph", "heading", "list", "quote" or "table"
    text: str  # the block as stored
    level: int = 0  # a heading's level: 2 or 3
    lines: tuple[str, ...] = ()  # a paragraph's or heading's text, list items, quote lines
    header: tuple[str, ...] = ()  # a table's header cells (none without a rule row)
    rows: tuple[tuple[str, ...], ...] = ()  # a table's other rows, each padded to the same width

    @property
    def width(self) -> int:
        """Return a table's number of columns (0 for other blocks)."""
        return max((len(r) for r in (self.header, *self.rows)), default=0)


def _cells(line: str) -> tuple[str, ...]:
    inner = line.strip()[1:-1]
    return tuple(cell.strip().replace("\\|", "|") for cell in _CELL_SPLIT.split(inner))


def _is_row(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= 2 and stripped[0] == "|" and stripped[-1] == "|"


def _is_rule(line: str) -> bool:
    return _is_row(line) and all(_RULE_CELL.fullmatch(cell) for cell in _cells(line))


def _table(text: str, lines: list[str]) -> Block:
    header: tuple[str, ...] = ()
    rest = lines
    if len(lines) >= 2 and _is_rule(lines[1]) and not _is_rule(lines[0]):
        header, rest = _cells(lines[0]), lines[2:]
    rows = [_cells(line) for line in rest]
    width = max((len(r) for r in [header, *rows]), default=0)
    pad = tuple(r + ("",) * (width - len(r)) for r in rows)
    head = header + ("",) * (width - len(header)) if header else ()
    return Block("table", text, header=head, rows=pad)


def _block(text: str) -> Block:
    lines = text.split("\n")
    if len(lines) == 1 and (heading := _HEADING.fullmatch(text)):
        return Block("heading", text, len(heading.group(1)), (heading.group(2).strip(),))
    if all(line.startswith("- ") and line[2:].strip() for line in lines):
        return Block("list", text, lines=tuple(line[2:].strip() for line in lines))
    if all(line.startswith("> ") or line == ">" for line in lines):
        return Block("quote", text, lines=tuple(line[2:].strip() for line in lines))
    if all(_is_row(line) for line in lines):
        return _table(text, lines)
    return Block("paragraph", text, lines=tuple(lines))


def parse_blocks(body: str) -> tuple[Block, ...]:
    """Return a body's blocks in order: the text between blank lines, each of a kind."""
    parts = re.split(r"\n[ \t]*\n", body.strip("\n"))
    return tuple(_block(part.strip("\n")) for part in parts if part.strip())


def block_words(block: Block) -> str:
    """Return a block's text without its markup: what a reader reads, cells space-separated."""
    if block.kind == "table":
        return "\n".join(" ".join(c for c in row if c) for row in (block.header, *block.rows))
    return "\n".join(block.lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def format_heading(text: str, level: int) -> str:
    """Return a heading block: level 2 or 3 (other levels are clamped into that range)."""
    return f"{'#' * min(max(level, 2), 3)} {_one_line(text)}"


def format_list(items: Iterable[str]) -> str:
    """Return a list block, one `- ` line per non-empty item."""
    return "\n".join(f"- {line}" for item in items if (line := _one_line(item)))


def format_quote(lines: Iterable[str]) -> str:
    """Return a quote block, one `> ` line per non-empty paragraph of the quote."""
    return "\n".join(f"> {line}" for text in lines if (line := _one_line(text)))


def format_table(rows: Sequence[Sequence[str]], header: bool = False) -> str:
    """Return a table block: pipe rows, with the rule after the first row if it is a header."""
    width = max((len(r) for r in rows), default=0)
    lines = []
    for number, row in enumerate(rows):
        cells = [_one_line(c).replace("|", "\\|") for c in row] + [""] * (width - len(row))
        lines.append("|" + "|".join(f" {c} " if c else " " for c in cells) + "|")
        if number == 0 and header:
            lines.append("|" + "---|" * width)
    return "\n".join(lines)
