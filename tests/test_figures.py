"""Tests of the import's fast figures: `compare_stats` gives exactly what `compare` gives."""

from __future__ import annotations

from diff_match_patch import diff_match_patch  # type: ignore[import-untyped, unused-ignore]
from hypothesis import given, settings
from hypothesis import strategies as st

from versionvault.archive.revise import measure
from versionvault.diff import compare, compare_stats, count_words, diff_body
from versionvault.diff.changes import changed_blocks
from versionvault.diff.core import _common_affixes
from versionvault.diff.tokens import _ASCII_WORDS, word_figures
from versionvault.text import make_article

from .rewriting import reword, rewrite

_VOCABULARY = [
    *("the", "of", "and", "to", "a", "in", "said", "council", "harbour", "ferry"),
    *("mayor", "budget", "winter", "residents", "plan", "schools", "money", "bridge"),
    *("2,318", "3.5", "percent", "Tuesday", "critics,", "vote.", "it's", "U.S."),
    *("\u201cquoted\u201d", "\u2014", "caf\u00e9", "na\u00efve"),
]
_CJK = ["港口", "渡轮", "市议会", "预算", "冬季", "居民", "学校", "\u3002", "\uff0c", "周二"]
_MARKUP = ["## ", "### ", "- ", "> "]

_latin = st.lists(st.sampled_from(_VOCABULARY), min_size=1, max_size=25).map(
    lambda words: " ".join(words).capitalize() + "."
)
_chinese = st.lists(st.sampled_from(_CJK), min_size=1, max_size=20).map("".join)
_table = st.lists(
    st.lists(st.sampled_from(_VOCABULARY[:12]), min_size=2, max_size=2), min_size=1, max_size=3
).map(lambda rows: "\n".join(f"| {a} | {b} |" for a, b in rows))
_paragraph = st.one_of(
    _latin,
    _latin,
    _latin,
    _chinese,
    _table,
    st.tuples(st.sampled_from(_MARKUP), _latin).map("".join),
)


def _punctuate(draw: st.DrawFn, paragraph: str) -> str:
    """Change the punctuation, the typography, the spacing or the markup of a paragraph."""
    action = draw(st.sampled_from(["comma", "quotes", "space", "markup", "unmark", "rule"]))
    if action == "comma":
        return paragraph.replace(" ", ", ", 1) if " " in paragraph else paragraph + "!"
    if action == "quotes":
        return paragraph.replace("\u201c", '"').replace("\u2014", "-").replace("'", "\u2019")
    if action == "space":
        return paragraph.replace(" ", "  ", 1)
    if action == "markup":
        return draw(st.sampled_from(_MARKUP)) + paragraph
    if action == "unmark":
        for mark in _MARKUP:
            paragraph = paragraph.removeprefix(mark)
        return paragraph
    lines = paragraph.split("\n")
    return (
        "\n".join([lines[0], "|---|---|", *lines[1:]]) if paragraph.startswith("|") else paragraph
    )


def _reword(draw: st.DrawFn, paragraph: str) -> str:
    return reword(draw, paragraph, _VOCABULARY + _CJK, 1)


def _body(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs) + "\n" if paragraphs else ""


@st.composite
def _revisions(draw: st.DrawFn) -> tuple[str, str]:
    """Two normalised bodies: the second reworded, split, merged, reordered, punctuated,
    formatted, inserted into or cut from the first; or the same; or the first empty."""
    old = draw(st.lists(_paragraph, max_size=9))
    new = list(old)
    slight = draw(st.booleans())  # one change of punctuation, typography, spacing or markup
    if slight and new:
        k = draw(st.integers(0, len(new) - 1))
        new[k] = _punctuate(draw, new[k])
    actions = ["reword", "split", "merge", "reorder", "reorder", "punctuate", "insert", "delete"]
    touches = {"reword": _reword, "punctuate": _punctuate}
    new = rewrite(draw, new, _paragraph, actions, touches, (0 if slight else 1, 5))
    old_body = _body(old)
    new_body = _body([p.strip() for p in new if p.strip()])
    return old_body, new_body


_titles = st.sampled_from(["Ferry to run all winter", "Ferry to run all winter!", "港口渡轮", ""])
_bylines = st.sampled_from(["", "By Ann Lee", "By Ann Lee and Bo Chen", "By Ann Lee, Bo Chen"])


def _same_figures(
    old_fields: dict[str, str], old: str, new_fields: dict[str, str], new: str
) -> None:
    diff = compare(old_fields, old, new_fields, new)
    assert compare_stats(old_fields, old, new_fields, new) == (diff.stats, diff.kind)
    known = count_words(old)
    assert compare_stats(old_fields, old, new_fields, new, known) == (diff.stats, diff.kind)
    assert changed_blocks(old, new) == [b for b in diff_body(old, new) if b.type != "equal"]


