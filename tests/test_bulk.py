"""Tests of bulk import: the worker process, batches, and writers that cut in between batches."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
from pathlib import Path

import pytest

from versionvault.archive import ImportStopped, Index, Vault
from versionvault.archive.importer import Worker
from versionvault.diff import count_words
from versionvault.text import make_article

from .conftest import git


def _lines(articles: int, rounds: int, seed: int = 7) -> list[str]:
    """Return JSONL revisions: round after round, each article edited or left as it was."""
    rng = random.Random(seed)
    words = [
        "the",
        "council",
        "said",
        "on",
        "Tuesday",
        "that",
        "roads",
        "and",
        "schools",
        "would",
        "reopen",
    ]
    bodies = {
        n: [" ".join(rng.choices(words, k=30)) + "." for _ in range(4)] for n in range(articles)
    }
    lines = []
    for round_ in range(rounds):
        for n in range(articles):
            paragraphs = bodies[n]
            if round_ and rng.random() < 0.8:
                k = rng.randrange(len(paragraphs))
                if rng.random() < 0.2:
                    paragraphs.insert(0, paragraphs.pop())  # a moved paragraph
                else:
                    paragraphs[k] = paragraphs[k].replace(rng.choice(words), "not", 1) + " Yes."
            record = {
                "id": f"story-{n}",
                "source": f"desk-{n % 3}",
                "title": f"Story {n}" + (" updated" if round_ > rounds // 2 else ""),
                "body": "\n\n".join(paragraphs),
                "observed": f"2024-05-{1 + round_:02d}T{n % 24:02d}:00:00+02:00",
            }
            lines.append(json.dumps(record))
    return lines


def _history(home: Path) -> list[str]:
    """Return every commit on main as git shows it, without the archiving time."""
    log = git("--git-dir", str(home / "articles.git"), "log", "--format=%T %an %ad%n%B%n--")
    return log.split("\n--\n")


@pytest.mark.parametrize("parallel", [True, False])
def test_import_in_a_worker_or_here_writes_the_same_history(tmp_path: Path, parallel: bool) -> None:
    lines = _lines(12, 8)
    homes = [tmp_path / "worker", tmp_path / "here"]
    for home, mode in zip(homes, [parallel, not parallel], strict=True):
        with Vault.init(home) as vault:
            saved, unchanged = vault.import_records(lines, batch=20, parallel=mode)
            assert saved + unchanged == len(lines) and unchanged > 0
            assert vault.verify() == []
    assert _history(homes[0]) == _history(homes[1])
    assert git("--git-dir", str(homes[0] / "articles.git"), "fsck", "--strict") == ""


def test_the_worker_runs_in_another_process_only_where_forking_is_safe() -> None:
    items = list(range(200))
    with Worker() as worker:
        pids = worker.submit(_pids, items).result()
    assert len(pids) == len(items) and os.getpid() not in pids
    with Worker(parallel=False) as worker:
        assert set(worker.submit(_pids, items).result()) == {os.getpid()}


def _pids(items: list[int]) -> list[int]:
    return [os.getpid() for _ in items]


def test_import_stats_agree_with_the_diff_and_a_rebuilt_index(vault: Vault, home: Path) -> None:
    vault.import_records(_lines(6, 6), batch=7)
    for row in vault.index.all_revisions():
        text = vault.text(row)
        assert row.words == count_words(text.body)
        if row.number > 1:
            diff = vault.diff(row.article, row.number - 1, row.number)
            assert (row.words_added, row.words_removed) == (
                diff.words.stats.words_added,
                diff.words.stats.words_removed,
            )
            assert row.kind == diff.words.kind
    fresh = Index(home / "fresh.sqlite3")
    fresh.rebuild(vault.store)
    assert list(fresh.all_revisions()) == list(vault.index.all_revisions())


@pytest.mark.parametrize("parallel", [True, False])
def test_a_writer_between_batches_is_kept_and_numbered_in(home: Path, parallel: bool) -> None:
    lines = _lines(4, 10)
    other = Vault.open(home)
    calls = 0

    def cut_in(_: int) -> None:
        nonlocal calls
        calls += 1
        if calls in (2, 3):  # the batch after this one was planned already
            latest = other.revision("story-1")
            article = other.text(latest)
            other.save_revision(
                make_article(**{**vars(article), "body": article.body + f"Cut in {calls}.\n"}),
                note=f"cut in {calls}",
            )

    with Vault.open(home) as vault:
        vault.import_records(lines, progress=cut_in, batch=6, parallel=parallel)
        history = vault.history("story-1")
        assert [r.number for r in history] == list(range(1, len(history) + 1))
        notes = [r.note for r in history]
        assert "cut in 2" in notes and "cut in 3" in notes
        after = history[notes.index("cut in 3") + 1]
        assert after.words_removed >= 3  # measured against the cut-in text, not the one before
        last = [json.loads(line) for line in lines if '"story-1"' in line][-1]
        assert vault.text(history[-1]).body == last["body"] + "\n"
        assert vault.verify() == []
    other.close()
    assert git("--git-dir", str(home / "articles.git"), "fsck", "--strict") == ""


def test_a_bad_line_after_full_batches_keeps_every_batch_before_it(vault: Vault) -> None:
    lines = _lines(5, 6)
    with pytest.raises(ImportStopped, match=r"^line 23: not valid JSON"):
        vault.import_records([*lines[:22], "{", *lines[22:]], batch=5)
    assert sum(len(vault.history(f"story-{n}")) for n in range(5)) + _unchanged(lines[:22]) == 22
    assert vault.verify() == []


def _unchanged(lines: list[str]) -> int:
    seen: dict[str, tuple[str, str]] = {}
    same = 0
    for record in map(json.loads, lines):
        content = (record["title"], record["body"])
        same += seen.get(record["id"]) == content
        seen[record["id"]] = content
    return same


def test_a_worker_that_dies_stops_the_import_and_keeps_what_was_written(home: Path) -> None:
    lines = _lines(5, 8)

    def kill_the_worker(_: int) -> None:
        for child in multiprocessing.active_children():
            child.kill()

    with Vault.open(home) as vault:
        with pytest.raises(ImportStopped, match=r"worker process died; the (\d+) revisions"):
            vault.import_records(lines, progress=kill_the_worker, batch=10)
        kept = len(list(vault.index.all_revisions()))
        assert kept >= 10 and vault.verify() == []
    assert git("--git-dir", str(home / "articles.git"), "fsck", "--strict") == ""
