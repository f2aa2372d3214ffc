"""Tests for editors' tokens, mirror push and gc through the CLI, with the real git CLI."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

from versionvault.archive import RevokedToken, UnknownToken, authenticate

from .conftest import NEWSROOM, SAMPLES, git, run_cli, run_process


def test_editor_tokens_are_stored_hashed_and_can_be_revoked(home: Path) -> None:
    added = run_cli(home, "editor", "add", "ann")
    assert added.exit_code == 0, added.output
    token = added.output.strip().splitlines()[-1]
    stored = (home / "editors.toml").read_text()
    assert token not in stored
    assert tomllib.loads(stored)["editors"]["ann"]["token_sha256"] == (
        hashlib.sha256(token.encode()).hexdigest()
    )
    assert authenticate(home / "editors.toml", token).name == "ann"
    assert "ann\tadded" in run_cli(home, "editor", "list").output
    again = run_process(home, "editor", "add", "ann")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert run_cli(home, "editor", "revoke", "ann").exit_code == 0
    assert "revoked" in run_cli(home, "editor", "list").output
    try:
        authenticate(home / "editors.toml", token)
        raise AssertionError("a revoked token was accepted")
    except RevokedToken:
        pass
    try:
        authenticate(home / "editors.toml", "vv_not-a-token")
        raise AssertionError("an unknown token was accepted")
    except UnknownToken:
        pass
    missing = run_process(home, "editor", "revoke", "bob")
    assert missing.returncode == 1 and "no editor named 'bob'" in missing.stderr
    bad = run_process(home, "editor", "add", "Bad Name")
    assert bad.returncode == 1 and "invalid editor name" in bad.stderr


def test_mirror_push_to_a_bare_repository(home: Path, tmp_path: Path) -> None:
    run_cli(home, "import", str(NEWSROOM))
    mirror = tmp_path / "mirror.git"
    git("init", "-q", "--bare", str(mirror))
    result = run_cli(home, "mirror", "push", str(mirror))
    assert result.exit_code == 0, result.output
    main = git("--git-dir", str(home / "articles.git"), "rev-parse", "main").strip()
    assert git("--git-dir", str(mirror), "rev-parse", "main").strip() == main
    git("--git-dir", str(mirror), "fsck", "--strict")
    run_cli(home, "ingest", str(SAMPLES / "newschina-xi-putin-talks.txt"))
    assert run_cli(home, "mirror", "push", str(mirror)).exit_code == 0
    assert git("--git-dir", str(mirror), "rev-list", "--count", "main").strip() == "29"
    nowhere = run_process(home, "mirror", "push", str(tmp_path / "missing.git"))
    assert nowhere.returncode == 1
    assert len(nowhere.stderr.strip().splitlines()) == 1


def _loose(home: Path) -> list[Path]:
    objects = home / "articles.git" / "objects"
    return [p for p in objects.glob("??/*") if p.is_file()]


def test_gc_repacks_smaller_and_keeps_everything(home: Path) -> None:
    run_cli(home, "import", str(NEWSROOM))
    run_cli(home, "ingest", str(SAMPLES / "newschina-xi-putin-talks.txt"))
    before = git("--git-dir", str(home / "articles.git"), "rev-parse", "main")
    assert _loose(home)
    result = run_cli(home, "gc")
    assert result.exit_code == 0, result.output
    sizes = re.findall(r"([0-9.]+) MB", result.output)
    assert float(sizes[1]) <= float(sizes[0])
    assert not _loose(home)  # packed: the one pack of the import is left as it was
    full = run_cli(home, "gc", "--full")
    assert full.exit_code == 0, full.output
    assert full.output.strip().endswith("-> 1 packs")
    assert git("--git-dir", str(home / "articles.git"), "rev-parse", "main") == before
    git("--git-dir", str(home / "articles.git"), "fsck", "--strict")
    assert run_cli(home, "verify").exit_code == 0
    saved = run_cli(home, "ingest", str(SAMPLES / "newschina-xi-putin-talks.txt"))
    assert saved.output.startswith("unchanged")


def test_configured_mirrors_are_pushed_after_each_write(home: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror.git"
    git("init", "-q", "--bare", str(mirror))
    assert run_cli(home, "mirror", "add", str(mirror)).exit_code == 0
    assert run_cli(home, "mirror", "list").output.strip() == str(mirror)
    assert run_cli(home, "source", "add", "paper").exit_code == 0
    assert run_cli(home, "mirror", "list").output.strip() == str(mirror)
    run_cli(home, "import", str(NEWSROOM))
    main = git("--git-dir", str(home / "articles.git"), "rev-parse", "main")
    assert git("--git-dir", str(mirror), "rev-parse", "main") == main
    run_cli(home, "ingest", str(SAMPLES / "newschina-xi-putin-talks.txt"))
    main = git("--git-dir", str(home / "articles.git"), "rev-parse", "main")
    assert git("--git-dir", str(mirror), "rev-parse", "main") == main
    broken = run_process(home, "mirror", "add", str(tmp_path / "gone.git"))
    assert broken.returncode == 0
    saved = run_process(
        home, "ingest", str(SAMPLES / "newschina-xi-putin-talks.txt"), "--id", "copy"
    )
    assert saved.returncode == 0 and saved.stdout.startswith("saved copy revision 1")
    assert "warning: push to" in saved.stderr
    assert git("--git-dir", str(mirror), "rev-parse", "main") != main


def test_gc_without_git_says_so(home: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PATH": str(home / "no-bin-here")}
    done = subprocess.run(
        [sys.executable, "-m", "versionvault", "--archive", str(home), "gc"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: gc needs the git binary, which is not installed: install git"
    )
