"""Database: the index's SQLite connections, one a thread, read-only when the disk is full."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from .commits import StoreError
from .errors import DiskFull

__all__ = ["Connections"]

STAND_IN_SECONDS = 5.0  # a read-only stand-in serves this long, then a writable one is tried
_SQLITE_FULL, _SQLITE_IOERR, _SQLITE_CANTOPEN = 13, 10, 14


class Connections:
    """Per-thread connections to one SQLite file in WAL mode.

    Opening in WAL mode writes (the -shm file), so on a full disk even a read would fail.
    Then reads go through a read-only stand-in that uses neither -shm nor -wal, which is
    sound only while the -wal holds nothing; a writable connection is tried again after
    STAND_IN_SECONDS and before every write. Writes that fail for want of space raise
    DiskFull.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        """Return this thread's connection: a writable one if it can be had."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None and 0 < getattr(self._local, "until", 0.0) < time.monotonic():
            db = None  # the stand-in closes once no cursor holds it
        if db is None:
            db = self._connect()
            self._local.db = db
        return db

    def for_writing(self) -> sqlite3.Connection:
        """Return this thread's connection, trying for a writable one if it has a stand-in."""
        if getattr(self._local, "why", None) is not None:
            self._local.db = None
        return self.get()

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _connect(self) -> sqlite3.Connection:
        self._local.why, self._local.until = None, 0.0
        try:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        except sqlite3.Error as exc:
            return self._stand_in(exc)
        try:
            db.execute("PRAGMA journal_mode = WAL")  # where a full disk bites: the -shm file
            db.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            db.close()
            return self._stand_in(exc)
        db.row_factory = sqlite3.Row
        return db

    def _stand_in(self, why: sqlite3.Error) -> sqlite3.Connection:
        wal = self.path.with_name(self.path.name + "-wal")
        if not self.path.is_file() or (wal.exists() and wal.stat().st_size > 0):
            raise self.failed(why) from None  # a read of the file alone would miss the -wal
        uri = self.path.resolve().as_uri() + "?immutable=1"
        db = sqlite3.connect(uri, uri=True, isolation_level=None)
        db.execute("PRAGMA temp_store = MEMORY")
        db.row_factory = sqlite3.Row
        self._local.why, self._local.until = why, time.monotonic() + STAND_IN_SECONDS
        return db

    def failed(self, exc: sqlite3.Error) -> Exception:
        """Return what to raise for `exc`: DiskFull when the disk is the cause."""
        why = getattr(self._local, "why", None)
        if _no_space(exc, self.path) or (why is not None and _no_space(why, self.path)):
            return DiskFull(f"the index {self.path}")
        if why is not None:
            return StoreError(f"the index {self.path} can only be read: {why}")
        return exc


def _no_space(exc: sqlite3.Error, path: Path) -> bool:
    """Return True if SQLite failed for want of space: SQLITE_FULL, or I/O on a full disk."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == _SQLITE_FULL:
        return True
    if code not in (_SQLITE_IOERR, _SQLITE_CANTOPEN):
        return False
    try:
        space = os.statvfs(path.parent)
    except OSError:
        return False
    return space.f_bavail == 0 or space.f_favail == 0
