"""The demo newsroom tells the story: every kind of change the issue lists is in it, computed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from versionvault.archive import Diff, Vault
from versionvault.cli import build_demo
from versionvault.text import CJK_RUN

from .conftest import SAMPLES

CLOSING = re.compile(r"fictional|虚构")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    vault = build_demo(tmp_path_factory.mktemp("demo") / "archive")
    yield vault
    vault.close()


@pytest.fixture(scope="module")
def steps(demo: Vault) -> list[Diff]:
    """Every revision of the demo against the one before it."""
    found = []
    for row in demo.articles(limit=100)[0]:
        for number in range(2, row.revisions + 1):
            found.append(demo.diff(row.id, number - 1, number))
    return found


def _removed(diff: Diff) -> list[str]:
    return [t for b in diff.words.body for op, t in b.ops if op == "-"]


def _added(diff: Diff) -> list[str]:
    return [t for b in diff.words.body for op, t in b.ops if op == "+"]


def _block_text(block: object) -> str:
    return "".join(t for op, t in getattr(block, "ops", ()) if op != "+")


def test_the_demo_has_six_to_ten_articles_of_three_to_eight_revisions(demo: Vault) -> None:
    rows = {r.id: r for r in demo.articles(limit=100)[0]}
    fictional = {k: r for k, r in rows.items() if r.source in ("harbour-courier", "gangkou-ribao")}
    assert 6 <= len(fictional) <= 10
    assert all(3 <= r.revisions <= 8 for r in fictional.values())
    assert rows["newschina-xi-putin-talks"].revisions == 1  # the seed stays as it is


def test_typography_and_whitespace_only_revisions(steps: list[Diff]) -> None:
    kinds = {d.words.kind for d in steps}
    assert {"substantive", "typography", "whitespace"} <= kinds
    typography = next(d for d in steps if d.words.kind == "typography")
    assert any("\u201c" in t or "\u2013" in t for t in _added(typography))


def test_a_softened_headline(steps: list[Diff]) -> None:
    softened = [d for d in steps if d.words.stats.headline_changed and d.old.number == 1]
    assert softened
    old, new = softened[0].old.title, softened[0].new.title
    assert "Misled" in old and "Misled" not in new


def test_a_corrected_figure_in_prose_and_in_a_table(steps: list[Diff]) -> None:
    in_prose = in_table = False
    for diff in steps:
        for block in diff.words.body:
            removed = "".join(t for op, t in block.ops if op == "-")
            added = "".join(t for op, t in block.ops if op == "+")
            if re.search(r"\d", removed) and re.search(r"\d", added) and block.type == "change":
                if _block_text(block).lstrip().startswith("|"):
                    in_table = True
                else:
                    in_prose = in_prose or diff.new.note.startswith("Correction")
    assert in_prose and in_table


def test_an_editors_correction_carries_a_note_and_its_author(steps: list[Diff]) -> None:
    corrections = [d for d in steps if d.new.note.startswith(("Correction", "更正"))]
    assert len(corrections) >= 2
    assert all(d.new.author.split(" <")[0] != d.new.source for d in corrections)


def test_a_removed_quote(steps: list[Diff]) -> None:
    assert any(
        block.type == "change"
        and _block_text(block).lstrip().startswith(">")
        and all(op in "-=" for op, _ in block.ops)
        and any(op == "-" for op, _ in block.ops)
        for diff in steps
        for block in diff.words.body
    )


def test_a_moved_paragraph(steps: list[Diff]) -> None:
    moved = [d for d in steps if d.words.stats.paragraphs_moved]
    assert moved
    kinds = {b.type for b in moved[0].words.body}
    assert {"moved-out", "moved-in"} <= kinds


def test_an_appended_update(steps: list[Diff]) -> None:
    updates = [
        d
        for d in steps
        if any(t.lstrip().startswith("Update,") for t in _added(d)) and not _removed(d)
    ]
    assert len(updates) >= 1


def test_a_byline_change_alone(steps: list[Diff]) -> None:
    bylines = [d for d in steps if "byline" in d.words.fields]
    assert any(
        any(op != "=" for op, _ in d.words.fields["byline"])
        and all(op == "=" for b in d.words.body for op, _ in b.ops)
        for d in bylines
    )


def test_a_chinese_article_corrected_character_by_character(steps: list[Diff]) -> None:
    chinese = [d for d in steps if CJK_RUN.search(d.new.title)]
    assert len(chinese) >= 3
    single = [d for d in chinese if any(len(t) == 1 and CJK_RUN.fullmatch(t) for t in _removed(d))]
    assert len(single) >= 2


def test_an_article_taken_down(demo: Vault) -> None:
    removed = [
        (row.id, e)
        for row in demo.articles(limit=100)[0]
        for e in demo.events(row.id)
        if e.event == "removed"
    ]
    assert len(removed) == 1
    article_id, event = removed[0]
    assert event.after_revision == demo.article(article_id).revisions


def test_the_samples_hold_no_text_from_outside_the_project() -> None:
    for path in SAMPLES.iterdir():
        if not path.is_file() or path.name.startswith("newschina-"):
            continue  # the seed article is the one real revision, kept as it is
        text = path.read_text("utf-8")
        lowered = text.lower()
        for word in ("github", "wikipedia", "copyright", "\u00a9", "all rights reserved"):
            assert word not in lowered, (path.name, word)
        for host in re.findall(r"https?://([^/\s\"'>)]+)", text):
            assert host.endswith(".example"), (path.name, host)


def test_every_fictional_article_says_so_and_its_source_is_marked(demo: Vault) -> None:
    sources = demo.sources.sources
    for name in ("harbour-courier", "gangkou-ribao"):
        assert sources[name].fictional and "fictional" in sources[name].description
    for row in demo.articles(limit=100)[0]:
        if row.source in sources and sources[row.source].fictional:
            text = demo.text(demo.revision(row.id))
            assert CLOSING.search(text.body.rstrip().split("\n\n")[-1]), row.id


def test_the_demo_builds_from_the_packaged_samples(tmp_path: Path) -> None:
    with build_demo(tmp_path / "again") as vault:
        assert vault.index.counts() == (8, 29)
        assert vault.featured() is not None
