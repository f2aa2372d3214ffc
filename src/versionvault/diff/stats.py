"""Comparing revisions: the diff of header fields and body, with word stats and a kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .body import diff_body
from .changes import changed_blocks
from .core import Op, diff_words
from .kinds import change_kind, is_cjk
from .paragraphs import Block
from .tokens import count_words, word_figures

__all__ = ["Stats", "WordDiff", "compare", "compare_stats"]


@dataclass(frozen=True)
class Stats:
    """Word and paragraph counts of a diff's body; see `compare` for the definitions."""

    words_added: int
    words_removed: int
    words_changed: int
    paragraphs_changed: int
    paragraphs_moved: int
    percent_changed: float
    headline_changed: bool
    chars_added: int = 0
    chars_removed: int = 0
    unit: str = "words"

    def as_dict(self) -> dict[str, object]:
        """Return the stats as JSON-ready data."""
        return {
            "words_added": self.words_added,
            "words_removed": self.words_removed,
            "words_changed": self.words_changed,
            "paragraphs_changed": self.paragraphs_changed,
            "paragraphs_moved": self.paragraphs_moved,
            "percent_changed": self.percent_changed,
            "headline_changed": self.headline_changed,
            "chars_added": self.chars_added,
            "chars_removed": self.chars_removed,
            "unit": self.unit,
        }

    def summary(self, kind: str | None = None) -> str:
        """Return a one-line summary such as ``+12 \u22123 words; headline changed``.

        CJK text is counted in characters (``+12 \u221210 characters``); a change of
        punctuation alone reads ``no word changes; +1 \u22121 characters``. Given the diff's
        kind, a slight one (whitespace, typography, formatting, punctuation) says so.
        """
        if self.unit == "characters":
            parts = [f"+{self.chars_added} \u2212{self.chars_removed} characters"]
        elif self.words_added or self.words_removed:
            parts = [f"+{self.words_added} \u2212{self.words_removed} words"]
        elif self.chars_added or self.chars_removed:
            parts = [
                "no word changes",
                f"+{self.chars_added} \u2212{self.chars_removed} characters",
            ]
        else:
            parts = ["no word changes"]
        if self.paragraphs_moved:
            s = "" if self.paragraphs_moved == 1 else "s"
            parts.append(f"{self.paragraphs_moved} paragraph{s} moved")
        if self.headline_changed:
            parts.append("headline changed")
        if kind in _SLIGHT:
            parts.append(kind)
        return "; ".join(parts)


_SLIGHT = ("whitespace", "typography", "formatting", "punctuation")


@dataclass(frozen=True)
class WordDiff:
    """The diff of two revisions: header fields, body blocks, stats and kind."""

    fields: dict[str, tuple[Op, ...]]
    body: tuple[Block, ...]
    stats: Stats
    kind: str

    def as_dict(self) -> dict[str, object]:
        """Return the diff document's stats, kind, fields and body as JSON-ready data."""
        return {
            "stats": self.stats.as_dict(),
            "kind": self.kind,
            "fields": {name: [[op, text] for op, text in ops] for name, ops in self.fields.items()},
            "body": [block.as_dict() for block in self.body],
        }

    def summary(self) -> str:
        """Return a one-line summary of the diff (``no changes`` for identical revisions)."""
        changed = any(block.type != "equal" for block in self.body) or any(
            op != "=" for ops in self.fields.values() for op, _ in ops
        )
        return self.stats.summary(self.kind) if changed else "no changes"

    @property
    def changed(self) -> bool:
        """Whether anything differs (the kind is ``unchanged`` otherwise)."""
        return self.kind != "unchanged"


def _sides(ops: Iterable[Op]) -> tuple[str, str]:
    old = "".join(text for op, text in ops if op != "+")
    new = "".join(text for op, text in ops if op != "-")
    return old, new


def _word_edits(ops: tuple[Op, ...]) -> tuple[int, int, int, int, int]:
    """Return words added, removed, and replaced (the smaller side of each -/+ pair), and the
    non-space characters added and removed."""
    added = removed = changed = chars_added = chars_removed = 0
    last_op, last_words = "=", 0
    for op, text in ops:
        if op == "=":
            last_op = "="
            continue
        words, chars = word_figures(text)
        if op == "+":
            added += words
            chars_added += chars
        else:
            removed += words
            chars_removed += chars
        if last_op not in ("=", op):
            changed += min(words, last_words)
            last_op = "="
        else:
            last_op, last_words = op, words
    return added, removed, changed, chars_added, chars_removed


