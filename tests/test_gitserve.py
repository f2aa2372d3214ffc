"""Tests for `git clone` over our smart HTTP: the real git CLI against uvicorn."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from dulwich.repo import Repo
from starlette.applications import Starlette

from versionvault import gitserve
from versionvault.archive import Vault, packing
from versionvault.gitserve import READ_ONLY_MESSAGE
from versionvault.gitwire import RequestRefused, parse_upload_request
from versionvault.text import make_article
from versionvault.web import create_app

from .conftest import git, newsroom_lines
from .serving import serve


def _app(vault: Vault) -> Starlette:
    return create_app(vault)


def _main(home: Path) -> str:
    return git("--git-dir", str(home / "articles.git"), "rev-parse", "main").strip()


def test_clone_fetch_and_refused_push(vault: Vault, home: Path, tmp_path: Path) -> None:
    vault.import_records(newsroom_lines())
    clone = tmp_path / "clone"
    with serve(_app(vault)) as base:
        git("clone", "-q", f"{base}/archive.git", str(clone))
        assert git("rev-parse", "HEAD", cwd=clone).strip() == _main(home)
        git("fsck", "--strict", cwd=clone)
        # DESIGN.md: <source>/<YYYY>/<MM>/<DD>/<article-id>.md, the UTC day first observed
        first_seen = vault.history("skerrow-lifeboat-rescue")[0].observed  # 2026-03-04T11:05
        assert first_seen.startswith("2026-03-04T11:05")
        assert (clone / "harbour-courier/2026/03/04/skerrow-lifeboat-rescue.md").is_file()
        assert not list(clone.glob("*/*.md"))  # nothing flat

        for n in range(2):
            article = make_article(id="new-story", source="paper", title="New", body=f"Text {n}.")
            vault.save_revision(article)
        fetched = subprocess.run(
            ["git", "fetch", "-v", "origin"], cwd=clone, capture_output=True, text=True, check=True
        )
        assert _main(home)[:7] in fetched.stderr
        assert git("rev-parse", "origin/main", cwd=clone).strip() == _main(home)
        new = git("rev-list", "HEAD..origin/main", cwd=clone).split()
        assert len(new) == 2

        before = _main(home)
        git("commit", "-q", "--allow-empty", "-m", "mine", cwd=clone)
        pushed = subprocess.run(
            ["git", "push", "origin", "HEAD:main"], cwd=clone, capture_output=True, text=True
        )
        assert pushed.returncode != 0
        assert READ_ONLY_MESSAGE in pushed.stderr
        assert _main(home) == before


def test_only_smart_http_is_served(vault: Vault) -> None:
    from starlette.testclient import TestClient

    with TestClient(_app(vault)) as client:
        assert client.get("/archive.git/info/refs").status_code == 403
        assert client.get("/archive.git/HEAD").status_code == 404
        assert client.post("/archive.git/git-receive-pack").status_code == 403
        bad = client.post("/archive.git/git-upload-pack", content=b"x")
        assert bad.status_code == 415


def test_full_clones_reuse_stored_packs_through_gc_reverts_and_loose_objects(
    vault: Vault, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = newsroom_lines()
    vault.import_records(lines[:22])
    git("--git-dir", str(home / "articles.git"), "repack", "-a", "-d", "-f", "-q")
    monkeypatch.setattr(packing, "SEALED", 10)  # so the import leaves that pack alone
    revert = json.loads(lines[0]) | {"observed": "2026-03-11T08:00:00+00:00"}
    vault.import_records([*lines[22:], json.dumps(revert)])  # its blob is in both packs
    for n in range(2):  # loose objects
        vault.save_revision(make_article(id="loose", source="paper", title="T", body=f"Text {n}."))
    packs = list((home / "articles.git" / "objects" / "pack").glob("*.pack"))
    assert len(packs) == 2
    with Repo(str(home / "articles.git")) as repo:
        plan = gitserve._reused_pack(repo, ofs_delta=True)
        assert plan is not None  # both packs have deltas; the revert's blob is sent once
        assert [part.func for part in plan[1]].count(gitserve._without) == 1
        for part in plan[1]:
            for _ in part():
                pass
    with serve(_app(vault)) as base:
        for n in range(2):
            clone = tmp_path / f"clone{n}"
            strict = ["-c", "fetch.fsckObjects=true"]  # index-pack --strict: no object twice
            git(*strict, "clone", "-q", "--bare", f"{base}/archive.git", str(clone))
            git("--git-dir", str(clone), "fsck", "--strict", "--no-dangling")
            assert git("--git-dir", str(clone), "rev-parse", "main").strip() == _main(home)
            count = git("--git-dir", str(clone), "rev-list", "--count", "--objects", "main")
            assert int(count) == int(
                git(
                    "--git-dir",
                    str(home / "articles.git"),
                    "rev-list",
                    "--count",
                    "--objects",
                    "main",
                )
            )
            git("--git-dir", str(home / "articles.git"), "repack", "-a", "-d", "-q")


def test_full_clone_requests_are_told_from_negotiations() -> None:
    from dulwich.protocol import pkt_line

    want = pkt_line(b"want " + b"a" * 40 + b" side-band-64k ofs-delta\n")
    done = pkt_line(b"done\n")
    clone = parse_upload_request(want + pkt_line(None) + done)
    assert clone.full_clone
    assert (clone.wants, clone.capabilities) == ([b"a" * 40], [b"side-band-64k", b"ofs-delta"])
    have = pkt_line(b"have " + b"b" * 40 + b"\n")
    assert not parse_upload_request(want + pkt_line(None) + have + done).full_clone
    assert not parse_upload_request(
        want + pkt_line(b"deepen 1\n") + pkt_line(None) + done
    ).full_clone
    assert not parse_upload_request(want + pkt_line(b"deepen 1\n") + pkt_line(None)).full_clone
    for bad in (want + pkt_line(None), b"zzzz", want + pkt_line(None) + done + done):
        with pytest.raises(RequestRefused):
            parse_upload_request(bad)
