"""Word-level diffs of article revisions: tokens, minimal diffs, moved paragraphs and stats."""

from __future__ import annotations

from .blame import BlameBlock, blame_step
from .body import align_body, diff_body
from .core import Op, diff_words
from .paragraphs import Block
from .render import render_text
from .stats import Stats, WordDiff, compare, compare_stats
from .tokens import count_words, tokenize

__all__ = [
    "BlameBlock",
    "Block",
    "Op",
    "Stats",
    "WordDiff",
    "align_body",
    "blame_step",
    "compare",
    "compare_stats",
    "count_words",
    "diff_body",
    "diff_words",
    "render_text",
    "tokenize",
]
