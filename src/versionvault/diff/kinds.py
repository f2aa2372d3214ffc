"""Kinds of change: spacing, typography, markup or punctuation alone, minor, substantive."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .core import _TYPOGRAPHY
from .tokens import _CJK_CHAR, _words, count_words

__all__ = ["KINDS", "change_kind", "is_cjk"]

# From the slightest to the strongest; `unchanged` for identical revisions.
KINDS = (
    "unchanged",
    "whitespace",
    "typography",
    "formatting",
    "punctuation",
    "minor",
    "substantive",
)

_DASHES = re.compile(r"-+")
_NOT_ALNUM = re.compile(r"[\W_]+")
_ASCII_NOT_ALNUM = bytes(code for code in range(128) if not chr(code).isalnum())
# The body's Markdown subset: `## `/`### ` headings, `- ` list items, `> ` quotes, pipe tables.
_LINE_MARKUP = re.compile(r"^(?:#{2,3} |- |> )+", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\|?[ :\-|]*-[ :\-|]*\|?$", re.MULTILINE)
_TABLE_ROW = re.compile(r"^\|.*$", re.MULTILINE)


def _no_space(text: str) -> str:
    return "".join(text.split())


def _typography(text: str) -> str:
    return _DASHES.sub("-", _no_space(text.translate(_TYPOGRAPHY)))


def _unmarked(text: str) -> str:
    """Return text without its structure markup (which only lines of the body carry)."""
    text = _TABLE_RULE.sub("", text)
    text = _TABLE_ROW.sub(lambda row: row.group().replace("|", " "), text)
    return _typography(_LINE_MARKUP.sub("", text))


def _wording(text: str) -> list[str]:
    return _words(text.translate(_TYPOGRAPHY))


def _alnum(text: str) -> str | bytes:
    """Return the letters and digits of text (as bytes for ASCII text, which is faster)."""
    if text.isascii():
        return text.encode("ascii").translate(None, _ASCII_NOT_ALNUM)
    return _NOT_ALNUM.sub("", text).encode()


def _same(changes: list[tuple[str, str]], key: Callable[[str], object]) -> bool:
    return all(key(a) == key(b) for a, b in changes)


def change_kind(
    changes: list[tuple[str, str]], moved: int, headline: bool, edited: int, percent: float
) -> str:
    """Return the kind of a diff from the (old, new) texts of its changed parts.

    ``unchanged`` when nothing changed; ``whitespace`` when the changes differ only in
    spacing; ``typography`` when only in quotes, apostrophes, dashes, ellipses and spacing;
    ``formatting`` when only in structure markup (headings, list items, quotes, table rules
    and pipes) besides those; ``punctuation`` when their words are the same, in the same
    order (only punctuation marks came or went); ``minor`` when the headline is the same,
    nothing moved and at most 3 words were edited or under 2 % of the body's words; else
    ``substantive``."""
    if not changes and not moved:
        return "unchanged"
    # Every slight kind keeps the letters and digits as they were: test that first.
    if not moved and _same(changes, _alnum):
        for kind, key in (
            ("whitespace", _no_space),
            ("typography", _typography),
            ("formatting", _unmarked),
            ("punctuation", _wording),
        ):
            if _same(changes, key):
                return kind
    if not moved and not headline and (edited <= 3 or percent < 2.0):
        return "minor"
    return "substantive"


def is_cjk(texts: Iterable[str]) -> bool:
    """Tell whether most of the word tokens of the texts are CJK characters."""
    texts = list(texts)
    if all(map(str.isascii, texts)):
        return False
    cjk = total = 0
    for text in texts:
        total += count_words(text)
        if not text.isascii():
            cjk += len(_CJK_CHAR.findall(text))
    return total > 0 and 2 * cjk > total
