"""Tests of reindex and verify over whole histories: the same index, bounded walks and memory."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from versionvault.archive import Vault, store
from versionvault.text import make_article

from .test_scale import ARCHIVED, _corpus, _rss

_QUERIES = ("the", "harbour", "fictional", "边境", "newsroom", "said OR were")
_STARTED = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def _snapshot(home: Path) -> dict[str, object]:
    """Return every derived row of the index, its indexes, and what searches find."""
    with Vault.open(home) as vault:
        found = {q: [(r.article, r.number) for r in vault.search(q, limit=500)] for q in _QUERIES}
    db = sqlite3.connect(home / "index.sqlite3")
    tables = {
        name: db.execute(f"SELECT * FROM {name} ORDER BY 1, 2").fetchall()
        for name in ("articles", "revisions", "events", "article_tallies", "source_tallies")
    }
    indexes = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    db.close()
    return {"tables": tables, "indexes": sorted(indexes), "search": found}


def _mixed_history(home: Path, tmp_path: Path) -> None:
    """Write a history every way the archive is written: imports, saves, events, CJK."""
    _corpus(tmp_path / "corpus.jsonl", 300)
    with Vault.open(home) as vault:
        vault.import_records((tmp_path / "corpus.jsonl").read_text("utf-8").splitlines())
        for k in range(6):
            body = f"A fictional newsroom reports, take {k}.\n\n边境口岸今天开放 {k}。"
            title = "Border opens" if k < 3 else "Border opened"
            article = make_article(
                id="border", source="desk", title=title, body=body, url="https://desk.example/b"
            )
            vault.save_revision(article, observed=_STARTED + timedelta(hours=k))
            if k == 3:
                vault.record_event("border", "removed", observed=_STARTED + timedelta(hours=k))
        vault.save_revision(
            make_article(id="solo", source="desk", title="Solo", body="One fictional line."),
            editor="ed",
            note="a note",
        )


def test_reindex_and_a_fresh_index_equal_the_incremental_one(home: Path, tmp_path: Path) -> None:
    _mixed_history(home, tmp_path)
    incremental = _snapshot(home)
    with Vault.open(home) as vault:
        assert vault.verify() == []
        vault.reindex()
    assert _snapshot(home) == incremental
    for suffix in ("", "-wal", "-shm"):  # an index made afresh when the archive is opened
        Path(f"{home / 'index.sqlite3'}{suffix}").unlink(missing_ok=True)
    assert _snapshot(home) == incremental
    with Vault.open(home) as vault:
        assert vault.verify() == []


def test_an_interrupted_reindex_gets_its_indexes_back_and_carries_on(
    home: Path, tmp_path: Path
) -> None:
    _mixed_history(home, tmp_path)
    whole = _snapshot(home)

    class Stopped(Exception):
        pass

    def stop_halfway(done: list[int] = [0]) -> None:  # noqa: B006 (a counter)
        done[0] += 1
        if done[0] == 150:
            raise Stopped

    with Vault.open(home) as vault, pytest.raises(Stopped):
        vault.reindex(lambda _: stop_halfway())
    assert _snapshot(home) == whole  # the next open caught up from where it stopped


def test_a_walk_longer_than_it_keeps_in_memory_spills_and_keeps_its_order(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k in range(7):
        body = f"Version {k} of a fictional story."
        vault.save_revision(make_article(id="story", source="desk", title="T", body=body))
    expected = [record.sha for record in vault.store.walk(None)]
    monkeypatch.setattr(store, "_CHAIN_KEPT", 20 * 2)  # two commits, then to the file
    assert [record.sha for record in vault.store.walk(None)] == expected
    since = expected[1]
    assert [record.sha for record in vault.store.walk(since)] == expected[2:]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_reindex_and_verify_memory_does_not_grow_with_the_history(
    tmp_path: Path, home: Path
) -> None:
    """Peak RSS of `reindex` and `verify` on 1,000 and 4,000 revisions, in subprocesses."""
    peaks: dict[tuple[str, int], int] = {}
    lines = _corpus(tmp_path / "corpus.jsonl", 4000, words="60-150")
    for start, size in ((0, 1000), (1000, 4000)):
        part = tmp_path / f"part-{size}.jsonl"
        part.write_text("\n".join(lines[start:size]) + "\n")
        command = [sys.executable, "-m", "versionvault", "--archive", str(home), "import"]
        imported = subprocess.run(
            [*command, str(part), "--archived", ARCHIVED], capture_output=True
        )
        assert imported.returncode == 0, imported.stderr
        for command in ("reindex", "verify"):
            proc = subprocess.Popen(
                [sys.executable, "-m", "versionvault", "--archive", str(home), command],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            samples = [0]
            while proc.poll() is None:
                samples.append(_rss(proc.pid))
                time.sleep(0.02)
            assert proc.returncode == 0, command
            peaks[command, size] = max(samples)
    for command in ("reindex", "verify"):
        small, large = peaks[command, 1000], peaks[command, 4000]
        shown = f"{command}: {small / 1e6:.0f} MB at 1,000 revisions, {large / 1e6:.0f} at 4,000"
        assert large < small * 1.25 + 30e6, shown


def test_reindex_rebuilds_an_index_left_behind_without_catching_it_up_first(
    home: Path, tmp_path: Path
) -> None:
    def save(vault: Vault, k: int) -> None:
        body = f"Version {k} of a fictional story."
        vault.save_revision(make_article(id="story", source="desk", title="T", body=body))

    with Vault.open(home) as vault:
        for k in range(3):
            save(vault, k)
    behind = tmp_path / "behind.sqlite3"
    behind.write_bytes((home / "index.sqlite3").read_bytes())
    with Vault.open(home) as vault:
        for k in range(3, 6):
            save(vault, k)
    for suffix in ("-wal", "-shm"):
        Path(f"{home / 'index.sqlite3'}{suffix}").unlink(missing_ok=True)
    (home / "index.sqlite3").write_bytes(behind.read_bytes())
    with Vault.open(home, catch_up=False) as vault:  # as `reindex` opens it
        assert vault.index.last_commit() != vault.store.tip()
        assert vault.index.counts() == (1, 3)
        assert vault.reindex() == 6
        assert vault.index.last_commit() == vault.store.tip()
    done = subprocess.run(
        [sys.executable, "-m", "versionvault", "--archive", str(home), "reindex"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and done.stdout.strip() == "indexed 6 revisions", done.stderr


def _text_merging(home: Path) -> dict[str, int]:
    db = sqlite3.connect(home / "index.sqlite3")
    rows = db.execute("SELECT k, v FROM revision_text_config").fetchall()
    db.close()
    return {key: value for key, value in rows if key in ("automerge", "crisismerge")}


def test_the_full_text_index_merges_sixteen_segments_a_level_old_indexes_too(home: Path) -> None:
    article = make_article(id="merge", source="desk", title="Merge", body="Fictional text.")
    with Vault.open(home) as vault:
        vault.save_revision(article)
    assert _text_merging(home) == {"automerge": 16, "crisismerge": 32}
    db = sqlite3.connect(home / "index.sqlite3")  # an index from before the policy
    db.execute("INSERT INTO revision_text (revision_text, rank) VALUES ('automerge', 4)")
    db.execute("DELETE FROM revision_text_config WHERE k = 'crisismerge'")
    db.commit()
    db.close()
    with Vault.open(home) as vault:
        vault.save_revision(make_article(id="merge", source="desk", title="Merge", body="More."))
        assert [r.number for r in vault.search("fictional")] == [1]
    assert _text_merging(home) == {"automerge": 16, "crisismerge": 32}
