"""Text rendering of a diff, in the style of git's word diff."""

from __future__ import annotations

from collections.abc import Iterable

from .core import Op
from .stats import WordDiff, _sides

__all__ = ["render_text"]

_RED, _GREEN, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[0m"
_CONTEXT = 200


def _trim(ops: Iterable[Op]) -> list[Op]:
    """Drop the whitespace at both ends of a paragraph's ops, unless that is all there is."""
    trimmed = list(ops)
    while trimmed and not trimmed[0][1].strip():
        trimmed.pop(0)
    while trimmed and not trimmed[-1][1].strip():
        trimmed.pop()
    if not trimmed:
        return list(ops)
    trimmed[0] = (trimmed[0][0], trimmed[0][1].lstrip())
    trimmed[-1] = (trimmed[-1][0], trimmed[-1][1].rstrip())
    return trimmed


def _render_ops(ops: Iterable[Op], color: bool) -> str:
    out: list[str] = []
    for op, text in ops:
        if op == "=":
            out.append(text)
        else:
            mark = f"[-{text}-]" if op == "-" else f"{{+{text}+}}"
            out.append(f"{_RED if op == '-' else _GREEN}{mark}{_RESET}" if color else mark)
    return "".join(out)


def _shorten(text: str, head: bool, tail: bool) -> str:
    if len(text) <= 2 * _CONTEXT:
        return text
    if head and tail:
        return f"{text[: _CONTEXT // 2]} … {text[-_CONTEXT // 2 :]}"
    return f"{text[:_CONTEXT]} …" if head else f"… {text[-_CONTEXT:]}"


def render_text(diff: WordDiff, color: bool = False) -> str:
    """Return the diff as text: changed fields and the title, then the body's changes.

    Deletions read ``[-old-]``, insertions ``{+new+}`` (red and green with color); equal
    paragraphs next to a change are shown (long ones shortened), the others elided to ``…``.
    """
    lines = [
        f"{name}: {_render_ops(ops, color)}"
        for name, ops in diff.fields.items()
        if name == "title" or any(op != "=" for op, _ in ops)
    ]
    chunks: list[str] = []
    blocks = diff.body
    for k, block in enumerate(blocks):
        if block.type == "equal":
            after = k > 0 and blocks[k - 1].type != "equal"
            before = k + 1 < len(blocks) and blocks[k + 1].type != "equal"
            text = "".join(text for _, text in block.ops).strip()
            if not text:
                continue
            if before or after:
                chunks.append(_shorten(text, after, before))
            elif not chunks or chunks[-1] != "…":
                chunks.append("…")
        elif block.type == "moved-out":
            old = _shorten(_sides(block.ops)[0].strip(), True, False)
            chunks.append(f"[moved paragraph {block.move} \u2192] {old}")
        elif block.type == "moved-in":
            rendered = _render_ops(_trim(block.ops), color)
            chunks.append(f"[\u2192 moved paragraph {block.move}] {rendered}")
        else:
            chunks.append(_render_ops(_trim(block.ops), color))
    if all(block.type == "equal" for block in blocks):
        chunks = ["… (body unchanged)"]
    return "\n".join(lines) + "\n\n" + "\n\n".join(chunks) + "\n"
