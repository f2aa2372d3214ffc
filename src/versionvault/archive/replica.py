"""Replica: a read-only copy of a primary's archive, fetched over git HTTP and kept caught up."""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from dulwich.client import get_transport_and_path
from dulwich.errors import GitProtocolError, HangupException, NotGitRepository
from dulwich.object_store import GraphWalker
from dulwich.objects import ObjectID
from dulwich.refs import Ref

from .commits import StoreError
from .errors import VaultError
from .index import Index
from .store import MAIN, Store

__all__ = [
    "ReadOnlyReplica",
    "Synced",
    "clone",
    "primary_of",
    "primary_site",
    "sync",
    "sync_in_background",
]

log = logging.getLogger("versionvault.replica")

_SECTION = (b"versionvault",)
_KEY = b"primary"
_PARTIAL = "articles.git.replica-partial"


class ReadOnlyReplica(VaultError):
    """A write was asked of a replica: writes go to its primary."""

    def __init__(self, primary: str) -> None:
        super().__init__(f"this archive is a read-only replica: write to its primary at {primary}")
        self.primary = primary


@dataclass(frozen=True)
class Synced:
    """What one sync did: main before and after, commits indexed, whether main was rewritten."""

    primary: str
    before: str | None
    after: str | None
    indexed: int
    rewritten: bool

    def line(self) -> str:
        """Return the CLI's one-line report."""
        if self.after is None:
            return f"the primary at {self.primary} is empty"
        if self.before == self.after:
            return f"up to date with {self.primary} at {self.after[:12]}"
        how = "main was rewritten; reindexed" if self.rewritten else "indexed"
        tip = self.after[:12]
        return f"synced from {self.primary}: main at {tip}, {how} {self.indexed} commits"


def primary_site(url: str) -> str:
    """Return the site address of a primary given as its site or its `/archive.git` URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise VaultError(f"a primary is an http(s) address such as http://host:8000, not {url!r}")
    path = parts.path.rstrip("/").removesuffix("/archive.git").rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def primary_of(store: Store) -> str | None:
    """Return the primary a replica copies (`versionvault.primary` in its config), or None."""
    config = store.repo.get_config()
    try:
        value = config.get(_SECTION, _KEY)
    except KeyError:
        return None
    return value.decode() if value else None


def _fetch(store: Store, site: str) -> str | None:
    """Fetch the primary's main into the store's objects; return its sha (None if empty)."""
    client, path = get_transport_and_path(site + "/archive.git")
    wanted: list[str] = []

    def determine_wants(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
        sha = refs.get(MAIN)
        if sha is None:
            return []
        wanted.append(sha.decode())
        return [] if sha in store.repo.object_store else [sha]

    git = shutil.which("git")
    try:
        if git is None:
            client.fetch(path, store.repo, determine_wants=determine_wants)
        else:
            with _IndexPack(git, store.path) as index_pack:
                walker = _FirstHaves(store.repo.get_graph_walker())
                client.fetch_pack(path, determine_wants, walker, index_pack.write)
    except (GitProtocolError, HangupException, NotGitRepository, OSError, ValueError) as exc:
        raise StoreError(f"cannot fetch from the primary at {site}: {exc}") from None
    return wanted[0] if wanted else None


class _FirstHaves:
    """The replica's main and its nearest ancestors as haves, at most `limit` of them.

    A primary's main extends the replica's, so its tip is found at once; reading (and the
    primary checking) 256 haves, as dulwich offers, would cost more than the fetch. If the
    primary rewrote main beyond them, it sends main whole.
    """

    def __init__(self, walker: GraphWalker, limit: int = 32) -> None:
        self.walker = walker
        self.left = limit

    def __next__(self) -> ObjectID | None:
        self.left -= 1
        return next(self.walker) if self.left >= 0 else None

    def ack(self, sha: ObjectID, /) -> None:
        self.walker.ack(sha)

    def nak(self) -> None:
        self.walker.nak()


class _IndexPack:
    """`git index-pack` taking a fetched pack as it comes: git's C, not Python, resolves its
    deltas and writes its index into the repository (a thin pack is completed from it).

    Started at the first bytes, so a fetch of nothing runs no git. A pack cut short or
    refused leaves nothing behind and raises OSError with git's reason.
    """

    def __init__(self, git: str, repository: Path) -> None:
        self.command = [git, "--git-dir", str(repository), "index-pack", "--stdin", "--fix-thin"]
        self.process: subprocess.Popen[bytes] | None = None

    def write(self, data: bytes) -> int:
        if self.process is None:
            self.process = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(data)
        except BrokenPipeError:
            self.finish()
        return len(data)

    def finish(self) -> None:
        """Wait for git; raise OSError if it refused the pack."""
        if self.process is None:
            return
        _, error = self.process.communicate()
        if self.process.returncode:
            reason = error.decode("utf-8", "replace").strip().splitlines() or ["failed"]
            raise OSError(f"git index-pack: {reason[-1]}")

    def __enter__(self) -> _IndexPack:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if self.process is None:
            return
        if kind is not None:  # SIGTERM: git removes its temporary pack
            self.process.terminate()
            self.process.communicate()
            return
        self.finish()


def _follow(store: Store, site: str) -> tuple[str | None, str | None]:
    """Fetch under the write lock and move main to the primary's; return (before, after)."""
    with store.locked():
        before = store.tip()
        after = _fetch(store, site)
        if after is not None and after != before:
            store.move_main(before, after)
        return before, store.tip()


def clone(home: Path, url: str) -> str:
    """Make `home/articles.git` a replica of the primary at `url`; return the primary's site.

    The repository is built beside its final place and renamed into it once fetched, so a
    failed clone leaves no archive behind. Index it by opening the archive.
    """
    site = primary_site(url)
    final = home / "articles.git"
    if final.exists():
        raise VaultError(f"there is already an archive at {home}")
    partial = home / _PARTIAL
    shutil.rmtree(partial, ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    try:
        store = Store.create(partial)
        try:
            config = store.repo.get_config()
            config.set(_SECTION, _KEY, site.encode())
            config.write_to_path()
            _follow(store, site)
        finally:
            store.close()
        partial.rename(final)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return site


def sync(store: Store, index: Index) -> Synced:
    """Fetch the primary's main and catch the index up (it rebuilds if main was rewritten)."""
    site = primary_of(store)
    if site is None:
        raise VaultError("this archive is not a replica: `versionvault replica init URL` makes one")
    before, after = _follow(store, site)
    indexed = index.catch_up(store)
    rewritten = before is not None and after != before and not store.on_main(before)
    return Synced(site, before, after, indexed, rewritten)


def sync_in_background(
    store: Store,
    index: Index,
    interval: float,
    report: Callable[[str], None] | None = None,
) -> Callable[[], None]:
    """Sync now and every `interval` seconds on a thread of its own; return a function to stop.

    `report` hears of each sync that brought something and of each that failed (the primary
    is down, say: it is tried again at the next tick).
    """
    stop = threading.Event()

    def run() -> None:
        try:
            while True:
                line = ""
                try:
                    synced = sync(store, index)
                    if synced.after != synced.before:
                        line = synced.line()
                except (StoreError, VaultError) as exc:
                    line = f"warning: {exc}"
                    log.warning("%s", exc)
                if report and line:
                    report(line)
                if stop.wait(interval):
                    return
        finally:
            index.close()

    thread = threading.Thread(target=run, name="versionvault-replica-sync", daemon=True)
    thread.start()

    def halt(timeout: float = 60.0) -> None:
        stop.set()
        thread.join(timeout)

    return halt
