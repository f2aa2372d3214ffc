"""Generated rewrites for the diff tests: paragraphs reworded, split, merged, reordered, cut."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from hypothesis import strategies as st

__all__ = ["reword", "rewrite"]

Touch = Callable[[st.DrawFn, str], str]  # one paragraph changed in place (reworded, ...)


def rewrite(
    draw: st.DrawFn,
    old: list[str],
    paragraph: st.SearchStrategy[str],
    actions: list[str],
    touches: Mapping[str, Touch],
    edits: tuple[int, int] = (1, 6),
) -> list[str]:
    """Return `old` after a drawn number (within `edits`) of drawn `actions`: "insert" (a new
    `paragraph`), "split", "merge", "reorder", "delete", or a name in `touches`."""
    new = list(old)
    for _ in range(draw(st.integers(*edits))):
        action = draw(st.sampled_from(actions))
        if not new or action == "insert":
            new.insert(draw(st.integers(0, len(new))), draw(paragraph))
            continue
        k = draw(st.integers(0, len(new) - 1))
        words = new[k].split(" ")
        if action in touches:
            new[k] = touches[action](draw, new[k])
        elif action == "split" and len(words) > 3:
            cut = draw(st.integers(1, len(words) - 1))
            new[k : k + 1] = [" ".join(words[:cut]), " ".join(words[cut:])]
        elif action == "merge" and k + 1 < len(new):
            new[k : k + 2] = [new[k] + " " + new[k + 1]]
        elif action == "reorder":
            new.insert(draw(st.integers(0, len(new) - 1)), new.pop(k))
        elif action == "delete":
            del new[k]
    return new


def reword(draw: st.DrawFn, paragraph: str, vocabulary: list[str], fewest: int = 1) -> str:
    """Return `paragraph` after 1-6 words replaced, inserted or deleted (down to `fewest`)."""
    words = paragraph.split(" ")
    for _ in range(draw(st.integers(1, 6))):
        k = draw(st.integers(0, len(words) - 1))
        action = draw(st.sampled_from(["replace", "insert", "delete"]))
        if action == "replace":
            words[k] = draw(st.sampled_from(vocabulary))
        elif action == "insert":
            words.insert(k, draw(st.sampled_from(vocabulary)))
        elif len(words) > fewest:
            del words[k]
    return " ".join(words)
