"""Languages: a tiny detector of Chinese, Japanese, Korean or Latin text, and CJK search tokens."""

from __future__ import annotations

import re

__all__ = ["CJK_RUN", "cjk_tokens", "detect_language", "language_of", "word_tokens"]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KANA = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HANGUL = "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
CJK_RUN = re.compile(f"[{_HAN}{_KANA}{_HANGUL}]+")
"""A run of characters of a script written without spaces between words."""
_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_SAMPLE = 4000
_WORD = re.compile(r"\w+")


def detect_language(text: str) -> str:
    """Return `ja`, `ko` or `zh` for text mostly in those scripts, else `en`.

    Kana anywhere makes Japanese; Hangul, Korean; Han characters alone, Chinese. A text is
    taken as CJK when such characters are at least a fifth of its letters.
    """
    sample = text[:_SAMPLE]
    letters = sum(1 for c in sample if c.isalpha())
    if not letters:
        return "en"
    kana = len(re.findall(f"[{_KANA}]", sample))
    hangul = len(re.findall(f"[{_HANGUL}]", sample))
    han = len(re.findall(f"[{_HAN}]", sample))
    if (kana + hangul + han) * 5 < letters:
        return "en"
    if kana:
        return "ja"
    if hangul > han:
        return "ko"
    return "zh"


def language_of(declared: str, text: str) -> str:
    """Return a declared language tag when it looks like one, else the detected language."""
    tag = declared.strip()
    return tag if _TAG.fullmatch(tag) else detect_language(text)


def word_tokens(word: str) -> list[str]:
    """Return the search tokens of one word: each CJK character alone, other runs whole.

    `约2100人次` gives `约 2100 人 次`: a phrase of these finds a Chinese or Japanese word
    anywhere inside a run of text that has no spaces.
    """
    tokens: list[str] = []
    last = 0
    for match in CJK_RUN.finditer(word):
        if match.start() > last:
            tokens.append(word[last : match.start()])
        tokens.extend(match.group())
        last = match.end()
    if last < len(word):
        tokens.append(word[last:])
    return tokens


def cjk_tokens(text: str) -> str:
    """Return the search tokens of the words of `text` that hold CJK characters, in order.

    Indexed beside the words, they let a phrase of single characters match inside a run.
    """
    return " ".join(
        t for word in _WORD.findall(text) if CJK_RUN.search(word) for t in word_tokens(word)
    )
