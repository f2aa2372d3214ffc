"""Structural checks of the fictional newsroom sample (standard library only)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from itertools import pairwise
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "src" / "versionvault" / "samples"
NEWSROOM = SAMPLES / "newsroom.jsonl"
README = SAMPLES / "NEWSROOM.md"
REQUIRED = (
    "id",
    "source",
    "title",
    "body",
    "url",
    "byline",
    "published",
    "updated",
    "observed",
    "note",
)
OFFSET_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
CJK = re.compile(r"[\u4e00-\u9fff]")
TAKEN_DOWN = re.compile(r"^Taken down: ([a-z0-9-]+) at (\S+)$", re.M)


def _records() -> list[dict[str, object]]:
    lines = NEWSROOM.read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _histories() -> dict[str, list[dict[str, str]]]:
    histories: dict[str, list[dict[str, str]]] = {}
    for record in _records():
        text = {key: value for key, value in record.items() if isinstance(value, str)}
        histories.setdefault(text["id"], []).append(text)
    return histories


def test_every_line_is_an_object_with_string_fields() -> None:
    for record in _records():
        for key in REQUIRED:
            assert isinstance(record.get(key), str), (record.get("id"), key)
        assert isinstance(record.get("author", ""), str)
        assert OFFSET_TIME.fullmatch(str(record["observed"])), record["observed"]
        assert str(record["url"]).startswith("https://")
        assert ".example/" in str(record["url"])


def test_observed_times_increase() -> None:
    times = [datetime.fromisoformat(str(record["observed"])) for record in _records()]
    assert all(a < b for a, b in pairwise(times))


def test_articles_and_revisions_are_counted() -> None:
    histories = _histories()
    assert 6 <= len(histories) <= 10
    for article_id, revisions in histories.items():
        assert 3 <= len(revisions) <= 8, article_id


def test_a_chinese_article_of_a_second_outlet_exists() -> None:
    chinese = [
        revisions
        for revisions in _histories().values()
        if CJK.search(revisions[0]["body"]) and revisions[0]["source"] != "harbour-courier"
    ]
    assert chinese


def test_every_body_says_fictional_in_a_closing_line_that_never_changes() -> None:
    for article_id, revisions in _histories().items():
        closings = {revision["body"].rstrip("\n").split("\n\n")[-1] for revision in revisions}
        assert len(closings) == 1, article_id
        assert "fictional" in closings.pop(), article_id


def test_the_taken_down_article_goes_after_its_last_revision() -> None:
    match = TAKEN_DOWN.search(README.read_text("utf-8"))
    assert match is not None
    revisions = _histories()[match.group(1)]
    last = datetime.fromisoformat(revisions[-1]["observed"])
    assert datetime.fromisoformat(match.group(2)) > last
