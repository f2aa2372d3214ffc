"""Tests that a fetch costs what is new: the first-parent walk back to the client's haves."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from dulwich.object_store import MissingObjectFinder
from dulwich.objects import ObjectID, ShaFile
from dulwich.protocol import pkt_line
from dulwich.repo import Repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from versionvault.archive import Vault
from versionvault.gitfetch import objects_after
from versionvault.text import make_article
from versionvault.web import create_app

from .conftest import git, newsroom_lines, run_cli
from .serving import serve

_ADVERTISEMENT = "application/x-git-upload-pack-advertisement"
_RESULT = "application/x-git-upload-pack-result"
_steps = st.lists(
    st.tuples(st.sampled_from(("a", "b", "c")), st.sampled_from(("edit", "revert", "remove"))),
    min_size=2,
    max_size=12,
)


def _grow(vault: Vault, steps: list[tuple[str, str]]) -> None:
    for n, (article_id, what) in enumerate(steps):
        known = vault.index.latest(article_id)
        if what == "remove" and known is not None:
            vault.record_event(article_id, "removed")
            continue
        body = "The first text." if what == "revert" or known is None else f"Text number {n}."
        vault.save_revision(make_article(id=article_id, source="desk", title="T", body=body))


def _line(repo: Repo) -> list[ObjectID]:
    return [
        ObjectID(sha.encode()) for sha in git("--git-dir", repo.path, "rev-list", "main").split()
    ]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=_steps, back=st.integers(min_value=1, max_value=12))
def test_what_a_fetch_sends_is_what_the_client_lacks(
    tmp_path: Path, steps: list, back: int
) -> None:
    home = tmp_path / f"archive-{len(list(tmp_path.iterdir()))}"
    with Vault.init(home) as vault:
        _grow(vault, steps)
    repo = Repo(str(home / "articles.git"))
    try:
        line = _line(repo)
        tip, have = line[0], line[min(back, len(line) - 1)]
        found = objects_after(repo.object_store, [tip], [have])
        if have == line[-1] and len(line) == 1:
            return
        assert found is not None
        reachable = _reachable(repo, tip)
        lacking = reachable - _reachable(repo, have)
        assert lacking <= set(found) <= reachable
        # Nothing the client has is sent again but a file (or folder) coming back.
        for sha in set(found) - lacking:
            assert repo.object_store[sha].type_name in (b"blob", b"tree")
        assert objects_after(repo.object_store, [tip], [tip]) == {}
        assert objects_after(repo.object_store, [tip], []) is None  # to the root: dulwich's
    finally:
        repo.close()


def _reachable(repo: Repo, commit: ObjectID) -> set[ObjectID]:
    return {sha for sha, _ in MissingObjectFinder(repo.object_store, [], [commit])}


class _CountingStore:
    """A real object store that counts the objects read from it."""

    def __init__(self, repo: Repo) -> None:
        self.store = repo.object_store
        self.reads = 0

    def __contains__(self, sha: ObjectID) -> bool:
        return sha in self.store

    def __getitem__(self, sha: ObjectID) -> ShaFile:
        self.reads += 1
        return self.store[sha]


def test_one_new_commit_reads_a_few_objects_whatever_the_history(vault: Vault, home: Path) -> None:
    lines = [
        json.dumps(
            {
                "id": f"story-{n % 40}",
                "source": f"desk-{n % 40 % 3}",
                "title": "T",
                "body": f"Text {n}.",
                "observed": f"2026-01-{1 + n // 24:02d}T{n % 24:02d}:00:00Z",
            }
        )
        for n in range(300)
    ]
    assert vault.import_records(lines, parallel=False) == (300, 0)
    repo = Repo(str(home / "articles.git"))
    try:
        line = _line(repo)
        for new in (1, 3):
            counting = _CountingStore(repo)
            found = objects_after(counting, [line[0]], line[new : new + 256])  # type: ignore[arg-type]
            assert found is not None
            commits = [sha for sha, hint in found.items() if hint and hint[0] == 1]
            assert len(commits) == new
            assert len(found) <= 8 * new and counting.reads <= 14 * new  # of 300 commits
    finally:
        repo.close()


def test_git_fetch_of_one_new_commit_brings_a_few_objects(
    vault: Vault, home: Path, tmp_path: Path
) -> None:
    for n in range(60):
        vault.save_revision(
            make_article(id=f"story-{n % 7}", source="desk", title="T", body=f"Text {n}.")
        )
    clone = tmp_path / "clone.git"
    with serve(create_app(vault)) as base:
        git("clone", "-q", "--bare", f"{base}/archive.git", str(clone))
        git("--git-dir", str(clone), "config", "fetch.unpackLimit", "1000")  # loose: countable
        vault.save_revision(make_article(id="story-3", source="desk", title="T", body="New."))
        before = _loose(clone)
        git("--git-dir", str(clone), "fetch", "-q", "origin", "main:main")
        assert git("--git-dir", str(clone), "rev-parse", "main").strip() == vault.store.tip()
        assert 3 <= _loose(clone) - before <= 8  # commit, trees down its path, the file
        git("--git-dir", str(clone), "fsck", "--strict")
        # A clone with a commit of its own (unknown to the server) still fetches what is new.
        work = tmp_path / "work"
        git("clone", "-q", f"{base}/archive.git", str(work))
        git("commit", "-q", "--allow-empty", "-m", "mine", cwd=work)
        vault.save_revision(make_article(id="story-4", source="desk", title="T", body="Newer."))
        fetched = subprocess.run(["git", "fetch", "-q"], cwd=work, capture_output=True, text=True)
        assert fetched.returncode == 0, fetched.stderr
        assert git("rev-parse", "origin/main", cwd=work).strip() == vault.store.tip()
        git("fsck", "--strict", cwd=work)


def _loose(repo: Path) -> int:
    counts = dict(
        line.split(": ") for line in git("--git-dir", str(repo), "count-objects", "-v").splitlines()
    )
    return int(counts["count"])


def test_a_replica_syncs_with_and_without_git(
    vault: Vault, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault.import_records(newsroom_lines())
    everywhere = os.environ["PATH"]
    with serve(create_app(vault)) as base:
        for name, path in (("with-git", everywhere), ("without-git", str(tmp_path))):
            monkeypatch.setenv("PATH", path)
            assert (shutil.which("git") is None) == (name == "without-git")
            replica = tmp_path / name
            made = run_cli(replica, "replica", "init", base)
            assert made.exit_code == 0, made.output
            saved = vault.save_revision(
                make_article(id=f"story-{name}", source="desk", title="T", body="New.")
            )
            synced = run_cli(replica, "replica", "sync")
            assert synced.exit_code == 0, synced.output
            monkeypatch.setenv("PATH", everywhere)
            assert _tip(replica) == saved.commit
            assert not list((replica / "articles.git" / "objects" / "pack").glob("tmp_*"))
            git("--git-dir", str(replica / "articles.git"), "fsck", "--strict")


def _broken_primary(sha: str) -> Starlette:
    """A primary whose upload-pack answers a pack that is not one."""

    async def refs(request: Request) -> Response:
        lines = [b"# service=git-upload-pack\n", None, f"{sha} refs/heads/main\0ofs-delta\n"]
        body = b"".join(pkt_line(x if isinstance(x, bytes | None) else x.encode()) for x in lines)
        return Response(body + pkt_line(None), media_type=_ADVERTISEMENT)

    async def upload(request: Request) -> Response:
        await request.body()
        pack = b"PACK\x00\x00\x00\x02\x00\x00\x00\x01" + b"\x95\x0anot zlib at all" + b"\0" * 20
        return Response(pkt_line(b"NAK\n") + pack, media_type=_RESULT)

    return Starlette(
        routes=[
            Route("/archive.git/info/refs", refs),
            Route("/archive.git/git-upload-pack", upload, methods=["POST"]),
        ]
    )


def test_a_broken_pack_from_a_primary_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    with serve(_broken_primary("1" * 40)) as base:
        replica = tmp_path / "replica"
        failed = run_cli(replica, "replica", "init", base)
    assert failed.exit_code == 1
    assert failed.output.startswith(f"error: cannot fetch from the primary at {base}: ")
    assert failed.output.count("\n") == 1
    assert not replica.exists()


def _tip(home: Path) -> str:
    return git("--git-dir", str(home / "articles.git"), "rev-parse", "main").strip()
