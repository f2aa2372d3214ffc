"""The body's blocks: the Markdown subset parsed, written, normalised and rendered by the site."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from versionvault.archive import Vault
from versionvault.text import (
    block_words,
    format_article,
    format_heading,
    format_list,
    format_quote,
    format_table,
    make_article,
    normalize_body,
    parse_article,
    parse_blocks,
)
from versionvault.web import create_app

from .conftest import run_cli

BODY = """First paragraph, on one line.

## A subheading

- a list item
- another item

> A quoted passage.
> Its second paragraph.

### A smaller heading

| District | Votes |
|---|---|
| North | 2,318 |
| South \\| East | 1,024 |

| Electorate | 4,310 |
| Turnout | 67.3% |

Last paragraph.
"""


def test_each_kind_of_block_is_recognised() -> None:
    blocks = parse_blocks(BODY)
    assert [b.kind for b in blocks] == [
        "paragraph",
        "heading",
        "list",
        "quote",
        "heading",
        "table",
        "table",
        "paragraph",
    ]
    assert (blocks[1].level, blocks[1].lines) == (2, ("A subheading",))
    assert blocks[2].lines == ("a list item", "another item")
    assert blocks[3].lines == ("A quoted passage.", "Its second paragraph.")
    assert blocks[4].level == 3
    assert blocks[5].header == ("District", "Votes")
    assert blocks[5].rows == (("North", "2,318"), ("South | East", "1,024"))
    assert blocks[6].header == () and blocks[6].rows[1] == ("Turnout", "67.3%")
    assert block_words(blocks[5]) == "District Votes\nNorth 2,318\nSouth | East 1,024"
    assert "".join(b.text + "\n\n" for b in blocks) == BODY + "\n"


def test_plain_bodies_of_old_archives_are_paragraphs() -> None:
    body = (
        "Headline words # not a heading\n\n#### four hashes\n\n-not a list\n\nA line\nand another\n"
    )
    blocks = parse_blocks(body)
    assert [b.kind for b in blocks] == ["paragraph"] * 4
    assert blocks[3].lines == ("A line", "and another")


def test_normalisation_and_the_file_format_keep_blocks_intact() -> None:
    article = make_article(id="a", source="s", title="T", body=BODY.replace("\n", "\r\n") + "\n\n")
    assert article.body == BODY
    assert parse_article(format_article(article), "a").body == BODY


_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"),
    min_size=1,
    max_size=30,
).filter(lambda t: t.strip() != "")
Spec = tuple[str, int, list[list[str]], bool]  # kind, heading level, rows of texts, header
_BLOCK: st.SearchStrategy[Spec] = st.one_of(
    st.tuples(
        st.just("heading"),
        st.integers(2, 3),
        st.lists(st.lists(_TEXT, min_size=1, max_size=1), min_size=1, max_size=1),
        st.just(False),
    ),
    st.tuples(
        st.sampled_from(["list", "quote"]),
        st.just(0),
        st.lists(st.lists(_TEXT, min_size=1, max_size=1), min_size=1, max_size=4),
        st.just(False),
    ),
    st.tuples(
        st.just("table"),
        st.just(0),
        st.lists(st.lists(_TEXT, min_size=2, max_size=2), min_size=2, max_size=4),
        st.booleans(),
    ),
)


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _written(kind: str, level: int, rows: list[list[str]], header: bool) -> str:
    if kind == "heading":
        return format_heading(rows[0][0], level)
    if kind == "list":
        return format_list(row[0] for row in rows)
    if kind == "quote":
        return format_quote(row[0] for row in rows)
    return format_table(rows, header)


@given(st.lists(_BLOCK, min_size=1, max_size=6))
def test_written_blocks_read_back(specs: list[Spec]) -> None:
    body = normalize_body("\n\n".join(_written(*spec) for spec in specs))
    blocks = parse_blocks(body)
    assert len(blocks) == len(specs)
    for block, (kind, level, rows, header) in zip(blocks, specs, strict=True):
        cleaned = tuple(tuple(_clean(c) for c in row) for row in rows)
        assert block.kind == kind
        if kind == "heading":
            assert (block.level, block.lines) == (level, cleaned[0])
        elif kind in ("list", "quote"):
            assert block.lines == tuple(row[0] for row in cleaned)
        else:
            assert (block.header, *block.rows) == cleaned if header else block.rows == cleaned


def test_the_site_renders_the_blocks_escaped(home: Path, tmp_path: Path) -> None:
    hostile = BODY + "\n## <script>alert(1)</script>\n\n- <img src=x onerror=alert(2)>\n"
    page = tmp_path / "story.md"
    page.write_text(f"---\ntitle: Results\nsource: paper\n---\n\n{hostile}", "utf-8")
    assert run_cli(home, "ingest", str(page)).exit_code == 0
    with Vault.open(home) as vault, TestClient(create_app(vault)) as client:
        current = client.get("/articles/story").text
        revision = client.get("/articles/story/revisions/1").text
    assert '<h4 class="body-head">A subheading</h4>' in current
    assert '<h5 class="body-head">A smaller heading</h5>' in current
    assert '<h2 class="body-head">A subheading</h2>' in revision
    for html in (current, revision):
        assert '<ul class="body-list"><li>a list item</li><li>another item</li></ul>' in html
        assert "<blockquote" in html and "<p>Its second paragraph.</p>" in html
        assert '<th scope="col">District</th>' in html and "<td>South | East</td>" in html
        assert "<td>Electorate</td><td>4,310</td>" in html
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
        assert "<img src=x" not in html and "&lt;img src=x" in html