def compare(
    old_fields: Mapping[str, str],
    old_body: str,
    new_fields: Mapping[str, str],
    new_body: str,
    old_words: int | None = None,
) -> WordDiff:
    """Return the diff of two revisions (header fields and body) with stats and kind.

    `old_words` may give `count_words(old_body)` when it is known already.

    Stats count body words (word tokens: words and CJK characters). ``words_changed`` is the
    number of replaced words: for each deletion next to an insertion, the smaller word count.
    ``percent_changed`` is the edited words (added + removed - changed) as a share of the old
    body's words, at most 100 (100 when the old body is empty and words were added).
    ``paragraphs_changed`` counts ``change`` blocks; ``paragraphs_moved`` counts moves.
    ``chars_added`` and ``chars_removed`` count the non-space characters of the body's edits;
    ``unit`` is ``characters`` when most words of the changed paragraphs (or, when the body
    is the same, of the headline) are CJK characters (its summary counts characters), else
    ``words``. The kind is `kinds.change_kind`'s.
    """
    names = dict.fromkeys([*old_fields, *new_fields])
    fields = {
        name: tuple(diff_words(old_fields.get(name, ""), new_fields.get(name, "")))
        for name in names
    }
    body = tuple(diff_body(old_body, new_body))
    stats, kind = _figures(old_fields, new_fields, fields.__getitem__, body, old_body, old_words)
    return WordDiff(fields=fields, body=body, stats=stats, kind=kind)


def compare_stats(
    old_fields: Mapping[str, str],
    old_body: str,
    new_fields: Mapping[str, str],
    new_body: str,
    old_words: int | None = None,
) -> tuple[Stats, str]:
    """Return the stats and kind `compare` gives, exactly, without the rest of the diff.

    Only the body's changed blocks are diffed (equal paragraphs around them are skipped,
    see `body.changed_blocks`), and of the fields, only the changed ones other than the
    headline (whose figures need only its two texts).
    """

    def field_ops(name: str) -> tuple[Op, ...]:
        return tuple(diff_words(old_fields.get(name, ""), new_fields.get(name, "")))

    blocks = changed_blocks(old_body, new_body)
    return _figures(old_fields, new_fields, field_ops, blocks, old_body, old_words)


def _figures(
    old_fields: Mapping[str, str],
    new_fields: Mapping[str, str],
    field_ops: Callable[[str], tuple[Op, ...]],
    body: Iterable[Block],
    old_body: str,
    old_words: int | None,
) -> tuple[Stats, str]:
    """Return the stats and kind of a diff from its body blocks (equal ones may be left out)
    and the word diff of each changed field (asked for only for fields besides the title)."""
    added = removed = changed = chars_added = chars_removed = 0
    moved = paragraphs = 0
    changes: list[tuple[str, str]] = []
    for block in body:
        if block.type == "equal":
            continue
        if block.type == "change" and len(block.ops) == 1:  # a paragraph inserted or deleted
            op, text = block.ops[0]
            words, chars = word_figures(text)
            if op == "+":
                added, chars_added = added + words, chars_added + chars
                changes.append(("", text))
            else:
                removed, chars_removed = removed + words, chars_removed + chars
                changes.append((text, ""))
            paragraphs += 1
            continue
        if block.type != "moved-out":
            a, r, c, ca, cr = _word_edits(block.ops)
            added, removed, changed = added + a, removed + r, changed + c
            chars_added, chars_removed = chars_added + ca, chars_removed + cr
        if block.type == "change":
            changes.append(_sides(block.ops))
            paragraphs += 1
        elif block.type == "moved-in":
            moved += 1
    if old_words is None:
        old_words = count_words(old_body)
    edited = added + removed - changed
    if old_words:
        percent = round(min(100.0, 100.0 * edited / old_words), 1)
    else:
        percent = 100.0 if edited else 0.0
    old_title, new_title = old_fields.get("title", ""), new_fields.get("title", "")
    field_edits = 0
    field_changes: list[tuple[str, str]] = []
    for name in dict.fromkeys([*old_fields, *new_fields]):
        old, new = old_fields.get(name, ""), new_fields.get(name, "")
        if old != new:  # the two sides of the field's word diff (its contract)
            field_changes.append((old, new))
            if name != "title":
                a, r, c, _, _ = _word_edits(field_ops(name))
                field_edits += a + r - c
    # The unit follows the language of the changed paragraphs (else of the headline).
    written = [text for pair in changes for text in pair] or [old_title, new_title]
    stats = Stats(
        words_added=added,
        words_removed=removed,
        words_changed=changed,
        paragraphs_changed=paragraphs,
        paragraphs_moved=moved,
        percent_changed=percent,
        headline_changed=old_title != new_title,
        chars_added=chars_added,
        chars_removed=chars_removed,
        unit="characters" if is_cjk(written) else "words",
    )
    kind = change_kind(
        changes + field_changes, moved, stats.headline_changed, edited + field_edits, percent
    )
    return stats, kind
