"""HTML body: layout tables undone before extraction, and trafilatura's XML read into pieces."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from .article import normalize_line
from .blocks import format_heading, format_list, format_quote, format_table

__all__ = ["Piece", "Span", "format_pieces", "pieces_of", "undo_layout_tables"]

# -- layout tables ----------------------------------------------------------------------------
# Old pages lay the whole page out in <table>s: the article is a cell, the menus are cells. A
# layout table is not a table of the text, so it becomes plain <div>s before extraction, as
# readers' modes do; a table of figures (a header row, short cells) stays a table.

_LONG_CELL = 30
_TABLE_PARTS = "./thead|./tbody|./tfoot|./tr|./*/tr|./tr/td|./tr/th|./*/tr/td|./*/tr/th"


def _is_layout(table: Any) -> bool:
    if table.get("role", "").lower() in ("presentation", "none"):
        return True
    if table.xpath(".//table"):
        return True
    if table.xpath("./caption|./thead|./tr/th|./*/tr/th"):
        return False
    rows = table.xpath("./tr|./*/tr")
    if all(len(row.xpath("./td|./th")) <= 1 for row in rows):
        return True
    cells = table.xpath("./tr/td|./*/tr/td")
    return any(len(cell.text_content().split()) > _LONG_CELL for cell in cells)


def undo_layout_tables(tree: Any) -> None:
    """Turn every layout table of an lxml HTML tree into <div>s, in place."""
    layout = [table for table in tree.iter("table") if _is_layout(table)]
    for table in layout:
        for part in table.xpath(_TABLE_PARTS):
            part.tag = "div"
        for extra in table.xpath("./caption|./colgroup|./col"):
            extra.drop_tree()
        table.tag = "div"


# -- trafilatura's XML ------------------------------------------------------------------------
# trafilatura (output_format="xml") gives <p>, <head rend="h2">, <list><item>, <quote>, <table>
# <row><cell role="head">, with <lb/> line breaks and <ref> links; other tags are containers.

_BLOCKS = frozenset({"p", "head", "list", "quote", "table", "div", "section", "code", "main"})
_SKIP = frozenset({"graphic", "comments", "figure"})


@dataclass(frozen=True)
class Span:
    """One line of text, the part of it outside links, and how many links it holds."""

    text: str
    unlinked: str
    links: int


@dataclass(frozen=True)
class Piece:
    """One block as extracted: its kind, its lines (with their links), and for a table its rows."""

    kind: str  # "paragraph", "heading", "list", "quote" or "table"
    spans: tuple[Span, ...] = ()
    level: int = 0  # a heading's level in the page, 1 to 6
    rows: tuple[tuple[str, ...], ...] = ()
    header: bool = False

    @property
    def text(self) -> str:
        """Return the piece's words on one line (a table's cells space-separated)."""
        if self.kind == "table":
            return " ".join(c for row in self.rows for c in row if c)
        return " ".join(s.text for s in self.spans)

    @property
    def unlinked(self) -> str:
        """Return the piece's text outside links."""
        return " ".join(s.unlinked for s in self.spans if s.unlinked)

    @property
    def links(self) -> int:
        """Return how many links the piece holds."""
        return sum(s.links for s in self.spans)


class _Line:
    def __init__(self) -> None:
        self.text: list[str] = []
        self.unlinked: list[str] = []
        self.links = 0

    def add(self, text: str | None, linked: bool) -> None:
        if text:
            self.text.append(text)
            if not linked:
                self.unlinked.append(text)

    def span(self) -> Span:
        return Span(
            normalize_line("".join(self.text)), normalize_line("".join(self.unlinked)), self.links
        )


def _collect(element: Any, lines: list[_Line], linked: bool, skip: frozenset[str]) -> None:
    lines[-1].add(element.text, linked)
    for child in element:
        if child.tag == "lb":
            lines.append(_Line())
        elif child.tag in skip:
            pass
        elif child.tag == "ref":
            lines[-1].links += 1
            _collect(child, lines, True, skip)
        else:
            _collect(child, lines, linked, skip)
        lines[-1].add(child.tail, linked)


