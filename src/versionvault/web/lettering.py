"""Lettering: system fonts with fallback by character, and word-wrapped text with diff marks."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageDraw, ImageFont

__all__ = [
    "MISSING",
    "FontChain",
    "Ink",
    "Piece",
    "draw_lines",
    "ellipsize",
    "fit_lines",
    "font_chain",
    "one_line",
]

MISSING = "\u25a1"
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_NOTO = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
_FACES = {
    "serif": ["DejaVuSerif.ttf", "DejaVuSans.ttf"],
    "serif-bold": ["DejaVuSerif-Bold.ttf", "DejaVuSans-Bold.ttf"],
    "sans": ["DejaVuSans.ttf"],
    "sans-bold": ["DejaVuSans-Bold.ttf"],
}
_CJK = {"serif": "Regular", "serif-bold": "Bold", "sans": "Regular", "sans-bold": "Bold"}
_CJK_SC = 2  # Simplified Chinese forms in Noto's collection
_WIDE = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff"
_TOKEN = re.compile(f"\n|[^\\S\n]+|[{_WIDE}]|[^\\s{_WIDE}]+")
Font = ImageFont.FreeTypeFont


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Me", "Cf") or "\ufe00" <= ch <= "\ufe0f"


class FontChain:
    """Fonts tried in order for each character; a character none has becomes MISSING."""

    def __init__(self, fonts: Sequence[Font]) -> None:
        self.fonts = tuple(fonts)
        self.size = self.fonts[0].size
        self._notdef = [self._shape(f, "\uffff") for f in self.fonts]
        self._found: dict[str, int] = {}

    @staticmethod
    def _shape(font: Font, ch: str) -> tuple[tuple[int, int], bytes]:
        mask = font.getmask(ch)
        return mask.size, bytes(mask)

    def index(self, ch: str) -> int:
        """Return which font draws `ch` (-1: none does)."""
        if ch not in self._found:
            self._found[ch] = next(
                (
                    k
                    for k, font in enumerate(self.fonts)
                    if self._shape(font, ch) != self._notdef[k]
                ),
                -1,
            )
        return self._found[ch]

    def runs(self, text: str) -> list[tuple[str, Font]]:
        """Split text into runs drawn by one font each; uncovered characters become MISSING."""
        runs: list[tuple[str, int]] = []
        for ch in text:
            if _is_mark(ch) and runs:
                runs[-1] = (runs[-1][0] + ch, runs[-1][1])
                continue
            k = 0 if ch.isspace() else self.index(ch)
            if k < 0:
                ch, k = MISSING, 0
            if runs and runs[-1][1] == k:
                runs[-1] = (runs[-1][0] + ch, k)
            else:
                runs.append((ch, k))
        return [(part, self.fonts[k]) for part, k in runs]

    def coverage(self, text: str) -> float:
        """Return the share of the text's visible characters some font can draw."""
        shown = [ch for ch in text if not ch.isspace() and not _is_mark(ch)]
        return sum(self.index(ch) >= 0 for ch in shown) / len(shown) if shown else 1.0

    def width(self, text: str) -> float:
        """Return the drawn width of text."""
        return sum(font.getlength(part) for part, font in self.runs(text))


def _candidates(face: str) -> list[tuple[Path, int]]:
    found = [(_DEJAVU / name, 0) for name in _FACES[face]]
    for folder in _NOTO:
        found.append((folder / f"NotoSansCJK-{_CJK[face]}.ttc", _CJK_SC))
    return [(path, index) for path, index in found if path.is_file()]


@functools.lru_cache(maxsize=32)
def font_chain(face: str, size: int) -> FontChain:
    """Return the fallback chain of a face ('serif', 'serif-bold', 'sans', 'sans-bold')."""
    fonts = [ImageFont.truetype(str(path), size, index=index) for path, index in _candidates(face)]
    if not fonts:
        packaged = ImageFont.load_default(size)  # Pillow's own font: Latin only, always there
        if not isinstance(packaged, ImageFont.FreeTypeFont):
            raise RuntimeError("Pillow was built without FreeType: share cards need it")
        fonts = [packaged]
    return FontChain(fonts)


@dataclass(frozen=True)
class Piece:
    """A stretch of one line: text, its diff mark ('=', '+' or '-') and width."""

    text: str
    mark: str
    width: float


