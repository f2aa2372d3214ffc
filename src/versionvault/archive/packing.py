"""Packing: packs rolled up with git as they pile up, `gc`, and how many packs there are."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .commits import StoreError
from .errors import DiskFull
from .store import Store

__all__ = [
    "SEALED",
    "Roll",
    "Rolling",
    "check_packs",
    "consolidate",
    "object_count",
    "pack_count",
    "planned_roll",
    "repack",
    "settle_roll",
    "write_roll",
]

SEALED = 200_000  # objects (some 28,000 revisions): no pack this big is rolled up again
_FACTOR = 2
_ROLL_AT = 4  # an import rolls packs up once this many would go into one (each roll is a git)
_ROLL = ("pack-objects", "--delta-base-offset", "--depth=50", "-q")
_TYPES = ("cat-file", "--batch-check=%(objecttype) %(objectname)")
_NAMES = ("rev-list", "--objects", "--no-walk", "--stdin")
_FULL = ("repack", "-a", "-d", "-f", "-n", "-q", "--depth=50", "--window=250")
_MIDX = ("multi-pack-index", "write")  # one index over every pack: a lookup is one search
# git's memory in a repack: mapped pack windows, the deltas it found, its delta window
_BOUNDED = (
    *("-c", "core.packedGitWindowSize=32m", "-c", "core.packedGitLimit=256m"),
    *("-c", "pack.deltaCacheSize=64m", "-c", "pack.windowMemory=64m"),
    *("-c", "core.deltaBaseCacheLimit=32m"),
)

# Why roll packs up: a bulk import writes a pack a batch, and each read of an object looks
# through every pack's index; and in a pack, a version can only be stored as a delta against
# another version in the same pack. Rolling the small packs together where they no longer
# form a geometric progression (each pack at least twice the next, git's own rule for
# `repack --geometric`) keeps their count to the logarithm of what they hold, and git's delta
# search over the rolled objects (reusing the deltas they have) finds a version's base, the
# article's previous version, in whichever pack it went to. A roll costs what it rolls, in
# time and in git's memory, so packs of SEALED objects or more are left alone, and no roll
# takes more than half as much again (_most): with seven objects a revision, a million
# revisions make some 30 sealed packs, and each object is rolled some twice. (Sealed only
# past the cap, a pack just short of it was rolled again with each new batch: each object
# rolled ten times.) After every roll git writes a multi-pack index over all packs (in a
# fraction of a second, with little memory), and dulwich looks objects up there: one search,
# whatever the pack count.
#
# git's delta search pairs objects by a hash of their paths, so a roll names each object:
# `rev-list --objects --no-walk` lists the rolled commits' trees with their paths. (git's
# own `pack-objects --stdin-packs` names them by walking from the rolled commits through
# every parent down to the first commit: 23 s at a million revisions, for any roll. Without
# names, the rolled pack is some 18% larger.) Every object of the rolled packs goes into
# the new one, named or not, so nothing is lost whatever the walk finds.


def consolidate(store: Store, at: int = _ROLL_AT, finish: bool = False) -> bool:
    """Roll the small packs up where they break the progression, once `at` would be rolled.

    Either way a roll takes the smallest packs up to _most() objects in all. `finish` rolls
    every small pack it can into one, and the loose objects with them (an import ends so, and
    so does `gc`). Does nothing without the git binary; returns whether it rolled.
    """
    with store.locked():
        roll = planned_roll(store, at, finish)
        if roll is not None:
            _settle(store, roll, write_roll(store, roll))
    return roll is not None


@dataclass(frozen=True)
class Roll:
    """The packs a roll takes into one new pack, and whether the loose objects go too."""

    packs: tuple[str, ...]
    loose: bool


def planned_roll(store: Store, at: int = _ROLL_AT, finish: bool = False) -> Roll | None:
    """Return the roll `consolidate` would make now, or None (nothing to roll, or no git)."""
    small = [p for p in _packs(store) if p[1] < SEALED]
    count = rolled_count([w for _, w in small], at, finish)
    packs = tuple(name for name, _ in small[:count])
    loose = finish and next(_loose_objects(store), None) is not None
    if shutil.which("git") is None or not (loose or len(packs) >= 2):
        return None
    return Roll(packs, loose)


def write_roll(store: Store, roll: Roll) -> str:
    """Write every object of the roll into one new pack, beside the packs it rolls; return
    the new pack's name. This only adds a pack (written whole, then renamed into place): it
    needs no lock, and readers go on reading the rolled packs until `settle_roll`."""
    return _roll(str(shutil.which("git")), store, list(roll.packs), roll.loose)


def settle_roll(store: Store, roll: Roll, made: str) -> None:
    """Under the write lock, remove what the roll took (its new pack holds it all), write
    the multi-pack index again and reopen the store (so only in the store's own thread)."""
    with store.locked():
        _settle(store, roll, made)


def _settle(store: Store, roll: Roll, made: str) -> None:
    git, pack_dir = str(shutil.which("git")), store.path / "objects" / "pack"
    _forget_midx(store)  # before its packs go: git's fsck refuses one that names them
    for name in set(roll.packs) - {made}:  # the index first: a pack without one is not read
        for suffix in (".idx", ".pack", ".rev", ".bitmap"):
            (pack_dir / (name + suffix)).unlink(missing_ok=True)
    try:
        if roll.loose:
            _git(git, store, ("prune-packed", "-q"))
        _git(git, store, _MIDX)
    finally:  # the packs it read are gone, whatever else happened
        store.reopen()


class Rolling:
    """Rolls packs up in a thread beside a bulk writer, one roll at a time.

    `step`, called between the writer's batches in the writer's own thread, settles the roll
    that is done and starts the next one due; git rolls while the writer goes on writing packs
    (the next roll takes them). `wait` and leaving wait for the roll under way and settle it.
    A roll that failed is raised at the next step, unless its packs went meanwhile (another
    process rolled them) or the disk was full: then nothing is lost, and the packs stay.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._roll: Roll | None = None
        self._thread: threading.Thread | None = None
        self._made = ""
        self._error: Exception | None = None

    def __enter__(self) -> Rolling:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.wait()
        else:  # what went wrong before is what is said
            with contextlib.suppress(Exception):
                self.wait()

    @property
    def running(self) -> bool:
        """Whether git is rolling now."""
        return self._thread is not None and self._thread.is_alive()

    def step(self) -> None:
        """Settle a roll that is done; start the next one if one is due and none runs."""
        if self.running:
            return
        self.wait()
        roll = planned_roll(self.store)
        if roll is not None:
            self._roll, self._made, self._error = roll, "", None
            self._thread = threading.Thread(target=self._write, args=(roll,), daemon=True)
            self._thread.start()

    def wait(self) -> None:
        """Wait for the roll under way, if any, and settle it (or raise what it met)."""
        thread, roll, self._thread, self._roll = self._thread, self._roll, None, None
        if thread is None or roll is None:
            return
        thread.join()
        if self._error is None:
            settle_roll(self.store, roll, self._made)
            return
        pack_dir = self.store.path / "objects" / "pack"
        gone = any(not (pack_dir / f"{name}.idx").exists() for name in roll.packs)
        if not gone and not isinstance(self._error, DiskFull):
            raise self._error

    def _write(self, roll: Roll) -> None:
        try:
            self._made = write_roll(self.store, roll)
        except Exception as exc:  # handed to the writer's thread
            self._error = exc


def rolled_count(weights: list[int], at: int = _ROLL_AT, finish: bool = False) -> int:
    """Return how many of the unsealed packs (their objects, fewest first) to roll into one:
    none unless `at` would be, or the roll is capped, or `finish`; never past _most()."""
    count = len(weights) if finish else _rolled_up(weights)
    wanted = count
    while count > 1 and sum(weights[:count]) > _most():
        count -= 1  # git's memory in a roll is bounded by what it rolls
    least = 1 if finish else 2 if count < wanted else max(at, 2)  # capped: what it can
    return count if count >= least else 0


def _most() -> int:
    """Return the most objects a roll takes (the rolled packs' sum)."""
    return SEALED * 3 // 2


def _roll(git: str, store: Store, packs: list[str], loose: bool) -> str:
    """Write every object of `packs` (and the loose ones with `loose`) into one new pack,
    each named by its path where the rolled commits' trees give one; return its name.

    What this process holds is the rolled ids, at most _most() of them: git's answers
    stream through temporary files."""
    pack_dir = store.path / "objects" / "pack"
    rolled = {oid for name in packs for oid in _pack_objects(pack_dir / f"{name}.idx")}
    if loose:
        rolled.update(_loose_objects(store))
    with tempfile.TemporaryFile("w+") as listed, tempfile.TemporaryFile("w+") as commits:
        listed.writelines(f"{oid.hex()}\n" for oid in rolled)
        listed.seek(0)
        for line in _lines(git, store, _TYPES, listed):
            if line.startswith("commit "):
                commits.write(line[7:])
        commits.seek(0)
        listed.seek(0)
        listed.truncate()
        for line in _lines(git, store, _NAMES, commits):  # each tree and blob once
            oid = bytes.fromhex(line[:40])
            if oid in rolled:
                rolled.discard(oid)
                listed.write(line)
        listed.writelines(f"{oid.hex()}\n" for oid in rolled)  # unreachable, or no path
        listed.seek(0)
        command = [git, *_BOUNDED, "--git-dir", str(store.path), *_ROLL, str(pack_dir / "pack")]
        done = subprocess.run(command, stdin=listed, capture_output=True, text=True)
    _failed(done, "pack-objects", pack_dir)
    return f"pack-{done.stdout.strip()}"


def _lines(git: str, store: Store, args: tuple[str, ...], given: IO[str]) -> Iterator[str]:
    """Yield the lines git writes given `given` on its input; raise if it fails."""
    command = [git, *_BOUNDED, "--git-dir", str(store.path), *args]
    with tempfile.TemporaryFile("w+") as said:
        with subprocess.Popen(
            command, stdin=given, stdout=subprocess.PIPE, stderr=said, text=True
        ) as running:
            assert running.stdout is not None
            yield from running.stdout
        said.seek(0)
        done = subprocess.CompletedProcess(command, running.returncode, "", said.read())
    _failed(done, args[0], store.path)


def _pack_objects(index: Path) -> Iterator[bytes]:
    """Yield the ids a version-2 pack index lists (its names follow the fan-out table)."""
    with index.open("rb") as f:
        header = f.read(8 + 256 * 4)
        count = int.from_bytes(header[-4:], "big")
        names = f.read(20 * count)
    for at in range(0, len(names), 20):
        yield names[at : at + 20]


def _loose_objects(store: Store) -> Iterator[bytes]:
    for folder in (store.path / "objects").glob("[0-9a-f][0-9a-f]"):
        for entry in folder.iterdir():
            try:  # a writer's temporary file is no object
                oid = bytes.fromhex(folder.name + entry.name)
            except ValueError:
                continue
            if len(oid) == 20:
                yield oid


def repack(store: Store, full: bool = False) -> None:
    """`gc`: roll loose objects and every pack short of SEALED into one, with the git binary.

    Only what is new is rewritten, and git's memory stays bounded. `full` repacks
    everything with git's widest delta search (`repack -a -f --window=250`), in time and
    memory in proportion to the whole archive.
    """
    if shutil.which("git") is None:
        raise StoreError("gc needs the git binary, which is not installed: install git")
    if not full:
        consolidate(store, finish=True)
        return
    with store.locked():
        _forget_midx(store)
        try:
            _git(str(shutil.which("git")), store, _FULL)
            _git(str(shutil.which("git")), store, _MIDX)
        finally:
            store.reopen()


def pack_count(store: Store) -> int:
    """Return how many packs the repository has."""
    return len(_packs(store))


def object_count(store: Store) -> int:
    """Return how many objects the packs hold (an object in two packs counts twice)."""
    return sum(weight for _, weight in _packs(store))


def check_packs(store: Store) -> list[str] | None:
    """Check each pack with `git verify-pack` (every object's bytes against its name, pack by
    pack, so git's memory is a pack's worth); return what it finds, None without git."""
    git = shutil.which("git")
    if git is None:
        return None
    problems = []
    for name, _ in _packs(store):
        index = store.path / "objects" / "pack" / f"{name}.idx"
        command = [git, *_BOUNDED, "--git-dir", str(store.path), "verify-pack", str(index)]
        done = subprocess.run(command, capture_output=True, text=True)
        said = (done.stderr or done.stdout).strip().splitlines()
        if done.returncode:
            problems.append(f"git verify-pack {name}: {said[0] if said else 'failed'}")
    return problems


def _git(git: str, store: Store, args: tuple[str, ...]) -> None:
    command = [git, *_BOUNDED, "--git-dir", str(store.path), *args]
    _failed(subprocess.run(command, capture_output=True, text=True), args[0], store.path)


def _failed(done: subprocess.CompletedProcess[str], what: str, where: object) -> None:
    """Raise for a git that failed: DiskFull if it ran out of room, else StoreError."""
    if not done.returncode:
        return
    said = done.stderr.strip()
    if "out of diskspace" in said.lower() or "no space left" in said.lower():
        raise DiskFull(
            f"a pack in {where} (git {what})", "nothing was lost: the packs are as before"
        )
    raise StoreError(f"git {what} failed: {said}")


def _forget_midx(store: Store) -> None:
    """Remove the multi-pack index: git's `write` keeps every pack an old one names."""
    (store.path / "objects" / "pack" / "multi-pack-index").unlink(missing_ok=True)


def _packs(store: Store) -> list[tuple[str, int]]:
    """Return each pack's name and number of objects (from its index's fan-out), fewest first."""
    packs = []
    for index in (store.path / "objects" / "pack").glob("pack-*.idx"):
        if not index.with_suffix(".pack").exists() or index.with_suffix(".keep").exists():
            continue
        with index.open("rb") as f:
            header = f.read(8 + 256 * 4)
        if header[:4] == b"\377tOc" and len(header) == 8 + 256 * 4:
            packs.append((index.stem, int.from_bytes(header[-4:], "big")))
    return sorted(packs, key=lambda pack: (pack[1], pack[0]))


def _rolled_up(weights: list[int]) -> int:
    """Return how many of the smallest packs `git repack --geometric` would roll into one.

    git's rule: the packs that already form a progression (each at least _FACTOR times the
    one below) are kept, from the largest down; the rest are rolled up, and so is any kept
    pack smaller than _FACTOR times what has been rolled up so far.
    """
    split = len(weights) - 1
    while split > 0 and weights[split] >= _FACTOR * weights[split - 1]:
        split -= 1
    if split:
        split += 1
    total = sum(weights[:split])
    while split < len(weights) and weights[split] < _FACTOR * total:
        total += weights[split]
        split += 1
    return split
