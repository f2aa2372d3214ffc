"""Tests of the word diff engine: the contract, minimality, structure, stats and rendering."""

from __future__ import annotations

import json
import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from versionvault.diff import (
    Block,
    Op,
    Stats,
    compare,
    count_words,
    diff_body,
    diff_words,
    render_text,
    tokenize,
)
from versionvault.diff.core import (
    _align,
    _diff_chunks,
    _diff_small,
    _diff_text,
    _diff_tokens,
    _seq_diff,
)
from versionvault.diff.kinds import KINDS
from versionvault.diff.tokens import (
    _ASCII_TOKEN,
    _ASCII_WORDS,
    _COMPLEX,
    _SIMPLE_TOKEN,
    _TOKEN,
    _WORDS,
    _plain_ascii,
)

# ---------------------------------------------------------------- helpers and strategies


def _old(ops: list[Op] | tuple[Op, ...]) -> str:
    return "".join(text for op, text in ops if op != "+")


def _new(ops: list[Op] | tuple[Op, ...]) -> str:
    return "".join(text for op, text in ops if op != "-")


def _body_old(blocks: list[Block] | tuple[Block, ...]) -> str:
    return "".join(_old(b.ops) for b in blocks if b.type != "moved-in")


def _body_new(blocks: list[Block] | tuple[Block, ...]) -> str:
    return "".join(_new(b.ops) for b in blocks if b.type != "moved-out")


def _check_ops(ops: list[Op] | tuple[Op, ...]) -> None:
    for op, text in ops:
        assert op in ("=", "-", "+")
        assert text


def _check_blocks(blocks: list[Block] | tuple[Block, ...]) -> None:
    moves: Counter[tuple[str, int | None]] = Counter()
    for block in blocks:
        assert block.type in ("equal", "change", "moved-out", "moved-in")
        assert block.ops
        _check_ops(block.ops)
        if block.type == "equal":
            assert all(op == "=" for op, _ in block.ops)
        if block.type == "change":
            assert any(op != "=" for op, _ in block.ops)
        if block.type.startswith("moved"):
            assert block.move is not None
            moves[block.type, block.move] += 1
        else:
            assert block.move is None
    numbers = {n for _, n in moves}
    for n in numbers:
        assert moves["moved-out", n] == moves["moved-in", n] == 1


_PIECES = [
    "a", "b", "the", "cat", "sat", "It\u2019s", "it's", "1,000", "1,200", "3.5", "café",
    "cafe\u0301", "percent", "U.S.", "e-mail", "李", "克", "强", "中国", "ひらがな", "カタカナ",
    "👍", "👍🏽", "👨\u200d👩\u200d👧", "🇫🇷", " ", "  ", "\u00a0", "\t", "\n", "\n\n", ",", ".",
    "!", "?", "'", '"', "\u201c", "\u201d", "\u2018", "\u2019", "-", "\u2013", "\u2014", "(",
    ")", "…", "\r\n", "\u200d", "\u0301",
]  # fmt: skip

_texts = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)
_any_texts = st.lists(st.characters(codec="utf-8") | st.sampled_from(_PIECES), max_size=40).map(
    "".join
)
_words = st.sampled_from(
    [
        *("the", "a", "of", "cat", "dog", "sat", "ran", "fast", "slow", "said"),
        *("percent,", "percent.", "1,000", "3.5"),
        "It\u2019s",
        "\u201cquoted\u201d",
        "\u2014",
    ]
)
_paragraph = st.lists(_words, min_size=1, max_size=14).map(" ".join)