@given(_revisions(), _titles, _titles, _bylines, _bylines)
@settings(max_examples=600, deadline=None)
def test_fast_figures_are_compares_on_generated_revisions(
    pair: tuple[str, str], title_a: str, title_b: str, byline_a: str, byline_b: str
) -> None:
    old, new = pair
    old_fields = {"title": title_a, "byline": byline_a}
    new_fields = {"title": title_b, "byline": byline_b, "section": "News"}
    _same_figures(old_fields, old, new_fields, new)
    _same_figures({"title": title_a}, old, {"title": title_a}, new)
    _same_figures({}, "", new_fields, new)  # a first revision


@given(_revisions())
@settings(max_examples=200, deadline=None)
def test_measure_gives_compares_figures(pair: tuple[str, str]) -> None:
    old, new = (body or "Nothing yet.\n" for body in pair)
    before = make_article(id="ferry", source="courier", title="Ferry", body=old)
    after = make_article(id="ferry", source="courier", title="Ferry", body=new)
    change = measure(before, after)
    diff = compare(before.fields(), before.body, after.fields(), after.body)
    assert (change.stats, change.kind) == (diff.stats, diff.kind)
    first = measure(None, after)
    diff = compare({}, "", after.fields(), after.body, 0)
    assert (first.stats, first.kind) == (diff.stats, diff.kind)


_pieces = st.sampled_from(
    ["a", "b c", "\n", "\n\n", "\n\n\n", " ", "x.", "## h", "- i", "\u00a0", "港", "\u201c"]
)


@given(st.lists(_pieces, max_size=14).map("".join), st.lists(_pieces, max_size=14).map("".join))
@settings(max_examples=400, deadline=None)
def test_fast_figures_are_compares_on_any_text(old: str, new: str) -> None:
    _same_figures({"title": "T"}, old, {"title": "T"}, new)
    _same_figures({"title": "T"}, old, {"title": "T"}, old + new)


def test_identical_revisions_have_no_figures() -> None:
    body = "The ferry runs all winter.\n\nIt costs 2 million pounds.\n"
    stats, kind = compare_stats({"title": "T"}, body, {"title": "T"}, body)
    assert kind == "unchanged" and stats.words_added == stats.words_removed == 0


@given(st.text(alphabet="ab1.,'\t \n-_\x7f\x1c", max_size=90))
@settings(max_examples=500, deadline=None)
def test_ascii_words_are_counted_as_the_pattern_finds_them(text: str) -> None:
    assert count_words(text) == len(_ASCII_WORDS.findall(text)) or "\x1c" in text


def test_fast_figures_of_every_slight_kind() -> None:
    body = "The ferry runs all winter, the council said.\n\nIt costs 2 million pounds.\n"
    table = "| District | Votes |\n|---|---|\n| North | 2,318 |\n"
    cases = [
        (body, body.replace("winter, the", "winter,  the"), "whitespace"),
        (body, body.replace("said.", "said \u2026"), "punctuation"),
        (body, body.replace("It costs", "## It costs"), "formatting"),
        (body, body.replace("It costs", "- It costs"), "formatting"),
        (table, table.replace("|---|---|", "|:---|---:|"), "formatting"),
        (
            'He said "yes" - it\'s done.\n',
            "He said \u201cyes\u201d \u2013 it\u2019s done.\n",
            "typography",
        ),
        (body, body.replace("2 million", "3 million"), "minor"),
        (body, "It costs 2 million pounds.\n\n" + body.split("\n\n")[0] + "\n", "substantive"),
    ]
    for old, new, kind in cases:
        diff = compare({"title": "T"}, old, {"title": "T"}, new)
        assert diff.kind == kind
        assert compare_stats({"title": "T"}, old, {"title": "T"}, new) == (diff.stats, kind)


@given(st.text(alphabet="ab1.,'\t \n\r\x0b\x0c-_\x7f\x1c\u00a0\u3000港", max_size=80))
@settings(max_examples=500, deadline=None)
def test_word_figures_count_words_and_characters(text: str) -> None:
    assert word_figures(text) == (count_words(text), len("".join(text.split())))


@given(
    st.text(alphabet="ab\u00e9\U0001f600", max_size=14),
    st.text(alphabet="ab\u00e9\U0001f600", max_size=14),
)
@settings(max_examples=500, deadline=None)
def test_common_affixes_are_diff_match_patchs(a: str, b: str) -> None:
    dmp = diff_match_patch()
    prefix = dmp.diff_commonPrefix(a, b)
    assert _common_affixes(a, b) == (prefix, dmp.diff_commonSuffix(a[prefix:], b[prefix:]))