def _spans(element: Any, skip: frozenset[str] = _SKIP) -> list[Span]:
    """Return an element's lines (split at <lb/>), empty ones left out."""
    lines = [_Line()]
    _collect(element, lines, False, skip)
    return [s for s in (line.span() for line in lines) if s.text]


def _joined(spans: list[Span]) -> Span:
    return Span(
        " ".join(s.text for s in spans),
        " ".join(s.unlinked for s in spans if s.unlinked),
        sum(s.links for s in spans),
    )


def _list_items(element: Any) -> list[Span]:
    items: list[Span] = []
    for item in element.iter("item"):
        spans = _spans(item, _SKIP | {"list"})
        if spans:
            items.append(_joined(spans))
    return items


def _table(element: Any) -> Piece | None:
    rows: list[tuple[str, ...]] = []
    header = False
    for number, row in enumerate(element.iter("row")):
        cells = row.findall("cell")
        texts = tuple(normalize_line(" ".join(c.itertext())) for c in cells)
        if not any(texts):
            continue
        if number == 0:
            header = bool(cells) and all(c.get("role") == "head" for c in cells)
        rows.append(texts)
    if not rows:
        return None
    if len(rows) == 1 and sum(1 for c in rows[0] if c) == 1:
        text = next(c for c in rows[0] if c)
        return Piece("paragraph", (Span(text, text, 0),))
    return Piece("table", rows=tuple(rows), header=header)


def _walk(element: Any, out: list[Piece]) -> None:
    tag = element.tag
    if tag in _SKIP or not isinstance(tag, str):
        return
    if tag == "head":
        rend = element.get("rend", "")
        level = int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
        if spans := _spans(element):
            out.append(Piece("heading", (_joined(spans),), level))
    elif tag == "list":
        if items := _list_items(element):
            out.append(Piece("list", tuple(items)))
    elif tag == "quote":
        inner: list[Piece] = []
        _mixed(element, inner)
        if lines := [s for piece in inner for s in piece.spans]:
            out.append(Piece("quote", tuple(lines)))
    elif tag == "table":
        if (table := _table(element)) is not None:
            out.append(table)
    elif tag in ("p", "code") or not any(child.tag in _BLOCKS for child in element):
        out.extend(Piece("paragraph", (span,)) for span in _spans(element))
    else:
        _mixed(element, out)


def _mixed(element: Any, out: list[Piece]) -> None:
    """Walk a container whose text and inline children lie between block children."""
    run = element.makeelement("p", {})
    run.text = element.text
    for child in element:
        if child.tag in _BLOCKS:
            _walk(run, out)
            _walk(child, out)
            run = element.makeelement("p", {})
            run.text = child.tail
        else:
            run.append(copy.copy(child))
    _walk(run, out)


def pieces_of(document: Any) -> list[Piece]:
    """Return the pieces of trafilatura's XML document (its <main>), in order."""
    main = document.find("main")
    out: list[Piece] = []
    if main is not None:
        _mixed(main, out)
    return out


def format_pieces(pieces: list[Piece] | tuple[Piece, ...]) -> str:
    """Return pieces as a body: blocks between blank lines; the page's top heading level is ##."""
    levels = sorted({p.level for p in pieces if p.kind == "heading"})
    blocks: list[str] = []
    for piece in pieces:
        if piece.kind == "heading":
            blocks.append(format_heading(piece.text, 2 if piece.level == levels[0] else 3))
        elif piece.kind == "list":
            blocks.append(format_list(s.text for s in piece.spans))
        elif piece.kind == "quote":
            blocks.append(format_quote(s.text for s in piece.spans))
        elif piece.kind == "table":
            blocks.append(format_table(piece.rows, piece.header))
        else:
            blocks.append(piece.text)
    return "\n\n".join(b for b in blocks if b)