@st.composite
def _edited(draw: st.DrawFn, base: st.SearchStrategy[str]) -> tuple[str, str]:
    """Two texts: either independent, or the second an edit of the first."""
    old = draw(base)
    if draw(st.booleans()):
        return old, draw(base)
    tokens = tokenize(old)
    for _ in range(draw(st.integers(0, 4))):
        k = draw(st.integers(0, len(tokens)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(_PIECES))
        if action == "insert" or not tokens or k == len(tokens):
            tokens.insert(k, piece)
        elif action == "delete":
            del tokens[k]
        else:
            tokens[k] = piece
    return old, "".join(tokens)


@st.composite
def _bodies(draw: st.DrawFn) -> tuple[str, str]:
    """Two normalised bodies: paragraphs edited, inserted, deleted and moved."""
    paragraphs = draw(st.lists(_paragraph, max_size=8))
    new = list(paragraphs)
    for _ in range(draw(st.integers(0, 5))):
        action = draw(st.sampled_from(["edit", "insert", "delete", "move", "merge"]))
        if not new or action == "insert":
            new.insert(draw(st.integers(0, len(new))), draw(_paragraph))
            continue
        k = draw(st.integers(0, len(new) - 1))
        if action == "edit":
            words = new[k].split(" ")
            words[draw(st.integers(0, len(words) - 1))] = draw(_words)
            new[k] = " ".join(words)
        elif action == "delete":
            del new[k]
        elif action == "move":
            new.insert(draw(st.integers(0, len(new) - 1)), new.pop(k))
        elif k + 1 < len(new):
            new[k : k + 2] = [new[k] + " " + new[k + 1]]

    def body(ps: list[str]) -> str:
        return "\n\n".join(ps) + "\n" if ps else ""

    return body(paragraphs), body(new)


def _lcs(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        prev = 0
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], prev + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


# ---------------------------------------------------------------- tokens


def test_tokens_keep_words_numbers_and_graphemes_whole() -> None:
    text = "It\u2019s 1,000 people, 3.5% café: 李克强 said \u201cok\u201d 👍🏽 カタカナ."
    tokens = tokenize(text)
    assert "".join(tokens) == text
    for token in ("It\u2019s", "1,000", "3.5", "café", "👍🏽", "\u201c", "ok"):
        assert token in tokens
    assert tokens.count(",") == 1
    assert tokens[tokens.index("李") : tokens.index("李") + 3] == ["李", "克", "强"]
    assert tokens[-5:-1] == ["カ", "タ", "カ", "ナ"]


def test_tokens_decomposed_accents_and_trailing_punctuation() -> None:
    assert tokenize("cafe\u0301 U.S. well-known") == [
        "cafe\u0301",
        " ",
        "U.S",
        ".",
        " ",
        "well",
        "-",
        "known",
    ]


@given(_any_texts)
@settings(max_examples=300, deadline=None)
def test_tokens_concatenate_to_the_text(text: str) -> None:
    assert "".join(tokenize(text)) == text


@given(st.text(alphabet=st.characters(max_codepoint=0x2E7F, codec="utf-8")))
@settings(max_examples=300, deadline=None)
def test_fast_tokenizer_agrees_with_the_unicode_one(text: str) -> None:
    if _COMPLEX.search(text) is None:
        assert _SIMPLE_TOKEN.findall(text) == _TOKEN.findall(text)
        assert count_words(text) == len(_WORDS.findall(text))


@given(st.text(alphabet=st.characters(max_codepoint=0x7F)) | _texts)
@settings(max_examples=300, deadline=None)
def test_ascii_tokenizer_agrees_with_the_unicode_one(text: str) -> None:
    if _plain_ascii(text):
        assert _ASCII_TOKEN.findall(text) == _TOKEN.findall(text)
        assert len(_ASCII_WORDS.findall(text)) == len(_WORDS.findall(text))
    assert tokenize(text) == _TOKEN.findall(text)


# ---------------------------------------------------------------- the contract


@given(_edited(_texts))
@settings(max_examples=300, deadline=None)
def test_diff_words_contract(pair: tuple[str, str]) -> None:
    old, new = pair
    ops = diff_words(old, new)
    _check_ops(ops)
    assert _old(ops) == old
    assert _new(ops) == new


@given(_edited(_any_texts))
@settings(max_examples=200, deadline=None)
def test_diff_words_contract_on_any_text(pair: tuple[str, str]) -> None:
    old, new = pair
    ops = diff_words(old, new)
    assert (_old(ops), _new(ops)) == (old, new)


@given(_bodies())
@settings(max_examples=200, deadline=None)
def test_diff_body_contract_on_paragraphs(pair: tuple[str, str]) -> None:
    old, new = pair
    blocks = diff_body(old, new)
    _check_blocks(blocks)
    assert _body_old(blocks) == old
    assert _body_new(blocks) == new


@given(_edited(_any_texts | _texts))
@settings(max_examples=200, deadline=None)
def test_diff_body_contract_on_any_text(pair: tuple[str, str]) -> None:
    old, new = pair
    blocks = diff_body(old, new)
    _check_blocks(blocks)
    assert (_body_old(blocks), _body_new(blocks)) == (old, new)


@given(
    st.dictionaries(st.sampled_from(["title", "byline", "url"]), _texts, max_size=3),
    st.dictionaries(st.sampled_from(["title", "section", "url"]), _texts, max_size=3),
    _bodies(),
)
@settings(max_examples=100, deadline=None)
def test_compare_contract(
    old_fields: dict[str, str], new_fields: dict[str, str], bodies: tuple[str, str]
) -> None:
    diff = compare(old_fields, bodies[0], new_fields, bodies[1])
    assert set(diff.fields) == set(old_fields) | set(new_fields)
    for name, ops in diff.fields.items():
        _check_ops(ops)
        assert _old(ops) == old_fields.get(name, "")
        assert _new(ops) == new_fields.get(name, "")
    assert (_body_old(diff.body), _body_new(diff.body)) == bodies
    assert diff.kind in KINDS
    assert 0.0 <= diff.stats.percent_changed <= 100.0
    json.dumps(diff.as_dict())


@given(_edited(_any_texts | _texts) | _bodies())
@settings(max_examples=200, deadline=None)
def test_coarse_fallbacks_keep_the_contract(pair: tuple[str, str]) -> None:
    """The sentence-level and paragraph-level fallbacks used past the cost cap."""
    old, new = pair
    ops = _diff_chunks(old, new)
    assert (_old(ops), _new(ops)) == (old, new)
    pieces_a, pieces_b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    aligned = _align(pieces_a, pieces_b, _diff_small, _diff_text)
    assert aligned is not None
    assert (_old(aligned), _new(aligned)) == (old, new)


def test_contract_holds_past_the_cost_cap() -> None:
    rng = random.Random(3)
    vocabulary = [f"w{k}" for k in range(400)]
    old = " ".join(rng.choice(vocabulary) for _ in range(900))
    new = " ".join(rng.choice(vocabulary) for _ in range(900))
    for a, b in ((old, new), (old + ". " + new, new + ". " + old)):
        ops = diff_words(a, b)
        assert (_old(ops), _new(ops)) == (a, b)
        blocks = diff_body(a, b)
        assert (_body_old(blocks), _body_new(blocks)) == (a, b)


# ---------------------------------------------------------------- minimality


@given(_edited(st.lists(st.sampled_from([*_PIECES[:24], " ", ",", "."]), max_size=25).map("".join)))
@settings(max_examples=300, deadline=None)
def test_core_token_diff_is_minimal(pair: tuple[str, str]) -> None:
    """Before semantic cleanup the token diff changes exactly len(a) + len(b) - 2 LCS tokens."""
    ta, tb = tokenize(pair[0]), tokenize(pair[1])
    ops = _diff_tokens(ta, tb, cleanup=False)
    assert ops is not None
    changed = sum(len(tokenize(text)) for op, text in ops if op != "=")
    assert changed == len(ta) + len(tb) - 2 * _lcs(ta, tb)


@given(st.lists(st.integers(0, 6), max_size=30), st.lists(st.integers(0, 6), max_size=30))
@settings(max_examples=300, deadline=None)
def test_sequence_diff_is_minimal(a: list[int], b: list[int]) -> None:
    sa, sb = [str(x) for x in a], [f"{y}" for y in b]
    runs = _seq_diff(sa, sb)
    assert runs is not None
    assert sum(n for op, n in runs if op == 0) == _lcs(sa, sb)


# ---------------------------------------------------------------- cases


def test_punctuation_change_is_only_the_punctuation() -> None:
    ops = diff_words("rose 5 percent, he said", "rose 5 percent. he said")
    assert ops == [("=", "rose 5 percent"), ("-", ","), ("+", "."), ("=", " he said")]


def test_number_is_replaced_whole() -> None:
    assert diff_words("1,000 people", "1,200 people") == [
        ("-", "1,000"),
        ("+", "1,200"),
        ("=", " people"),
    ]


def test_cjk_deletes_one_character() -> None:
    assert diff_words("李克强", "李强") == [("=", "李"), ("-", "克"), ("=", "强")]


def test_inserted_word_carries_its_trailing_space() -> None:
    assert diff_words("the cat sat", "the big cat sat") == [
        ("=", "the "),
        ("+", "big "),
        ("=", "cat sat"),
    ]


def test_curly_quotes_are_typography() -> None:
    old = 'He said "yes" - and it\'s fine.\n'
    new = "He said \u201cyes\u201d \u2013 and it\u2019s fine.\n"
    diff = compare({"title": "T"}, old, {"title": "T"}, new)
    assert diff.kind == "typography"
    assert diff.summary() == "+1 \u22121 words; typography"


def test_whitespace_only_change() -> None:
    diff = compare({"title": "A  title"}, "One  two.\n", {"title": "A title"}, "One two.\n")
    assert diff.kind == "whitespace"
    assert diff.stats.words_added == diff.stats.words_removed == 0


def test_identical_revisions() -> None:
    body = "First paragraph.\n\nSecond one.\n"
    diff = compare({"title": "T"}, body, {"title": "T"}, body)
    assert diff.kind == "unchanged"
    assert all(block.type == "equal" for block in diff.body)
    assert diff.stats == Stats(0, 0, 0, 0, 0, 0.0, False)
    assert diff.summary() == "no changes"


def test_headline_change_is_flagged() -> None:
    body = "Same body text here.\n"
    diff = compare({"title": "Old headline"}, body, {"title": "New headline"}, body)
    assert diff.stats.headline_changed
    assert diff.kind == "substantive"
    assert diff.fields["title"] == (("-", "Old"), ("+", "New"), ("=", " headline"))
    assert diff.summary() == "no word changes; headline changed"


def test_minor_and_substantive() -> None:
    body = " ".join(f"word{k}" for k in range(200)) + ".\n"
    minor = compare({}, body, {}, body.replace("word7 ", "word7 extra "))
    assert minor.kind == "minor"
    assert minor.stats.words_added == 1
    new = body.replace("word7 ", " ".join(f"new{k}" for k in range(20)) + " ")
    assert compare({}, body, {}, new).kind == "substantive"


def test_first_revision_is_all_inserted() -> None:
    body = "Hello world.\n\nSecond paragraph here.\n"
    diff = compare({}, "", {"title": "Hi", "url": "https://x"}, body)
    assert diff.fields["title"] == (("+", "Hi"),)
    assert _body_new(diff.body) == body and _body_old(diff.body) == ""
    assert all(op == "+" for block in diff.body for op, _ in block.ops)
    assert diff.stats.words_added == 5
    assert diff.stats.percent_changed == 100.0
    assert diff.kind == "substantive"


def test_moved_and_edited_paragraph_is_one_move() -> None:
    paragraphs = [
        "The opening paragraph of the story.",
        "Officials said the bridge would reopen next week after repairs.",
        "A third paragraph with other news.",
        "The closing paragraph of the article.",
    ]
    new = [
        paragraphs[0],
        paragraphs[2],
        paragraphs[3],
        "Officials said the bridge would reopen next month after repairs.",
    ]
    old_body, new_body = "\n\n".join(paragraphs) + "\n", "\n\n".join(new) + "\n"
    blocks = diff_body(old_body, new_body)
    moved = [block for block in blocks if block.move is not None]
    assert [block.type for block in moved] == ["moved-out", "moved-in"]
    assert moved[0].move == moved[1].move == 1
    for block in moved:
        assert ("-", "week") in block.ops and ("+", "month") in block.ops
    assert [b.type for b in blocks if b.move is None and b.type != "equal"] == []
    stats = compare({}, old_body, {}, new_body).stats
    assert (stats.paragraphs_moved, stats.words_added, stats.words_removed) == (1, 1, 1)
    assert (_body_old(blocks), _body_new(blocks)) == (old_body, new_body)


def test_exact_move_of_a_paragraph() -> None:
    a = "Alpha paragraph has several words in it."
    b = "Beta paragraph has several words too."
    c = "Gamma paragraph also has many words."
    blocks = diff_body(f"{a}\n\n{b}\n\n{c}\n", f"{b}\n\n{c}\n\n{a}\n")
    moved = [block for block in blocks if block.move is not None]
    assert len(moved) == 2
    assert all(("=", a) in block.ops for block in moved)


def test_short_paragraphs_do_not_move() -> None:
    blocks = diff_body("Yes.\n\nNo.\n", "No.\n\nYes.\n")
    assert all(block.move is None for block in blocks)


def test_paragraphs_become_blocks() -> None:
    old = "One paragraph.\n\nTwo paragraph here.\n\nThree.\n"
    new = "One paragraph.\n\nTwo paragraphs here.\n\nThree.\n\nFour is new.\n"
    blocks = diff_body(old, new)
    assert [b.type for b in blocks] == ["equal", "change", "equal", "change"]
    assert blocks[1].ops == (
        ("=", "Two "),
        ("-", "paragraph"),
        ("+", "paragraphs"),
        ("=", " here.\n\n"),
    )
    assert blocks[2].ops == (("=", "Three."),)
    assert blocks[3].ops == (("+", "\n\nFour is new."), ("=", "\n"))


def test_first_paragraph_inserted_and_last_deleted() -> None:
    blocks = diff_body("A b.\n\nC d.\n\nE f.\n", "New.\n\nA b.\n\nC d.\n")
    assert [b.ops for b in blocks] == [
        (("+", "New.\n\n"),),
        (("=", "A b.\n\n"),),
        (("=", "C d."),),
        (("-", "\n\nE f."), ("=", "\n")),
    ]


def test_inserted_paragraph_among_edited_ones_is_no_move() -> None:
    old = [f"Alpha paragraph number {k} has several words here." for k in range(5)]
    new = [p.replace("several", "many") for p in old]
    new.insert(2, "A new paragraph arrives in the middle of the edits.")
    blocks = diff_body("\n\n".join(old) + "\n", "\n\n".join(new) + "\n")
    assert all(block.move is None for block in blocks)
    assert [b.type for b in blocks] == ["change"] * 6
    assert blocks[2].ops == (("+", "A new paragraph arrives in the middle of the edits.\n\n"),)
    assert blocks[3].ops[1:3] == (("-", "several"), ("+", "many"))


def test_replaced_paragraph_is_one_deletion_and_one_insertion() -> None:
    rng = random.Random(5)
    vocabulary = [f"v{k}" for k in range(300)]

    def para() -> str:
        return " ".join(rng.choice(vocabulary) for _ in range(80)) + "."

    keep = para()
    old, new = f"{keep}\n\n{para()}\n", f"{keep}\n\n{para()}\n"
    blocks = diff_body(old, new)
    assert [[op for op, _ in block.ops] for block in blocks[-2:]] == [["-"], ["+", "="]]


def test_complete_rewrite_gives_a_block_per_paragraph() -> None:
    rng = random.Random(8)

    def body(vocabulary: list[str]) -> str:
        paragraphs = [" ".join(rng.choice(vocabulary) for _ in range(60)) for _ in range(30)]
        return "\n\n".join(paragraphs) + "\n"

    old, new = body([f"a{k}" for k in range(500)]), body([f"b{k}" for k in range(500)])
    diff = compare({}, old, {}, new)
    assert (_body_old(diff.body), _body_new(diff.body)) == (old, new)
    assert len(diff.body) == 60
    assert diff.kind == "substantive" and diff.stats.percent_changed == 100.0
    assert (diff.stats.words_added, diff.stats.words_removed) == (1800, 1800)


def test_long_paragraph_past_the_cap_still_shows_word_edits() -> None:
    rng = random.Random(9)
    sentences = [
        " ".join(rng.choice(["alpha", "beta", "gamma", "delta", "omega"]) for _ in range(12)) + "."
        for _ in range(300)
    ]
    old = " ".join(sentences) + "\n"
    sentences[10] = sentences[10].replace(".", " indeed.")
    sentences[290] = sentences[290].replace(".", " too.")
    new = " ".join(sentences) + "\n"
    diff = compare({}, old, {}, new)
    assert (_body_old(diff.body), _body_new(diff.body)) == (old, new)
    assert (diff.stats.words_added, diff.stats.words_removed) == (2, 0)


def test_typography_across_many_paragraphs() -> None:
    old = "\n\n".join(f'Paragraph {k} says "hello" and it\'s fine.' for k in range(300)) + "\n"
    new = old.replace('"hello"', "\u201chello\u201d").replace("it's", "it\u2019s")
    diff = compare({}, old, {}, new)
    assert diff.kind == "typography"
    assert diff.stats.paragraphs_changed == 300


def test_stats_and_dict_forms() -> None:
    diff = compare(
        {"title": "Talks"},
        "Xi met Putin on Monday.\n",
        {"title": "Talks", "byline": "By NewsChina"},
        "Xi met Putin in Beijing on Tuesday.\n",
    )
    stats = diff.stats
    assert (stats.words_added, stats.words_removed, stats.words_changed) == (3, 1, 1)
    assert stats.paragraphs_changed == 1
    assert stats.percent_changed == 60.0
    assert stats.summary() == "+3 \u22121 words"
    data = diff.as_dict()
    assert list(data) == ["stats", "kind", "fields", "body"]
    assert data["fields"] == {"title": [["=", "Talks"]], "byline": [["+", "By NewsChina"]]}
    assert Block("moved-in", (("=", "x"),), 2).as_dict() == {
        "type": "moved-in",
        "move": 2,
        "ops": [["=", "x"]],
    }
    assert "move" not in Block("equal", (("=", "x"),)).as_dict()
    json.dumps(data)


def test_render_text() -> None:
    paragraphs = [f"Paragraph {k} has some words in it." for k in range(8)]
    paragraphs[4] = paragraphs[4].replace("4 has", "4 now has")
    paragraphs.append(paragraphs.pop(1).replace("some words", "some more words"))
    old = "\n\n".join(f"Paragraph {k} has some words in it." for k in range(8)) + "\n"
    new = "\n\n".join(paragraphs) + "\n"
    diff = compare({"title": "Old"}, old, {"title": "New"}, new)
    text = render_text(diff)
    assert text.startswith("title: [-Old-]{+New+}\n")
    assert "Paragraph 4 {+now +}has" in text
    assert "[moved paragraph 1 \u2192]" in text and "[\u2192 moved paragraph 1]" in text
    assert "[\u2192 moved paragraph 1] Paragraph 1 has some {+more +}words in it." in text
    assert "\u2026" in text
    colored = render_text(diff, color=True)
    assert "\x1b[31m[-Old-]\x1b[0m" in colored and "\x1b[32m{+New+}\x1b[0m" in colored


def test_render_unchanged_body() -> None:
    diff = compare({"title": "T"}, "Body.\n", {"title": "T"}, "Body.\n")
    assert render_text(diff) == "title: T\n\n\u2026 (body unchanged)\n"


def test_long_article_is_fast_enough_to_test() -> None:
    rng = random.Random(11)
    vocabulary = [f"w{k}" for k in range(3000)]
    paragraphs = [
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(40, 120))) + "."
        for _ in range(80)
    ]
    new = list(paragraphs)
    new[10] = new[10].replace(" ", " extra ", 1)
    new.insert(60, new.pop(5))
    old_body, new_body = "\n\n".join(paragraphs) + "\n", "\n\n".join(new) + "\n"
    diff = compare({}, old_body, {}, new_body)
    assert diff.stats.paragraphs_moved == 1
    assert diff.stats.paragraphs_changed == 1
    assert (_body_old(diff.body), _body_new(diff.body)) == (old_body, new_body)
