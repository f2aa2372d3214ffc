"""Tests that `verify` finds what `git fsck --strict` rejects, in commits and trees crafted raw."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from versionvault.archive import Vault
from versionvault.archive.fsck import check_commit, check_tree
from versionvault.text import make_article

from .conftest import run_process


def write_raw(repo: Path, kind: str, data: bytes) -> str:
    """Write a loose object exactly as given (no checks at all); return its sha."""
    raw = f"{kind} {len(data)}\0".encode() + data
    sha = hashlib.sha1(raw).hexdigest()
    path = repo / "objects" / sha[:2] / sha[2:]
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(zlib.compress(raw))
    return sha


def git_rejects(repo: Path) -> bool:
    done = subprocess.run(
        ["git", "--git-dir", str(repo), "fsck", "--strict", "--no-dangling"],
        capture_output=True,
        timeout=60,
    )
    return done.returncode != 0


def _tip_commit(vault: Vault) -> tuple[str, str]:
    """Return main's commit and its tree."""
    tip = vault.store.tip()
    assert tip
    data = vault.store.repo[tip.encode()].as_raw_string()
    return tip, data.split(b"\n", 1)[0].split()[1].decode()


PATH = "paper/2024/03/01/story.md"  # the `saved` story's file: the day it was first seen


def _message(revision: int) -> bytes:
    return (
        f"story: revision {revision}\n\n+1 -0 words\n\nArticle: story\nSource: paper\n"
        f"Path: {PATH}\nRevision: {revision}\nWords: +1 -0\nKind: substantive\n"
    ).encode()


def _commit(tree: str, parent: str, author: bytes, message: bytes) -> bytes:
    committer = b"VersionVault <versionvault@localhost> 1700000000 +0000"
    return (
        f"tree {tree}\nparent {parent}\n".encode()
        + b"author "
        + author
        + b"\ncommitter "
        + committer
        + b"\n\n"
        + message
    )


@pytest.fixture
def saved(vault: Vault) -> Vault:
    seen = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    vault.save_revision(make_article(id="story", source="paper", title="T", body="One."), seen)
    assert vault.verify() == []
    return vault


def _put_on_main(vault: Vault, sha: str) -> None:
    (vault.store.path / "refs" / "heads" / "main").write_text(sha + "\n")


BAD_AUTHORS = {
    "a negative date (1969)": b"Paper <paper@x> -14182980 +0000",
    "a zero-padded date": b"Paper <paper@x> 0123 +0000",
    "a date that overflows": b"Paper <paper@x> 99999999999999999999 +0000",
    "a bad time zone": b"Paper <paper@x> 1700000000 +00",
    "a '>' in the name": b"Pa>per <paper@x> 1700000000 +0000",
    "an unclosed email": b"Paper <paper@x 1700000000 +0000",
    "no space before the email": b"Paper<paper@x> 1700000000 +0000",
    "no name": b"<paper@x> 1700000000 +0000",
}


@pytest.mark.parametrize("case", sorted(BAD_AUTHORS))
def test_verify_reports_a_commit_fsck_rejects(saved: Vault, case: str) -> None:
    repo = saved.store.path
    parent, tree = _tip_commit(saved)
    bad = write_raw(repo, "commit", _commit(tree, parent, BAD_AUTHORS[case], _message(2)))
    _put_on_main(saved, bad)
    assert git_rejects(repo)
    problems = saved.verify()
    assert any(p.startswith(f"commit {bad}: ") for p in problems), problems
    assert any(p.startswith("git fsck --strict: ") for p in problems), problems


def test_verify_reports_a_nul_in_a_commit_message(saved: Vault) -> None:
    repo = saved.store.path
    parent, tree = _tip_commit(saved)
    author = b"Paper <paper@x> 1700000000 +0000"
    message = _message(2).replace(b"Kind:", b"Note: a\0b\nKind:")
    bad = write_raw(repo, "commit", _commit(tree, parent, author, message))
    _put_on_main(saved, bad)
    with Vault.open(saved.home) as again:
        assert any("nulInCommit" in p and bad in p for p in again.verify())


