"""Tests of paired rewrites, sentence alignment, minimal fields and honest kinds and counts."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from versionvault.diff import Block, compare, diff_body, diff_words, render_text, tokenize
from versionvault.diff.body import align_body
from versionvault.diff.pairing import LEAD_TOKENS, PAIR_SIMILARITY, Group, bag, pair_up, similarity
from versionvault.diff.paragraphs import _split_units, _units
from versionvault.diff.rewrites import diff_rewrite, ops_bound

from .rewriting import reword, rewrite

_VOCABULARY = [
    *("the", "of", "and", "to", "a", "in", "said", "council", "harbour", "ferry"),
    *("mayor", "budget", "winter", "residents", "plan", "schools", "money", "bridge"),
    *("week", "month", "officials", "report", "2,318", "3.5", "percent", "Tuesday"),
    *("critics,", "vote.", "North", "district", "opened", "closed", "late", "early"),
]
_words = st.lists(st.sampled_from(_VOCABULARY), min_size=3, max_size=30)
_paragraph = _words.map(lambda ws: " ".join(ws).capitalize() + ".")


def _old(ops: tuple[tuple[str, str], ...]) -> str:
    return "".join(text for op, text in ops if op != "+")


def _new(ops: tuple[tuple[str, str], ...]) -> str:
    return "".join(text for op, text in ops if op != "-")


def _sides(blocks: list[Block] | tuple[Block, ...]) -> tuple[str, str]:
    old = "".join(_old(b.ops) for b in blocks if b.type != "moved-in")
    new = "".join(_new(b.ops) for b in blocks if b.type != "moved-out")
    return old, new


def _paired(block: Block) -> bool:
    """A change block with text on both sides is a pair."""
    return block.type == "change" and all(
        any(op == sign and text.strip() for op, text in block.ops) for sign in "-+"
    )


def _reword(draw: st.DrawFn, paragraph: str) -> str:
    return reword(draw, paragraph, _VOCABULARY, 2)


@st.composite
def _rewrites(draw: st.DrawFn) -> tuple[str, str]:
    """Two bodies: paragraphs reworded, split, merged, reordered, inserted and deleted."""
    old = draw(st.lists(_paragraph, min_size=1, max_size=8))
    actions = ["reword", "split", "merge", "reorder", "insert", "delete"]
    new = rewrite(draw, old, _paragraph, actions, {"reword": _reword})
    return "\n\n".join(old) + "\n", "\n\n".join(new) + "\n" if new else ""


@given(_rewrites())
@settings(max_examples=300, deadline=None)
def test_contract_and_threshold_on_generated_rewrites(pair: tuple[str, str]) -> None:
    old, new = pair
    blocks = diff_body(old, new)
    assert _sides(blocks) == (old, new)
    for block in blocks:
        assert all(text for _, text in block.ops)
        if _paired(block):
            score = similarity(bag(tokenize(_old(block.ops))), bag(tokenize(_new(block.ops))))
            assert score >= PAIR_SIMILARITY
    moves = [(b.type, b.move) for b in blocks if b.move is not None]
    assert sorted(moves) == sorted({(t, n) for t, n in moves})
    assert {n for t, n in moves if t == "moved-out"} == {n for t, n in moves if t == "moved-in"}
    diff = compare({"title": "T"}, old, {"title": "T"}, new)
    assert diff.kind == "unchanged" if old == new else diff.kind != "unchanged"


@given(_rewrites())
@settings(max_examples=150, deadline=None)
def test_alignment_links_new_paragraphs_to_old_ones(pair: tuple[str, str]) -> None:
    old, new = pair
    links = align_body(old, new)
    olds = [p for p in old.split("\n\n")]
    news = [p for p in new.split("\n\n")]
    for j, (sources, same) in links.items():
        assert all(0 <= i < len(olds) + 1 for i in sources) and 0 <= j < len(news) + 1
        if same:
            assert len(sources) == 1


@given(
    st.lists(st.lists(st.sampled_from(_VOCABULARY), max_size=12), max_size=7),
    st.lists(st.lists(st.sampled_from(_VOCABULARY), max_size=12), max_size=7),
)
@settings(max_examples=300, deadline=None)
def test_pairing_never_pairs_below_the_threshold(a: list[list[str]], b: list[list[str]]) -> None:
    old, new = [bag(words) for words in a], [bag(words) for words in b]
    groups = pair_up(old, new)
    assert [i for g in groups for i in g.old] == list(range(len(old)))
    assert [j for g in groups for j in g.new] == list(range(len(new)))
    for group in groups:
        if group.old and group.new:
            merged_a = bag([w for i in group.old for w in a[i]])
            merged_b = bag([w for j in group.new for w in b[j]])
            assert group.score == similarity(merged_a, merged_b) >= PAIR_SIMILARITY
            assert len(group.old) == 1 or len(group.new) == 1


def test_pairing_is_the_best_order_preserving_chain() -> None:
    words = [["ferry", "harbour", "winter"], ["bridge", "week", "report"], ["mayor", "budget"]]
    old = [bag(w) for w in words]
    new = [bag(w) for w in (words[1], ["unrelated"], words[0] + ["late"])]
    groups = pair_up(old, new)
    paired = [(g.old, g.new) for g in groups if g.old and g.new]
    assert paired == [((1,), (0,))]  # or ((0,), (2,)): the same total; never both crossing
    assert Group((0,), ()) in groups


_REWRITE_OLD = [
    "The Harbour Courier (a fictional newspaper) reported on Monday that the ferry will run.",
    "Millions of residents rely on the harbour ferry, which the council wants to keep running.",
    "The mayor said the plan would cost about 2 million pounds over three years.",
    "Critics said the money should go to schools and the library instead.",
    "The vote is expected next week, after a public meeting in the North district.",
]
_REWRITE_NEW = [
    "The Harbour Courier (a fictional newspaper) reported on Monday that the ferry will run.",
    "Residents across the whole city rely on the harbour ferry, which the council now wants "
    "to keep running.",
    "On Tuesday the mayor said the plan would cost about 2.5 million pounds over four years.",
    "An entirely new paragraph about the weather arrives here, unrelated to anything.",
    "Critics, among them two councillors, said the money should go to schools instead.",
    "The vote is now expected next month, after a public meeting in the North district.",
]


def _body(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs) + "\n"


def test_every_reworded_paragraph_is_paired() -> None:
    blocks = diff_body(_body(_REWRITE_OLD), _body(_REWRITE_NEW))
    changed = [b for b in blocks if b.type == "change"]
    assert len(changed) == 5
    assert [_paired(b) for b in changed] == [True, True, False, True, True]
    assert _old(changed[1].ops).strip() == _REWRITE_OLD[2]
    assert _new(changed[1].ops).strip() == _REWRITE_NEW[2]
    assert ("-", "2") in changed[1].ops and ("+", "2.5") in changed[1].ops
    assert all(op == "+" for op, _ in changed[2].ops)


def test_split_and_merge_are_one_block() -> None:
    one = "Officials said the bridge would reopen next week. Repairs took a month and cost more."
    two = "Officials said the bridge would reopen next week.\n\nRepairs took a month and cost more."
    keep = "The closing paragraph stays as it was in every revision."
    for a, b in ((one, two), (two, one)):
        blocks = diff_body(f"{a}\n\n{keep}\n", f"{b}\n\n{keep}\n")
        assert [block.type for block in blocks] == ["change", "equal"]
        assert _sides(blocks) == (f"{a}\n\n{keep}\n", f"{b}\n\n{keep}\n")
        assert sum(len(tokenize(t)) for op, t in blocks[0].ops if op != "=") <= 2


def test_a_sentence_added_inside_a_long_paragraph_stays_one_insertion() -> None:
    sentences = [
        "The council met on Monday to discuss the harbour ferry and its budget for the year.",
        "The mayor said the ferry carried more passengers than ever before in the summer.",
        "Critics said the money should go to the schools of the North district instead.",
    ]
    added = "The report of the council said that the ferry and the schools of the city need money."
    old = " ".join(sentences) + "\n"
    new = " ".join([*sentences[:2], added, sentences[2]]) + "\n"
    [block] = diff_body(old, new)
    assert [op for op, _ in block.ops] == ["=", "+", "="]
    assert dict((op, text) for op, text in block.ops)["+"].strip() == added


def test_headline_diff_is_minimal() -> None:
    ops = diff_words(
        "Presidents Xi and Putin Hold Talks in Beijing",
        "Xi and Putin Meet in Beijing Before Olympics Opening",
    )
    assert ops == [
        ("-", "Presidents "),
        ("=", "Xi and Putin "),
        ("-", "Hold Talks"),
        ("+", "Meet"),
        ("=", " in Beijing"),
        ("+", " Before Olympics Opening"),
    ]
    diff = compare(
        {"title": "A", "byline": "By Ann Lee and Bo Chen"},
        "",
        {"title": "A", "byline": "By Ann Lee, Bo Chen"},
        "",
    )
    assert diff.fields["byline"] == (
        ("=", "By Ann Lee"),
        ("-", " and"),
        ("+", ","),
        ("=", " Bo Chen"),
    )


def test_kinds_are_honest() -> None:
    body = "The ferry runs all winter, the council said.\n\nIt costs 2 million pounds.\n"
    cases = {
        body: "unchanged",
        body.replace("winter, the", "winter,  the"): "whitespace",
        body.replace("all winter,", "\u201call winter\u201d \u2014"): "punctuation",
        body.replace("said.", "said \u2026"): "punctuation",
        body.replace("winter, the", "winter; the"): "punctuation",
        body.replace("pounds.", "pounds"): "punctuation",
        body.replace("It costs", "## It costs"): "formatting",
        body.replace("It costs", "- It costs"): "formatting",
        body.replace("It costs", "> It costs"): "formatting",
        body.replace("2 million", "3 million"): "minor",
    }
    quoted = 'He said "yes" - it\'s done.\n'
    cases[quoted] = "substantive"
    for new, kind in cases.items():
        assert compare({"title": "T"}, body, {"title": "T"}, new).kind == kind, new
    curly = "He said \u201cyes\u201d \u2013 it\u2019s done.\n"
    assert compare({"title": "T"}, quoted, {"title": "T"}, curly).kind == "typography"
    table_old = "| District | Votes |\n|---|---|\n| North | 2,318 |\n"
    table_new = "| District | Votes |\n|:---|---:|\n| North | 2,318 |\n"
    assert compare({}, table_old, {}, table_new).kind == "formatting"
    assert compare({}, table_old, {}, table_old.replace("2,318", "2,381")).kind == "minor"


def test_punctuation_change_is_counted_in_characters() -> None:
    body = "The ferry runs all winter, the council said.\n"
    diff = compare({"title": "T"}, body, {"title": "T"}, body.replace("winter,", "winter;"))
    assert diff.kind == "punctuation"
    assert (diff.stats.chars_added, diff.stats.chars_removed) == (1, 1)
    assert diff.summary() == "no word changes; +1 \u22121 characters; punctuation"
    same = compare({"title": "T"}, body, {"title": "T"}, body)
    assert same.kind == "unchanged" and same.summary() == "no changes"


def test_cjk_is_counted_in_characters() -> None:
    old = "国家主席习近平在北京会见了俄罗斯总统。\n"
    new = "国家主席习近平周五在北京会见了来访的俄罗斯总统。\n"
    diff = compare({"title": "习近平会见普京"}, old, {"title": "习近平会见普京"}, new)
    assert diff.stats.unit == "characters"
    assert (diff.stats.chars_added, diff.stats.chars_removed) == (5, 0)
    assert diff.summary().startswith("+5 \u22120 characters")
    assert diff.as_dict()["stats"]["unit"] == "characters"  # type: ignore[index]
    english = compare({}, "One two.\n", {}, "One two three.\n")
    assert english.stats.unit == "words" and english.summary().startswith("+1 \u22120 words")


def test_render_shows_a_pair_as_one_paragraph() -> None:
    diff = compare({}, _body(_REWRITE_OLD), {}, _body(_REWRITE_NEW))
    text = render_text(diff)
    assert "[-Millions of residents-]{+Residents across the whole city+} rely" in text


@given(_paragraph, st.data())
@settings(max_examples=300, deadline=None)
def test_the_bound_of_a_diff_never_exceeds_the_score(paragraph: str, data: st.DataObject) -> None:
    edited = _reword(data.draw, paragraph) if data.draw(st.booleans()) else data.draw(_paragraph)
    ops = diff_rewrite(paragraph, edited)
    assert (_old(tuple(ops)), _new(tuple(ops))) == (paragraph, edited)
    bound = ops_bound(ops)
    assert bound <= similarity(bag(tokenize(paragraph)), bag(tokenize(edited))) + 1e-9


@given(st.lists(st.sampled_from(["a", "b c", "\n", "\n\n", " ", "\n\n\n", "x."]), max_size=12))
@settings(max_examples=300, deadline=None)
def test_the_fast_paragraph_split_agrees(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert _units(text) == _split_units(text)


def test_a_lightly_edited_paragraph_is_no_move_even_with_a_twin_elsewhere() -> None:
    twin = "The harbour board met on Monday to set the budget for the dredging of the basin."
    edited = twin.replace("Monday", "Tuesday")
    keep = [
        f"Paragraph {k} of the fictional Harbour Courier story stays as it was." for k in range(4)
    ]
    old = [twin, keep[0], keep[1], twin + " Again.", keep[2], keep[3]]
    new = [edited, keep[0], keep[1], keep[2], keep[3]]
    blocks = diff_body(_body(old), _body(new))
    assert all(block.move is None for block in blocks)
    assert ("-", "Monday") in blocks[0].ops and ("+", "Tuesday") in blocks[0].ops


_sentence = st.lists(st.sampled_from(_VOCABULARY), min_size=4, max_size=14).map(
    lambda ws: " ".join(ws).capitalize() + "."
)
_prose = st.lists(_sentence, min_size=1, max_size=3).map(" ".join)


def _documented_score(old: list[str], new: list[str]) -> float:
    """The pairing score as docs/architecture.md defines it, computed afresh."""

    def words(text: str) -> list[str]:
        return [t.lower() for t in tokenize(text) if t.strip()]

    def dice(a: list[str], b: list[str]) -> float:
        shared = sum((Counter(a) & Counter(b)).values())
        return 2 * shared / (len(a) + len(b)) if a or b else 0.0

    def lead(text: str) -> list[str] | None:
        ws = words(text)
        end = next((k for k, w in enumerate(ws) if w in ".!?"), len(ws))
        more = any(w.isalnum() for w in ws[end + 1 :])
        return ws[: end + 1] if end + 1 >= LEAD_TOKENS and more else None

    a = [w for text in old for w in words(text)]
    b = [w for text in new for w in words(text)]
    score = dice(a, b)
    lead_a, lead_b = lead(old[0]), lead(new[0])
    if lead_a is not None and lead_b is not None and score < PAIR_SIMILARITY:
        score = max(score, min(dice(lead_a, lead_b), 2 * score))
    return score


@given(st.lists(_prose, max_size=6), st.lists(_prose, max_size=6))
@settings(max_examples=300, deadline=None)
def test_paragraph_pairing_with_leads_never_pairs_below_the_threshold(
    old: list[str], new: list[str]
) -> None:
    bags_old = [bag(tokenize(text), paragraph=True) for text in old]
    bags_new = [bag(tokenize(text), paragraph=True) for text in new]
    for group in pair_up(bags_old, bags_new):
        if group.old and group.new:
            score = _documented_score([old[i] for i in group.old], [new[j] for j in group.new])
            assert abs(group.score - score) < 1e-9 and group.score >= PAIR_SIMILARITY


def test_a_paragraph_whose_lead_was_reworded_is_paired_and_unrelated_ones_are_not() -> None:
    old = (
        "A public meeting on the plan will be held at the Saltings Chapel hall on Tuesday at "
        "7pm. Council officers and the head teachers of both schools have agreed to attend."
    )
    new = (
        "More than 150 people attended the public meeting at the Saltings Chapel hall on "
        "Tuesday evening. The head of education told them the figures were early estimates."
    )
    other = (
        "A public meeting on the ferry will be held at the harbour office on Monday at 6pm. "
        "Fares, timetables and the winter service were not on the agenda of the board."
    )
    score = similarity(bag(tokenize(old), True), bag(tokenize(new), True))
    assert score >= PAIR_SIMILARITY > similarity(bag(tokenize(old)), bag(tokenize(new)))
    assert similarity(bag(tokenize(other), True), bag(tokenize(new), True)) < PAIR_SIMILARITY
