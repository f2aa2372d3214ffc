"""The extraction corpus (tests/extract_corpus): every page's text, title, byline and refusal."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from versionvault.text import (
    Article,
    InvalidArticle,
    decode_html,
    normalize_line,
    parse_blocks,
    parse_html,
)

CORPUS = Path(__file__).resolve().parent / "extract_corpus"
PAGES = sorted(p.name.removesuffix(".html") for p in CORPUS.glob("*.html"))
# Pages whose point is their structure: there every block must come out exactly as expected.
STRUCTURED = ("subheads", "standings", "standings.2", "results-table", "graph-authors")
# Two captures of one article where only furniture changed: the bodies must be identical.
RECAPTURED = (("readmore", "readmore.2"), ("churn-inline", "churn-inline.2"))
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+);", re.IGNORECASE)


def _bench() -> ModuleType:
    """Load bench/bench_extract.py, so this test and the benchmark score the same way."""
    path = CORPUS.parents[1] / "bench" / "bench_extract.py"
    spec = importlib.util.spec_from_file_location("bench_extract", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_extract", module)
    spec.loader.exec_module(module)
    return module


BENCH = _bench()


def _expected(name: str) -> dict[str, Any]:
    return dict(json.loads((CORPUS / f"{name}.expected.json").read_text("utf-8")))


def _extract(name: str) -> Article:
    html = decode_html((CORPUS / f"{name}.html").read_bytes())
    return parse_html(html, "page", "corpus", f"https://corpus.example/{name}")


def test_the_corpus_is_complete() -> None:
    assert len(PAGES) >= 22
    for name in PAGES:
        assert {"title", "byline", "body"} <= _expected(name).keys(), name


@pytest.mark.parametrize("name", PAGES)
def test_each_page_gives_its_text_title_and_byline(name: str) -> None:
    expected = _expected(name)
    if expected.get("refuse"):
        with pytest.raises(InvalidArticle, match="licence or subscription notice"):
            _extract(name)
        return
    article = _extract(name)
    precision, recall, f1 = BENCH.score(expected["body"], article.body)
    assert f1 >= 0.95, (name, precision, recall)
    assert article.title == normalize_line(expected["title"])
    assert article.byline == normalize_line(expected["byline"])
    assert not _ENTITY.search(article.title), article.title
    if name in STRUCTURED:
        assert article.body == expected["body"] + "\n"


def test_the_corpus_scores_above_the_goal() -> None:
    scores = []
    for name in PAGES:
        expected = _expected(name)
        try:
            body = _extract(name).body
        except InvalidArticle:
            body = ""
        scores.append(BENCH.score(expected["body"], body)[2])
    assert sum(scores) / len(scores) >= 0.975


@pytest.mark.parametrize(("first", "second"), RECAPTURED)
def test_furniture_that_changes_between_captures_makes_no_difference(
    first: str, second: str
) -> None:
    assert _extract(first).body == _extract(second).body


def test_structure_survives_as_blocks() -> None:
    kinds = [b.kind for b in parse_blocks(_extract("subheads").body)]
    assert kinds.count("heading") == 5 and "list" in kinds and "quote" in kinds
    table = next(b for b in parse_blocks(_extract("standings").body) if b.kind == "table")
    assert table.header[:2] == ("Pos", "Team") and len(table.rows) == 6
    assert table.rows[3] == ("4", "Saltmarsh United", "11", "6", "2", "4", "20")
