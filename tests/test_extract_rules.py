"""Extraction rules beyond the corpus: furniture, notices, site names, drop selectors, bad input."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from versionvault.archive import Vault
from versionvault.text import (
    HtmlRules,
    InvalidArticle,
    InvalidSelector,
    parse_blocks,
    parse_html,
    repeated_affixes,
    strip_site_names,
)

from .conftest import run_cli

STORY = [
    "The harbour board voted on Tuesday to rebuild the north pier, which has been closed since"
    " a storm cracked its deck two winters ago.",
    "The work will cost £3.2 million and should be finished before the summer season of 2027.",
    "Fishing crews who moor at the pier will move to temporary berths inside the harbour wall.",
]


def page(
    title: str,
    inner: str,
    head: str = "",
    h1: str = "",
    paragraphs: list[str] | None = None,
) -> str:
    """Return a news page: furniture, an article with `inner` markup after its paragraphs."""
    text = "".join(f"<p>{escape(p)}</p>" for p in (STORY if paragraphs is None else paragraphs))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>{head}"
        "</head><body><header><a href='/'>The Pier Post</a><nav><a href='/news'>News</a> "
        "<a href='/sport'>Sport</a></nav></header><main><article>"
        f"<h1>{escape(h1 or title)}</h1><div class='story'>{text}{inner}</div></article></main>"
        "<footer>The Pier Post is a fictional paper (test material).</footer></body></html>"
    )


def body_of(html: str, rules: HtmlRules | None = None) -> str:
    return parse_html(html, "a", "pier", rules=rules).body


def test_byline_and_relative_time_lines_leave_the_body() -> None:
    inner = "<p>More text follows here for the readers of the harbour story.</p>"
    html = page("Pier to be rebuilt", inner).replace(
        "<div class='story'>", "<div class='story'><p>By Ann Lee · 3 hours ago</p>"
    )
    article = parse_html(html, "a", "pier")
    assert article.byline == "Ann Lee"
    assert parse_blocks(article.body)[0].text == STORY[0]


def test_link_lines_go_and_sentences_with_links_stay() -> None:
    inner = (
        "<p>READ MORE: <a href='/x'>Lifeboat crew honoured</a></p>"
        "<p><a href='/y'>Harbour fees rise again</a></p>"
        "<p>The board published <a href='/r'>its full report</a> on its website on Wednesday"
        " morning, with drawings of the new deck.</p>"
        "<p>The storm arrived 5 minutes ago at the old pier, an onlooker wrote at the time.</p>"
        "<ul><li><a href='/1'>Most read one</a></li><li><a href='/2'>Most read two</a></li></ul>"
        "<ul><li>Berths inside the wall</li><li>Berths at the marina</li></ul>"
        "<p>Updated 7 minutes ago</p><p>1.2k shares · 48 comments</p>"
    )
    blocks = [b.text for b in parse_blocks(body_of(page("Pier to be rebuilt", inner)))]
    assert blocks[:3] == STORY
    assert blocks[3].startswith("The board published its full report on its website")
    assert blocks[4].startswith("The storm arrived 5 minutes ago")
    assert blocks[5] == "- Berths inside the wall\n- Berths at the marina"
    assert len(blocks) == 6


def test_notices_are_dropped_after_an_article_and_refused_alone() -> None:
    notice = "<p>This copy is for your personal, non-commercial use only.</p>"
    wall = "<h2>Subscribe to continue reading</h2><p>Just £1 a week.</p><p>Cancel anytime.</p>"
    assert body_of(page("Pier to be rebuilt", notice + wall)).rstrip("\n").split("\n\n") == STORY
    alone = page("Pier to be rebuilt", notice + wall, paragraphs=[])
    with pytest.raises(InvalidArticle, match="only a licence or subscription notice"):
        parse_html(alone, "a", "pier")
    with pytest.raises(InvalidArticle, match="no article text"):
        parse_html(page("Pier to be rebuilt", "", paragraphs=[]), "a", "pier")


def test_a_table_cell_with_a_bar_is_escaped() -> None:
    table = (
        "<table><tr><th>Route</th><th>Fare</th></tr><tr><td>Pier | Marina</td><td>£2</td></tr>"
        "<tr><td>Pier | Town</td><td>£3</td></tr></table>"
    )
    body = body_of(page("Fares", table))
    assert "| Route | Fare |\n|---|---|\n| Pier \\| Marina | £2 |\n| Pier \\| Town | £3 |" in body
    assert parse_blocks(body)[-1].rows[0] == ("Pier | Marina", "£2")


def test_the_headline_is_never_a_body_block() -> None:
    heading = "<h2>Pier to be rebuilt</h2><p>Pier to be rebuilt</p>"
    html = page("Pier to be rebuilt | The Pier Post", "", h1="Pier to be rebuilt").replace(
        "<div class='story'>", f"<div class='story'><p>Harbour</p>{heading}"
    )
    article = parse_html(html, "a", "pier")
    assert article.title == "Pier to be rebuilt"
    assert article.body.rstrip("\n").split("\n\n") == STORY


def test_site_names_are_stripped_before_and_after() -> None:
    names = ["The Pier Post"]
    assert strip_site_names("Pier to be rebuilt | The Pier Post", names) == "Pier to be rebuilt"
    assert strip_site_names("THE PIER POST :: Pier to be rebuilt", names) == "Pier to be rebuilt"
    assert strip_site_names("Pier - to be - rebuilt", names) == "Pier - to be - rebuilt"
    assert strip_site_names("The Pier Post", names) == "The Pier Post"
    titles = ["A | Gazette", "B | Gazette", "Gazette: C", "D - Sport - Gazette", "E"]
    assert repeated_affixes(titles) == ("Gazette",)
    og = "<meta property='og:site_name' content='The Pier Post'>"
    assert parse_html(page("Pier to be rebuilt — The Pier Post", "", og), "a", "s").title == (
        "Pier to be rebuilt"
    )


def test_drop_selectors_remove_parts_before_extraction() -> None:
    offer = "Our summer offer: two papers for the price of one, every day of the week."
    inner = f"<div class='promo'><p>{offer}</p></div>"
    html = page("Pier to be rebuilt", inner)
    assert "summer offer" in body_of(html)
    assert "summer offer" not in body_of(html, HtmlRules(drop=("div.promo",)))
    with pytest.raises(InvalidSelector):
        body_of(html, HtmlRules(drop=("div[",)))


def test_ingest_applies_the_sources_drop_selectors(home: Path, tmp_path: Path) -> None:
    bad = run_cli(home, "source", "add", "pier", "--drop", "p:nth-child(")
    assert bad.exit_code == 1 and "invalid CSS selector" in bad.output
    assert "Traceback" not in bad.output
    assert (
        run_cli(home, "source", "add", "pier", "--drop", ".promo", "--drop", "#poll").exit_code == 0
    )
    assert 'drop = [\n    ".promo",\n    "#poll",\n]' in (home / "sources.toml").read_text()
    inner = "<p class='promo'>Two papers for the price of one, every single day of this week.</p>"
    story = tmp_path / "pier-rebuilt.html"
    story.write_text(page("Pier to be rebuilt", inner), "utf-8")
    assert run_cli(home, "ingest", str(story), "--source", "pier").exit_code == 0
    assert "price of one" not in run_cli(home, "show", "pier-rebuilt").output


def test_a_site_name_repeated_across_a_source_is_learned(home: Path, tmp_path: Path) -> None:
    def ingest(name: str, headline: str) -> str:
        story = tmp_path / f"{name}.html"
        story.write_text(page(f"{headline} \u2014 Quay Times", "", h1="Harbour news"), "utf-8")
        result = run_cli(home, "ingest", str(story), "--source", "quay")
        assert result.exit_code == 0, result.output
        with Vault.open(home) as vault:
            return vault.article(name).title

    # Nothing on these pages names the site; after two titles end the same way, it is known.
    assert ingest("first", "Pier to be rebuilt") == "Pier to be rebuilt \u2014 Quay Times"
    assert ingest("second", "Ferry fares frozen") == "Ferry fares frozen \u2014 Quay Times"
    assert ingest("third", "Lifeboat crew honoured") == "Lifeboat crew honoured"
    assert ingest("fourth", "Harbour fees rise") == "Harbour fees rise"
    # An article stored with the name keeps it: its own title does not count for it.
    assert ingest("first", "Pier to be rebuilt") == "Pier to be rebuilt \u2014 Quay Times"
    with Vault.open(home) as vault:
        assert vault.article("first").revisions == 1


_HTML_PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<table><tr><td>",
        "</td></tr></table>",
        "<ul><li>",
        "<h2>",
        "<br>",
        '<script type=\'application/ld+json\'>{"@graph": [{"@id": 1}]}',
        "</script>",
        "<meta charset='x'>",
        "<title>",
        "</title>",
        "&#8216;",
        "&amp;nbsp;",
        "By ",
        "Subscribe to keep reading",
        "| a |",
        "\x00",
        "<?xml version='1.0' encoding='utf-8'?>",
        "<",
        ">",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_HTML_PIECES, st.text(max_size=40)), max_size=30))
def test_any_page_gives_an_article_or_one_readable_refusal(parts: list[str]) -> None:
    try:
        article = parse_html("".join(parts), "a", "s")
    except InvalidArticle as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert article.title and article.body.endswith("\n")
