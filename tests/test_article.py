"""Tests for the article file format and the text, Markdown and HTML parsers."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from versionvault.text import (
    Article,
    InvalidArticle,
    TextRules,
    check_slug,
    content_key,
    format_article,
    make_article,
    normalize_body,
    parse_article,
    parse_html,
    parse_text,
)

from .conftest import SAMPLES, SEED


def _seed_rules() -> TextRules:
    data = tomllib.loads((SAMPLES / "sources.toml").read_text("utf-8"))
    return TextRules.from_mapping(data["sources"]["newschina"]["text"])


def test_seed_article_parses_clean() -> None:
    article = parse_text(SEED.read_text("utf-8"), "xi-putin", "newschina", _seed_rules())
    assert article.title == "Presidents Xi and Putin Hold Talks in Beijing"
    assert article.byline == "By NewsChina"
    assert article.section == "News Brief"
    assert article.updated == "Apr.1"
    paragraphs = article.body.rstrip("\n").split("\n\n")
    assert len(paragraphs) == 8
    assert paragraphs[0].startswith("Chinese President Xi Jinping held talks")
    assert paragraphs[-1].endswith("said the statement.")
    for furniture in ("Old Version", "Print", "News Brief", "Updated Apr.1"):
        assert furniture not in article.body
    assert all(line == line.rstrip() for line in article.body.split("\n"))
    assert "\u00a0" not in article.body


def test_format_is_the_documented_one() -> None:
    article = make_article(
        id="a-story", source="paper", title="A Title", body="One.\n\nTwo.", url="https://x/y"
    )
    assert format_article(article) == (
        "---\ntitle: A Title\nsource: paper\nurl: https://x/y\n---\n\nOne.\n\nTwo.\n"
    )


_line = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30
)


@given(
    title=_line,
    byline=st.one_of(st.just(""), _line),
    body=st.text(min_size=1, max_size=300),
)
def test_format_round_trips(title: str, byline: str, body: str) -> None:
    try:
        article = make_article(id="x", source="s", title=title, byline=byline, body=body)
    except InvalidArticle:
        return
    text = format_article(article)
    again = parse_article(text, "x")
    assert again == article
    assert format_article(again) == text
    assert article.body == normalize_body(body)


def test_normalisation_rules() -> None:
    raw = "\ufeff\n\n  Cafe\u0301  \r\n\r\n\r\n\n- one\t\n- two\u00a0\n\n\n"
    assert normalize_body(raw) == "  Caf\u00e9\n\n- one\n- two\n"
    assert normalize_body(normalize_body(raw)) == normalize_body(raw)


@pytest.mark.parametrize("bad", ["", "A", "a_b", "-a", "a-", "a--b", "../x", "a/b", "x" * 101])
def test_invalid_slugs_are_refused(bad: str) -> None:
    with pytest.raises(InvalidArticle):
        check_slug(bad)


def test_empty_article_is_refused() -> None:
    with pytest.raises(InvalidArticle, match="no text"):
        make_article(id="a", source="s", title="T", body=" \n\n ")
    with pytest.raises(InvalidArticle, match="no title"):
        make_article(id="a", source="s", title=" ", body="text")


def test_malformed_article_file_is_refused() -> None:
    with pytest.raises(InvalidArticle):
        parse_article("no header\n", "a")
    with pytest.raises(InvalidArticle):
        parse_article("---\ntitle: x\n", "a")
    with pytest.raises(InvalidArticle):
        parse_article("---\nnot a header line\n---\n\nbody\n", "a")


PAGE = """<!doctype html><html><head><title>Site | Old title</title>
<meta property="og:title" content="OG Headline">
<link rel="canonical" href="https://example.org/news/a-story">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Council Approves the New Budget", "author": {"@type": "Person", "name": "Jane Roe"},
 "datePublished": "2024-03-01T10:00:00+01:00", "dateModified": "2024-03-02T12:30:00+01:00"}
</script></head><body><nav>Home | World | Sport</nav><article>
<h1>Council Approves the New Budget</h1>
<p>The city council approved the new budget on Tuesday after a debate that lasted six hours.</p>
<p>The budget raises spending on schools by 4 percent and cuts the road repair fund.</p>
</article><footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>"""


def test_html_page_with_json_ld() -> None:
    article = parse_html(PAGE, "budget", "example")
    assert article.title == "Council Approves the New Budget"
    assert article.byline == "Jane Roe"
    assert article.published == "2024-03-01T10:00:00+01:00"
    assert article.updated == "2024-03-02T12:30:00+01:00"
    assert article.url == "https://example.org/news/a-story"
    assert article.body == (
        "The city council approved the new budget on Tuesday after a debate that lasted six"
        " hours.\n\nThe budget raises spending on schools by 4 percent and cuts the road repair"
        " fund.\n"
    )


def test_html_without_text_is_refused() -> None:
    for empty in ("", "   ", "<!-- -->"):
        with pytest.raises(InvalidArticle):
            parse_html(empty, "a", "s")
    with pytest.raises(InvalidArticle):
        parse_html("<html><head><title>T</title></head><body></body></html>", "a", "s")


def test_plain_text_without_rules() -> None:
    article = parse_text("Headline\n\nFirst.\n\nSecond.\n", "a", "s")
    assert (article.title, article.body) == ("Headline", "First.\n\nSecond.\n")
    assert isinstance(article, Article)


_SPACED = st.lists(st.sampled_from(["a", "b", " ", "  ", "\t", "\n", "\n\n", "\xa0", "\x1c"]))


@given(_SPACED.map("".join), st.sampled_from(["Title", "Title  two", " Title", "T\u00edtulo"]))
def test_content_key_collapses_whitespace_runs_within_lines(body: str, title: str) -> None:
    article = make_article(id="a", source="s", title=title, body="x" + body)
    text = format_article(article)
    expected = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    assert content_key(article) == expected
