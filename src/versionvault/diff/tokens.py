"""Tokens of text: words, CJK characters, spaces and other graphemes, and their codes."""

from __future__ import annotations

import itertools
import re

import regex  # type: ignore[import-untyped, unused-ignore]

__all__ = ["count_words", "tokenize", "word_figures"]

# Tokens: CJK characters one by one, words (letters, digits, marks, with ' \u2019 . , inside),
# whitespace runs, and any other grapheme cluster.
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}"
_WCH = rf"[[\p{{L}}\p{{N}}\p{{M}}]--[{_CJK}]]"
_WORD_RE = rf"[{_CJK}]\p{{M}}*+|{_WCH}++(?:['\u2019.,]{_WCH}++)*+"
_TOKEN = regex.compile(rf"{_WORD_RE}|\s++|\X", regex.V1)
_WORDS = regex.compile(_WORD_RE, regex.V1)
_CJK_CHAR = regex.compile(rf"[{_CJK}]", regex.V1)
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
_ASCII_SPACES = b" \t\n\r\x0b\x0c"  # what str.split splits plain ASCII text at
# ASCII bytes as letters or digits (a), word joiners (j) and anything else (a space), so that
# its words (runs of a, joined by single js) are counted with bytes.count alone.
_ASCII_CLASSES = bytes(
    ord("a")
    if chr(code).isascii() and chr(code).isalnum()
    else ord("j" if chr(code) in "'.," else " ")
    for code in range(256)
)

# Private-use code points stand for tokens: planes 15 and 16, then the BMP area.
_CODE_RANGES = (range(0xF0000, 0xFFFFE), range(0x100000, 0x10FFFE), range(0xE000, 0xF900))
_MAX_CODES = sum(map(len, _CODE_RANGES))
_FIRST_CODES = "".join(map(chr, _CODE_RANGES[0][:4096]))  # enough for most diffs, made once
_WORD, _PUNCT, _SPACE, _LINE, _BLANK = range(5)


def _plain_ascii(text: str) -> bool:
    return (
        text.isascii()
        and "\x1c" not in text
        and "\x1d" not in text
        and "\x1e" not in text
        and "\x1f" not in text
    )


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
        return _count_ascii_words(text)
    if _COMPLEX.search(text) is None:
        return _SIMPLE_WORDS.subn("", text)[1]
    return len(_WORDS.findall(text))


def word_figures(text: str) -> tuple[int, int]:
    """Return `count_words(text)` and the number of its characters that are not spaces."""
    if _plain_ascii(text):
        encoded = text.encode("ascii")
        return _count_ascii_words(text, encoded), len(encoded.translate(None, _ASCII_SPACES))
    return count_words(text), len("".join(text.split()))


def _count_ascii_words(text: str, encoded: bytes | None = None) -> int:
    """Return the words of ASCII text as `_ASCII_WORD` finds them: runs of letters and digits,
    two runs with one joiner (' . ,) between them being one word (the pattern is faster
    below some 30 characters)."""
    if len(text) < 30:
        return _ASCII_WORDS.subn("", text)[1]
    classes = (encoded or text.encode("ascii")).translate(_ASCII_CLASSES)
    # A word starts where a run does, unless one joiner alone after a run comes before it.
    starts = classes.count(b" a") + classes.count(b" ja") + classes.count(b"jja")
    return starts + classes.startswith(b"a") + classes.startswith(b"ja")


def _words(text: str) -> list[str]:
    """Return the word tokens of text (words, and CJK characters one by one)."""
    if _plain_ascii(text):
        return _ASCII_WORDS.findall(text)
    if _COMPLEX.search(text) is None:
        return _SIMPLE_WORDS.findall(text)
    return list(_WORDS.findall(text))


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
    if len(unique) <= len(_FIRST_CODES):
        codes = dict(zip(unique, _FIRST_CODES, strict=False))
    else:
        codes = dict(zip(unique, map(chr, itertools.chain(*_CODE_RANGES)), strict=False))
    ea = "".join(map(codes.__getitem__, a))
    eb = "".join(map(codes.__getitem__, b))
    return ea, eb, dict(zip(codes.values(), codes.keys(), strict=True))
