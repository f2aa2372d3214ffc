"""Tests for the site's pure view models: diff items, folded lines, timeline, snippets."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from versionvault.archive import Revision
from versionvault.diff import compare
from versionvault.web.articles import snippet
from versionvault.web.caching import Freshness, is_full_sha
from versionvault.web.diffs import Fold, Para, body_items, pieces
from versionvault.web.timeline import build_timeline

MOVING = "Fourth is moving somewhere else now."
OLD = "\n\n".join(["First paragraph here.", "Two.", "Three.", MOVING, "Five.", "Six."]) + "\n"
NEW = "\n\n".join(["First paragraph, changed.", "Two.", "Three.", "Five.", "Six.", MOVING]) + "\n"


def _revision(number: int, observed: str, added: int = 1, removed: int = 0) -> Revision:
    return Revision(
        article="a",
        source="s",
        number=number,
        commit=f"{number:040x}",
        blob="0" * 40,
        author="s <s@x.invalid>",
        editor="",
        author_time=observed,
        observed=observed,
        archived=observed,
        title="T",
        url="",
        words=10,
        words_added=added,
        words_removed=removed,
        kind="minor",
        headline_changed=number == 2,
        note="",
    )


def test_body_items_number_changes_and_pair_moves() -> None:
    blocks = compare({}, OLD, {}, NEW).body
    items, changes, folded = body_items(blocks, context=1, show_all=False)
    paras = [i for i in items if isinstance(i, Para) and i.kind != "equal"]
    assert [p.number for p in paras] == list(range(1, changes + 1))
    kinds = {p.kind for p in paras}
    if "moved-out" in kinds:
        out = next(p for p in paras if p.kind == "moved-out")
        into = next(p for p in paras if p.kind == "moved-in")
        assert out.move == into.move and out.direction == "down" and into.direction == "up"
    everything, _, none = body_items(blocks, context=1, show_all=True)
    assert none == 0 and not any(isinstance(i, Fold) for i in everything)
    shown = sum(len(i.paras) if isinstance(i, Fold) else 1 for i in items)
    assert shown == len(everything)
    assert folded == sum(len(i.paras) for i in items if isinstance(i, Fold))


def test_numbering_starts_after_the_fields() -> None:
    blocks = compare({}, OLD, {}, NEW).body
    items, changes, _ = body_items(blocks, 1, True, first_number=3)
    numbers = [i.number for i in items if isinstance(i, Para) and i.kind != "equal"]
    assert numbers[0] == 3 and numbers[-1] == changes + 2


_line = st.text(alphabet="ab \n", max_size=12)
_ops = st.lists(st.tuples(st.sampled_from(["=", "=", "=", "+", "-"]), _line), max_size=30)


@given(_ops, st.booleans(), st.integers(0, 3))
def test_pieces_keep_every_op_in_order(
    ops: list[tuple[str, str]], show_all: bool, context: int
) -> None:
    found = pieces(tuple(ops), show_all, context)
    assert "".join(t for p in found for _, t in p.ops) == "".join(t for _, t in ops)
    for piece in found:
        if piece.folded:
            assert all(op == "=" for op, _ in piece.ops) and piece.lines >= 3
    assert all(not (a.folded and b.folded) for a, b in itertools.pairwise(found))


def test_pieces_fold_far_unchanged_lines() -> None:
    lines = [("=", f"- item {k}\n") for k in range(10)]
    ops = (*lines[:5], ("-", "old"), ("+", "new"), ("=", "\n"), *lines[5:])
    found = pieces(ops, False)
    assert [p.folded for p in found] == [True, False, True]
    assert found[0].lines == 4 and found[2].lines == 4
    assert pieces(ops, True) == (pieces(ops, True)[0],)


def test_timeline_places_bars_by_time() -> None:
    revisions = [
        _revision(1, "2024-01-01T00:00:00+00:00", 500),
        _revision(2, "2024-01-02T00:00:00+00:00", 3, 2),
        _revision(3, "2024-12-31T00:00:00+00:00", 40, 1),
    ]
    line = build_timeline(revisions, lambda r: f"/d/{r.number}")
    xs = [b.x for b in line.bars]
    assert xs == sorted(xs) and xs[2] - xs[1] > 10 * (xs[1] - xs[0])
    heights = [b.height for b in line.bars]
    assert heights[0] > heights[2] > heights[1] > 0
    assert all(b.y + b.height == line.baseline for b in line.bars)
    assert line.bars[0].kind == "first" and line.bars[1].headline
    assert line.bars[2].href == "/d/3" and "Revision 3: +40" in line.bars[2].label
    assert line.ticks[0].label == "Jan 2024" and len(line.ticks) >= 2


def test_timeline_of_one_moment_spreads_bars() -> None:
    same = [_revision(n, "2024-01-01T00:00:00+00:00") for n in (1, 2, 3)]
    line = build_timeline(same, lambda r: "#")
    assert len({b.x for b in line.bars}) == 3 and len(line.ticks) == 1
    assert build_timeline([], lambda r: "#").bars == ()


def test_snippet_marks_the_words_searched() -> None:
    text = "word " * 50 + "The Budget was passed. " + "more " * 50
    parts = snippet(text, "budget")
    assert (True, "Budget") in parts and parts[0] == (False, "\u2026 ")
    assert parts[-1][1].endswith("\u2026")
    assert snippet("Short text", "") == ((False, "Short text"),)


def test_freshness_and_shas() -> None:
    fresh = Freshness('W/"abc"', False)
    assert fresh.headers() == {"ETag": 'W/"abc"', "Cache-Control": "no-cache"}
    assert is_full_sha("a" * 40) and not is_full_sha("a" * 39) and not is_full_sha("A" * 40)
