"""Tests for saving revisions: git on disk, trailers, locking, crashes and the index."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from dulwich.objects import Blob
from dulwich.pack import apply_delta
from hypothesis import given, settings
from hypothesis import strategies as st

from versionvault.archive import (
    Identity,
    Index,
    InvalidIdentity,
    StaleRevision,
    Store,
    StoreError,
    Vault,
    VaultError,
)
from versionvault.archive.commits import NewCommit
from versionvault.archive.deltas import delta
from versionvault.text import Article, make_article

from .conftest import git


def _article(body: str, title: str = "A Title", article_id: str = "story") -> Article:
    return make_article(id=article_id, source="paper", title=title, body=body, url="https://p/s")


def _fsck(home: Path) -> None:
    git("--git-dir", str(home / "articles.git"), "fsck", "--strict", "--no-dangling")


def _git_log(home: Path, fmt: str = "%H") -> list[str]:
    out = git("--git-dir", str(home / "articles.git"), "log", f"--format={fmt}", "main")
    return out.splitlines()


def test_save_writes_a_clean_commit_with_trailers(vault: Vault, home: Path) -> None:
    observed = datetime(2024, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    first = vault.save_revision(_article("One two three."), observed=observed, note="first seen")
    assert (first.status, first.revision) == ("saved", 1)
    second = vault.save_revision(_article("One two four five."), author="Ann Editor <ann@x.org>")
    assert (second.status, second.revision) == ("saved", 2)
    _fsck(home)
    assert _git_log(home) == [second.commit, first.commit]
    message = git("--git-dir", str(home / "articles.git"), "log", "-1", "--format=%B", first.commit)
    assert message.startswith("story: revision 1\n\n")
    trailers = git(
        "--git-dir",
        str(home / "articles.git"),
        "log",
        "-1",
        "--format=%(trailers:only,unfold)",
        first.commit,
    )
    assert "Article: story\n" in trailers
    assert "Revision: 1\n" in trailers
    assert "Url: https://p/s\n" in trailers
    assert "Observed: 2024-03-01T12:00:00+05:30\n" in trailers
    assert "Note: first seen\n" in trailers
    assert "Path: paper/2024/03/01/story.md\n" in trailers  # the UTC day first seen
    dates = git(
        "--git-dir", str(home / "articles.git"), "log", "-1", "--format=%aI|%an|%cn", first.commit
    )
    assert dates.strip() == "2024-03-01T12:00:00+05:30|paper|VersionVault"
    assert _git_log(home, "%an")[0] == "Ann Editor"
    tree = git("--git-dir", str(home / "articles.git"), "ls-tree", "-r", "--name-only", "main")
    assert tree.split() == ["paper/2024/03/01/story.md"]
    stored = git("--git-dir", str(home / "articles.git"), "show", "main:paper/2024/03/01/story.md")
    assert stored == vault.stored_file(vault.revision("story", "latest"))


@pytest.mark.parametrize("layout", ["dated", "flat"])
def test_trees_are_in_gits_order_for_names_that_prefix_each_other(
    tmp_path: Path, layout: str
) -> None:
    # git sorts a directory as if its name ended in "/" ("a-b/" before "a/" before "a0/") and
    # a file by its name ("x-y.md" before "x.md" before "x0.md"); fsck --strict checks it.
    home = tmp_path / layout
    Vault.init(home, layout=layout).close()
    paths = [("a", "x"), ("a0", "z"), ("a", "x0"), ("a-b", "y"), ("a", "x-y")]
    seen = datetime(2024, 5, 31, 23, 30, tzinfo=timezone(timedelta(hours=-2)))  # June 1st, UTC
    with Vault.open(home) as vault:
        vault.save_revision(_article("One.", article_id="first"), observed=seen)
        for n, (source, article_id) in enumerate(paths):
            vault.save_revision(
                make_article(id=article_id, source=source, title="T", body=f"Text {n}."),
                observed=seen,
            )
        vault.import_records(  # a batch too: one pack, the same trees
            json.dumps({"id": i, "source": s, "title": "T", "body": f"Again {i}."})
            for s, i in paths * 4
        )
        assert vault.verify() == []
    listed = git("--git-dir", str(home / "articles.git"), "ls-tree", "-r", "--name-only", "main")
    day = "2024/06/01/" if layout == "dated" else ""
    assert listed.split() == [
        f"a-b/{day}y.md",
        f"a/{day}x-y.md",
        f"a/{day}x.md",
        f"a/{day}x0.md",
        f"a0/{day}z.md",
        f"paper/{day}first.md",
    ]
    _fsck(home)


def test_unchanged_makes_no_commit_and_a_revert_makes_one(vault: Vault, home: Path) -> None:
    vault.save_revision(_article("Alpha beta."))
    again = vault.save_revision(_article("Alpha   beta.  \n\n\n"))
    assert (again.status, again.revision) == ("unchanged", 1)
    vault.save_revision(_article("Alpha gamma."))
    revert = vault.save_revision(_article("Alpha beta."))
    assert (revert.status, revert.revision) == ("saved", 3)
    assert len(_git_log(home)) == 3
    assert vault.revision("story", 1).blob == vault.revision("story", 3).blob


def test_the_author_date_is_the_articles_own_update_time(vault: Vault, home: Path) -> None:
    article = make_article(
        id="x", source="paper", title="T", body="Body.", updated="2024-03-02T12:30:00+01:00"
    )
    vault.save_revision(article)
    assert _git_log(home, "%aI")[0] == "2024-03-02T12:30:00+01:00"


def test_revisions_are_named_by_number_sha_first_latest(vault: Vault) -> None:
    shas = [vault.save_revision(_article(f"Text number {n}.")).commit for n in range(3)]
    assert vault.revision("story", "first").commit == shas[0]
    assert vault.revision("story", "latest").commit == shas[2]
    assert vault.revision("story", "2").commit == shas[1]
    assert vault.revision("story", shas[1][:8]).number == 2
    assert vault.revision("story", shas[1]).number == 2
    with pytest.raises(VaultError):
        vault.revision("story", "9")
    with pytest.raises(VaultError):
        vault.revision("nope", "1")


def test_stale_expected_revision_is_refused(vault: Vault) -> None:
    first = vault.save_revision(_article("Version one."))
    vault.save_revision(_article("Version two."))
    with pytest.raises(StaleRevision) as caught:
        vault.save_revision(_article("Version three."), expected=first.commit)
    assert caught.value.current == vault.revision("story").commit
    assert len(vault.history("story")) == 2


def test_an_article_cannot_change_source(vault: Vault) -> None:
    vault.save_revision(_article("Text."))
    moved = make_article(id="story", source="other", title="T", body="Text.")
    with pytest.raises(VaultError, match="belongs to source"):
        vault.save_revision(moved)


@pytest.mark.parametrize(
    "path",
    [
        *("../x.md", "paper/../x.md", ".git/x.md", "paper//x.md", "paper/x", "a/b/c.md", "/x.md"),
        *("paper/2024/13/01/x.md", "paper/2024/02/00/x.md", "paper/24/02/01/x.md"),
        *("paper/2024/02/01/x", "paper/2024/02/x.md", "captures/x.md", "paper/x.html"),
        *("captures/paper/x.md", "captures/paper/2024/02/01/../x.html", "paper/x.md/y.md"),
    ],
)
def test_store_refuses_unsafe_paths(home: Path, path: str) -> None:
    store = Store(home / "articles.git")
    new = NewCommit(path, "x", Identity("A", "a@b"), datetime.now(UTC), datetime.now(UTC), "m")
    with pytest.raises(StoreError), store.transaction() as txn:
        txn.add(new)
    assert store.tip() is None


@pytest.mark.parametrize("author", ["", "A\nB", "A <b\n>", "<a@b>", "A <b> <c>", "A\0"])
def test_identities_git_would_reject_are_refused(author: str) -> None:
    with pytest.raises(InvalidIdentity):
        Identity.parse(author)


def test_non_minute_offsets_are_refused(home: Path) -> None:
    store = Store(home / "articles.git")
    odd = datetime.now(timezone(timedelta(seconds=30)))
    new = NewCommit("paper/x.md", "x", Identity("A", "a@b"), odd, odd, "m")
    with pytest.raises(StoreError), store.transaction() as txn:
        txn.add(new)
    assert store.tip() is None


def test_index_rebuilt_from_git_equals_the_live_index(vault: Vault, home: Path) -> None:
    for n in range(5):
        vault.save_revision(
            _article(f"Body {n} of the story.", title=f"Title {n % 2}"), note=f"note {n}"
        )
        vault.save_revision(_article(f"Other {n}.", article_id="other"))
    live = list(vault.index.all_revisions())
    fresh = Index(home / "fresh.sqlite3")
    fresh.rebuild(vault.store)
    assert list(fresh.all_revisions()) == live
    assert vault.reindex() == len(live)
    assert list(vault.index.all_revisions()) == live
    assert vault.verify() == []
    assert vault.history("story")[3].headline_changed


def test_index_catches_up_on_open(home: Path) -> None:
    with Vault.open(home) as one, Vault.open(home) as two:
        one.save_revision(_article("Seen by one."))
        with Vault.open(home) as three:
            assert three.history("story")[0].number == 1
        two.index.catch_up(two.store)
        assert two.history("story")[0].number == 1


def test_index_rebuilds_when_main_no_longer_holds_its_commit(vault: Vault, home: Path) -> None:
    vault.save_revision(_article("First text."))
    vault.save_revision(_article("Second text."))
    first = vault.revision("story", 1).commit
    git("--git-dir", str(home / "articles.git"), "update-ref", "refs/heads/main", first)
    with Vault.open(home) as reopened:
        assert [r.commit for r in reopened.history("story")] == [first]


def test_search_finds_text_that_was_later_removed(vault: Vault) -> None:
    vault.save_revision(_article("The mayor praised the xylophone orchestra."))
    vault.save_revision(_article("The mayor praised the orchestra."))
    hits = vault.search("xylophone")
    assert [(h.article, h.number) for h in hits] == [("story", 1)]


_WRITER = """
import sys
from versionvault.text import make_article
from versionvault.archive import Vault
vault = Vault.open(__import__("pathlib").Path(sys.argv[1]))
for n in range(int(sys.argv[3])):
    article = make_article(id=f"{sys.argv[2]}-{n % 3}", source="paper", title="T",
                           body=f"Writer {sys.argv[2]} revision {n}.")
    vault.save_revision(article)
