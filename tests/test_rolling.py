"""Tests of packs rolled up beside the writing: writes go on, nothing is lost, failures said."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dulwich.objects import Blob

from versionvault.archive import Store, StoreError, Vault, packing
from versionvault.archive.packs import Raw
from versionvault.text import Article, make_article

from .conftest import git


def _blob_packs(store: Store, packs: int, each: int) -> set[str]:
    """Write `packs` packs of `each` blobs no commit names; return the blobs' ids."""
    written = set()
    for p in range(packs):
        texts = (f"{os.urandom(24).hex()} {p}/{i}\n".encode() for i in range(each))
        blobs = [Raw.of(Blob.type_num, text) for text in texts]
        store.write_objects(blobs)
        written.update(raw.sha.decode() for raw in blobs)
    return written


def _objects(repo: Path) -> set[str]:
    listed = git("--git-dir", str(repo), "cat-file", "--batch-all-objects", "--batch-check")
    return {line.split()[0] for line in listed.splitlines()}


def _story(body: str) -> Article:
    return make_article(id="story", source="paper", title="T", body=body, url="https://p/s")


def test_writes_go_on_while_git_rolls_packs_up_beside_them(vault: Vault, home: Path) -> None:
    repo = home / "articles.git"
    blobs = _blob_packs(vault.store, 4, 20_000)
    assert packing.pack_count(vault.store) == 4
    with packing.Rolling(vault.store) as rolls:
        rolls.step()
        assert rolls.running
        saved = vault.save_revision(_story("Written while git rolls."))  # takes the write lock
        assert rolls.running  # the save did not wait for the roll: it holds no lock
        rolls.wait()
        assert not rolls.running
    assert packing.pack_count(vault.store) == 1  # the save's few objects are loose
    assert blobs <= _objects(repo)
    assert vault.store.read_blob(next(iter(blobs)))  # the store reads the new pack
    assert vault.history("story")[0].commit == saved.commit
    git("--git-dir", str(repo), "fsck", "--strict")


def test_a_roll_whose_packs_another_process_rolled_meanwhile_goes_quietly(
    vault: Vault, home: Path
) -> None:
    repo = home / "articles.git"
    blobs = _blob_packs(vault.store, 4, 20_000)
    with packing.Rolling(vault.store) as rolls:
        rolls.step()
        gc = [sys.executable, "-m", "versionvault", "--archive", str(home), "gc"]
        done = subprocess.run(gc, capture_output=True, text=True)  # rolls the same packs
        assert done.returncode == 0, done.stderr
        rolls.wait()  # whether git finished its roll first or met the packs gone: no error
    assert blobs <= _objects(repo)
    assert packing.pack_count(vault.store) <= 2
    git("--git-dir", str(repo), "fsck", "--strict")


def test_a_roll_that_fails_is_said_at_the_next_step_and_the_packs_stay(
    vault: Vault, home: Path
) -> None:
    _blob_packs(vault.store, 4, 2_000)
    pack_dir = home / "articles.git" / "objects" / "pack"
    damaged = sorted(pack_dir.glob("pack-*.pack"))[0]
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 200] = bytes(200)
    damaged.chmod(0o644)
    damaged.write_bytes(bytes(data))
    rolls = packing.Rolling(vault.store)
    rolls.step()
    while rolls.running:
        time.sleep(0.01)
    with pytest.raises(StoreError, match="git pack-objects failed"):
        rolls.step()
    assert packing.pack_count(vault.store) == 4  # nothing was taken away


def test_a_writers_temporary_pack_stays_until_it_is_an_hour_old(vault: Vault, home: Path) -> None:
    pack_dir = home / "articles.git" / "objects" / "pack"
    fresh, stale = pack_dir / "tmp_pack_fresh", pack_dir / "tmp_pack_stale"
    fresh.write_bytes(b"git is writing this one")
    stale.write_bytes(b"a crashed writer left this one")
    hours_ago = time.time() - 7200
    os.utime(stale, (hours_ago, hours_ago))
    vault.save_revision(_story("A save takes the write lock."))
    assert fresh.exists() and not stale.exists()