def test_verify_without_git_still_finds_it(saved: Vault, tmp_path: Path) -> None:
    repo = saved.store.path
    parent, tree = _tip_commit(saved)
    author = BAD_AUTHORS["a negative date (1969)"]
    bad = write_raw(repo, "commit", _commit(tree, parent, author, _message(2)))
    _put_on_main(saved, bad)
    with_git = run_process(saved.home, "verify")
    assert with_git.returncode == 1
    assert f"commit {bad}: badDateOverflow" in with_git.stderr
    assert "git fsck --strict: error in commit" in with_git.stderr
    env = {**os.environ, "PATH": str(tmp_path / "empty")}  # no git binary to be found
    no_git = subprocess.run(
        [sys.executable, "-m", "versionvault", "--archive", str(saved.home), "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert no_git.returncode == 1
    assert f"commit {bad}: badDateOverflow" in no_git.stderr
    assert "git fsck --strict:" not in no_git.stderr
    assert no_git.stderr.strip().splitlines()[-1] == "error: 2 problems found"  # + no change


def test_verify_reports_a_dangling_bad_commit(saved: Vault) -> None:
    repo = saved.store.path
    parent, tree = _tip_commit(saved)
    bad = write_raw(repo, "commit", _commit(tree, parent, BAD_AUTHORS["no name"], _message(2)))
    assert git_rejects(repo)
    assert any(p.startswith(f"commit {bad}: missingNameBeforeEmail") for p in saved.verify())


def _entry(mode: bytes, name: bytes, sha: str) -> bytes:
    return mode + b" " + name + b"\0" + bytes.fromhex(sha)


def test_verify_reports_trees_fsck_rejects(saved: Vault) -> None:
    repo = saved.store.path
    parent, tree = _tip_commit(saved)
    paper = saved.store.repo[tree.encode()].as_raw_string()  # one entry: "paper"
    blob = write_raw(repo, "blob", b"x\n")
    cases = {
        "treeNotSorted": _entry(b"100644", b"zz", blob) + _entry(b"100644", b"aa", blob),
        "duplicateEntries": _entry(b"100644", b"aa", blob) * 2,
        "hasDotgit": _entry(b"100644", b".GIT", blob),
        "hasDotdot": _entry(b"100644", b"..", blob),
        "badFilemode": _entry(b"100664", b"aa", blob),
        "zeroPaddedFilemode": _entry(b"040000", b"aa", saved.store.repo[tree.encode()].id.decode()),
    }
    for name, extra in cases.items():
        bad_tree = write_raw(
            repo, "tree", extra + paper if name != "treeNotSorted" else paper + extra
        )
        assert check_tree(saved.store.repo.object_store.get_raw(bad_tree.encode())[1]), name
        commit = write_raw(
            repo, "commit", _commit(bad_tree, parent, b"P <p@x> 1700000000 +0000", _message(2))
        )
        _put_on_main(saved, commit)
        found = [p for p in saved.verify() if p.startswith(f"tree {bad_tree}: ")]
        assert any(name in p for p in found), (name, found)


def test_the_checks_pass_what_the_archive_writes(saved: Vault) -> None:
    for sha, kind, data in saved.store.raw_objects():
        if kind == "commit":
            assert check_commit(data) == [], sha
        if kind == "tree":
            assert check_tree(data) == [], sha


_IDENT_PART = st.one_of(
    st.sampled_from(["Paper", "", " ", "<", ">", "a>b", "a<b", "\0", "\n", "p@x", "a b"]),
    st.text(st.sampled_from("ab <>@\n\0\t-+0123456789"), max_size=8),
)
_DATE = st.one_of(
    st.sampled_from(["1700000000", "-1", "0", "00", "0123", "1" * 25, "+5", "", "x", " 5"]),
    st.integers(-(2**64), 2**64).map(str),
)
_ZONE = st.sampled_from(["+0000", "-0130", "+00", "0000", "+99999", "+ab12", "", "+1234 "])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=_IDENT_PART, email=_IDENT_PART, date=_DATE, zone=_ZONE)
def test_whatever_git_rejects_in_an_identity_our_check_rejects(
    tmp_path: Path, name: str, email: str, date: str, zone: str
) -> None:
    repo = tmp_path / "probe.git"
    if not repo.exists():
        subprocess.run(["git", "init", "--bare", "-q", str(repo)], check=True)
    for leftover in (repo / "refs" / "heads").glob("*"):
        leftover.unlink()
    shutil.rmtree(repo / "objects", ignore_errors=True)
    (repo / "objects").mkdir()
    tree = write_raw(repo, "tree", b"")
    author = f"{name} <{email}> {date} {zone}".encode()
    data = (
        f"tree {tree}\n".encode()
        + b"author "
        + author
        + b"\ncommitter C <c@x> 1700000000 +0000\n\nm\n"
    )
    sha = write_raw(repo, "commit", data)
    (repo / "refs" / "heads" / "main").write_text(sha + "\n")
    if git_rejects(repo):
        assert check_commit(data), author