def _is_rtl(text: str) -> bool:
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def fit_lines(
    spans: Sequence[tuple[str, str]], chain: FontChain, width: float, max_lines: int
) -> tuple[list[list[Piece]], bool]:
    """Wrap marked spans (a newline breaks the line) into at most `max_lines` lines.

    Return the lines and whether everything fitted.
    """
    lines: list[list[Piece]] = [[]]
    used = 0.0
    space = chain.width(" ")

    def add(text: str, mark: str, size: float) -> None:
        nonlocal used
        lines[-1].append(Piece(text, mark, size))
        used += size

    def new_line() -> bool:
        nonlocal used
        while lines[-1] and lines[-1][-1].text == " ":
            lines[-1].pop()
        if len(lines) == max_lines:
            return False
        lines.append([])
        used = 0.0
        return True

    for mark, text in spans:
        for token in _TOKEN.findall(text):
            if token == "\n":
                if lines[-1] and not new_line():
                    return _trimmed(lines), False
                continue
            if token.isspace():
                if lines[-1]:
                    add(" ", mark, space)
                continue
            size = chain.width(token)
            if size <= width - used:
                add(token, mark, size)
            elif size <= width:
                if not new_line():
                    return _trimmed(lines), False
                add(token, mark, size)
            else:  # wider than a line: break it wherever it must
                while token:
                    head = _prefix(token, chain, width - used) or ("" if lines[-1] else token[0])
                    if head:
                        add(head, mark, chain.width(head))
                    token = token[len(head) :]
                    if token and not new_line():
                        return _trimmed(lines), False
    return _trimmed(lines), True


def _prefix(token: str, chain: FontChain, room: float) -> str:
    """Return the longest start of a token that fits in `room` (for words wider than a line)."""
    end = 0
    while end < len(token) and chain.width(token[: end + 1]) <= room:
        end += 1
    return token[:end]


def _trimmed(lines: list[list[Piece]]) -> list[list[Piece]]:
    for line in lines:
        while line and line[-1].text == " ":
            line.pop()
    return [line for line in lines if line]


def ellipsize(line: list[Piece], chain: FontChain, width: float) -> list[Piece]:
    """Return the line with an ellipsis at its end, shortened until it fits."""
    dots = chain.width(" \u2026")
    pieces = list(line)
    while pieces and sum(p.width for p in pieces) + dots > width:
        last = pieces.pop()
        if len(last.text) > 1:
            shorter = last.text[:-1]
            pieces.append(Piece(shorter, last.mark, chain.width(shorter)))
    while pieces and pieces[-1].text == " ":
        pieces.pop()
    mark = pieces[-1].mark if pieces else "="
    return [*pieces, Piece(" \u2026", mark, dots)]


@dataclass(frozen=True)
class Ink:
    """The colours of plain, inserted and deleted text."""

    text: str
    ins_text: str
    ins_back: str
    del_text: str
    del_back: str


def draw_lines(
    draw: ImageDraw.ImageDraw,
    lines: Sequence[Sequence[Piece]],
    chain: FontChain,
    box: tuple[int, int, int],
    leading: float,
    ink: Ink,
) -> int:
    """Draw lines from (left, top) within `width`, right to left for RTL text; return the end y."""
    left, top, width = box
    ascent = max(font.getmetrics()[0] for font in chain.fonts[:1])
    y = float(top)
    for line in lines:
        rtl = _is_rtl("".join(p.text for p in line))
        x = float(left + width) if rtl else float(left)
        baseline = y + ascent
        for piece in line:
            start = x - piece.width if rtl else x
            _mark(draw, piece, start, y, chain.size * leading, baseline, ink)
            offset = 0.0
            for part, font in chain.runs(piece.text):
                color = {"+": ink.ins_text, "-": ink.del_text}.get(piece.mark, ink.text)
                draw.text((start + offset, baseline), part, font=font, fill=color, anchor="ls")
                offset += font.getlength(part)
            x = start if rtl else x + piece.width
        y += chain.size * leading
    return round(y)


def _mark(
    draw: ImageDraw.ImageDraw,
    piece: Piece,
    x: float,
    y: float,
    height: float,
    baseline: float,
    ink: Ink,
) -> None:
    if piece.mark == "=":
        return
    back = ink.ins_back if piece.mark == "+" else ink.del_back
    line = ink.ins_text if piece.mark == "+" else ink.del_text
    draw.rectangle((x, y + height * 0.08, x + piece.width, y + height * 0.92), fill=back)
    if piece.mark == "+":
        draw.line((x, baseline + 5, x + piece.width, baseline + 5), fill=line, width=3)
    else:
        middle = baseline - height * 0.27
        draw.line((x, middle, x + piece.width, middle), fill=line, width=3)


def one_line(
    draw: ImageDraw.ImageDraw, text: str, chain: FontChain, at: tuple[float, float], fill: str
) -> float:
    """Draw one line of text with its baseline at `at`; return where it ends."""
    x, baseline = at
    for part, font in chain.runs(text):
        draw.text((x, baseline), part, font=font, fill=fill, anchor="ls")
        x += font.getlength(part)
    return x