"""


def test_four_processes_lose_no_revision(home: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(home), f"w{i}", "100"])
        for i in range(4)
    ]
    assert [p.wait(timeout=600) for p in procs] == [0, 0, 0, 0]
    assert len(_git_log(home)) == 400
    _fsck(home)
    with Vault.open(home) as vault:
        assert vault.verify() == []
        assert vault.index.counts() == (12, 400)


def test_a_writer_killed_mid_save_leaves_a_working_archive(home: Path) -> None:
    for delay in (0.3, 0.6, 0.9, 1.2, 1.6):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(home), "k", "100000"])
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with Vault.open(home) as vault:
            result = vault.save_revision(_article(f"After the kill at {delay}."))
            assert result.status == "saved"
            _fsck(home)
            assert vault.verify() == []


def test_stale_locks_left_by_a_killed_writer_are_cleared(vault: Vault, home: Path) -> None:
    vault.save_revision(_article("Before the crash."))
    repo = home / "articles.git"
    (repo / "refs" / "heads" / "main.lock").write_text("garbage\n")
    blob = Blob.from_string(b"---\ntitle: T\nsource: paper\nurl: https://p/s\n---\n\nAfter.\n")
    sha = blob.id.decode()
    (repo / "objects" / sha[:2]).mkdir(exist_ok=True)
    (repo / "objects" / sha[:2] / (sha[2:] + ".lock")).write_bytes(b"partial")
    (repo / "objects" / "pack" / "tmpabc123.pack").write_bytes(b"partial pack")
    (repo / "objects" / "pack" / "tmp_fresh.pack").write_bytes(b"a roll still writing")
    old = time.time() - 60
    os.utime(repo / "refs" / "heads" / "main.lock", (old, old))
    crashed = time.time() - 2 * 3600
    os.utime(repo / "objects" / "pack" / "tmpabc123.pack", (crashed, crashed))
    result = vault.save_revision(_article("After."))
    assert result.revision == 2
    assert not (repo / "refs" / "heads" / "main.lock").exists()
    assert not (repo / "objects" / "pack" / "tmpabc123.pack").exists()
    assert (repo / "objects" / "pack" / "tmp_fresh.pack").exists()  # a live roll's file
    (repo / "objects" / "pack" / "tmp_fresh.pack").unlink()
    _fsck(home)
    git("--git-dir", str(repo), "update-ref", "refs/heads/main", result.commit)


def test_objects_are_fsynced_without_settings_git_warns_about(vault: Vault, home: Path) -> None:
    vault.save_revision(_article("Durable text."))
    assert vault.store.repo.object_store.fsync_object_files
    clone = subprocess.run(
        ["git", "clone", "-q", "--bare", f"file://{home / 'articles.git'}", str(home / "c.git")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert clone.stderr == ""


@given(
    st.binary(max_size=300),
    st.binary(max_size=40),
    st.binary(max_size=40),
    st.binary(),
    st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_pack_deltas_rebuild_the_target(
    shared: bytes, old: bytes, new: bytes, end: bytes, by_lines: bool
) -> None:
    base, target = shared + old + end, shared + new + end
    made = delta(base, target, by_lines)
    if made is not None:
        assert b"".join(apply_delta(base, made)) == target
        assert len(made) < len(target) // 2 + 40


_LINE = st.text("ab \n", max_size=12).map(str.encode)


@given(st.lists(_LINE, max_size=8), st.lists(_LINE, max_size=8))
@settings(max_examples=300, deadline=None)
def test_line_deltas_rebuild_any_target(old: list[bytes], new: list[bytes]) -> None:
    base, target = b"\n".join(old), b"\n".join(new)
    made = delta(base, target)
    if made is not None:
        assert b"".join(apply_delta(base, made)) == target


def test_a_revision_with_edits_far_apart_is_a_small_delta() -> None:
    paragraphs = [
        f"Paragraph {n} says something about the harbour, at length.".encode() * 3
        for n in range(20)
    ]
    edited = list(paragraphs)
    edited[2] = edited[2].replace(b"harbour", b"quay", 1)
    edited[17] = edited[17] + b" A sentence added."
    del edited[9]
    base, target = b"\n\n".join(paragraphs) + b"\n", b"\n\n".join(edited) + b"\n"
    made = delta(base, target)
    assert made is not None and len(made) < 80
    assert b"".join(apply_delta(base, made)) == target


def test_pack_deltas_copy_long_runs_in_pieces() -> None:
    base = bytes(range(256)) * 1000  # 256,000 bytes: copies longer than 0x10000 are split
    target = base[:70_000] + b"changed" + base[70_010:]
    made = delta(base, target)
    assert made is not None and len(made) < 100
    assert b"".join(apply_delta(base, made)) == target
