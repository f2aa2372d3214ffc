"""Commits: identities, git times, trailers and the records of commits on main."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from dulwich.objects import format_timezone

from ..text import shown
from . import paths

__all__ = [
    "COMMITTER",
    "EARLIEST",
    "LATEST",
    "CommitRecord",
    "Identity",
    "InvalidIdentity",
    "NewCommit",
    "StoreError",
    "check_path",
    "from_git_time",
    "git_time",
    "git_time_raw",
    "message_bytes",
    "parse_trailers",
    "record_of",
    "representable",
]

COMMITTER = "VersionVault <versionvault@localhost>"


_IDENTITY = re.compile(r"([^<>]*?)\s*(?:<([^<>\s]*)>)?")


_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")  # C0, DEL and lone surrogates


# The times a commit records: git stores seconds since 1970 (`git fsck --strict` rejects a
# negative one as badDateOverflow); the bound keeps clear of the epoch and of far futures.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


_TRAILER = re.compile(r"([A-Z][A-Za-z-]*): (.*)")


class StoreError(RuntimeError):
    """The repository is missing, damaged, or could not be written."""


class InvalidIdentity(ValueError):
    """An author name or email git would reject."""


@dataclass(frozen=True)
class Identity:
    """A commit author or committer: a one-line name and an email."""

    name: str
    email: str

    def __post_init__(self) -> None:
        for part, value in (("name", self.name), ("email", self.email)):
            bad = _CONTROL.search(value) or re.search(r"[<>]", value)
            if bad or not value or value != value.strip() or (part == "email" and " " in value):
                raise InvalidIdentity(f"invalid author {part} {shown(value)}: git would reject it")

    @classmethod
    def parse(cls, text: str) -> Identity:
        """Parse `Name <email>` or a bare name; raise InvalidIdentity if git would reject it."""
        text = text.strip()
        control = _CONTROL.search(text)
        if control:
            raise InvalidIdentity(
                f"invalid author {shown(text)}: it contains a control character or a lone "
                f"surrogate (U+{ord(control.group()):04X})"
            )
        match = _IDENTITY.fullmatch(text)
        if not match or not match.group(1):
            raise InvalidIdentity(f"invalid author {shown(text)}: use 'Name' or 'Name <email>'")
        name, email = match.group(1), match.group(2) or ""
        if not email:
            slug = "-".join(re.findall(r"[a-z0-9]+", name.lower())) or "author"
            email = f"{slug}@versionvault.invalid"
        return cls(name, email)

    def raw(self) -> bytes:
        """Return the identity as git writes it."""
        return f"{self.name} <{self.email}>".encode()


@dataclass(frozen=True)
class NewCommit:
    """One revision to append: the file, who made it, when, and the message.

    `capture`, if given, is the raw page the text came from, written in the same commit at
    `paths.capture_path(path)`.
    """

    path: str
    content: str
    author: Identity
    author_time: datetime
    commit_time: datetime
    message: str
    capture: bytes | None = None


@dataclass(frozen=True)
class CommitRecord:
    """A commit on main as the index needs it."""

    sha: str
    parent: str | None
    blob: str
    path: str
    author: str
    author_time: datetime
    commit_time: datetime
    subject: str
    trailers: dict[str, str] = field(default_factory=dict)


def git_time_raw(moment: datetime) -> tuple[int, bytes]:
    seconds, offset = git_time(moment)
    return seconds, format_timezone(offset)


def check_path(path: str) -> bytes:
    """Return an article's or capture's path as git bytes (StoreError for any other path)."""
    try:
        return paths.check_path(path)
    except paths.UnsafePath as exc:
        raise StoreError(str(exc)) from None


def representable(moment: datetime) -> bool:
    """Return True if a commit can record `moment`: an offset in whole minutes, 1970 to 2099.

    The bound is EARLIEST < moment < LATEST (UTC), so git's seconds are positive and small.
    """
    offset = moment.utcoffset()
    if offset is None or offset.total_seconds() % 60:
        return False
    try:
        return EARLIEST < moment < LATEST
    except OverflowError:  # an offset pushes year 1 or 9999 beyond what datetime holds in UTC
        return False


def git_time(moment: datetime) -> tuple[int, int]:
    """Return git's (seconds, offset seconds) of a representable time (StoreError otherwise)."""
    offset = moment.utcoffset()
    if offset is None:
        raise StoreError("times must carry their UTC offset")
    seconds = int(offset.total_seconds())
    if seconds % 60:
        raise StoreError(f"UTC offset {offset} is not a whole number of minutes")
    if not representable(moment):
        raise StoreError(
            f"time {moment.isoformat()} is outside what a commit records "
            f"({EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d})"
        )
    return int(moment.timestamp()), seconds


def message_bytes(message: str) -> bytes:
    """Return a commit message as git stores it; refuse a NUL or a lone surrogate (StoreError)."""
    if "\0" in message:
        raise StoreError("refusing a commit message with a NUL byte")
    try:
        return message.encode()
    except UnicodeEncodeError:
        raise StoreError("refusing a commit message with a lone surrogate") from None


def from_git_time(seconds: int, offset: int) -> datetime:
    """Return a commit's time as a datetime (StoreError if it is malformed or out of range)."""
    try:
        return datetime.fromtimestamp(seconds, timezone(timedelta(seconds=offset)))
    except (TypeError, ValueError, OverflowError, OSError):
        raise StoreError(f"a commit time {seconds} {offset} is malformed or out of range") from None


def parse_trailers(message: str) -> dict[str, str]:
    """Return the trailers of the message's last paragraph."""
    last = message.rstrip("\n").rsplit("\n\n", 1)[-1]
    found = [_TRAILER.fullmatch(line) for line in last.split("\n")]
    return {m.group(1): m.group(2) for m in found if m}


def record_of(new: NewCommit, sha: str, parent: str | None, blob: str) -> CommitRecord:
    """Return the record `Store.record` would read back from the commit made of `new`."""
    trailers = parse_trailers(new.message)
    return CommitRecord(
        sha=sha,
        parent=parent,
        blob=blob,
        path=paths.trailer_path(trailers),
        author=new.author.raw().decode(),
        author_time=from_git_time(*git_time(new.author_time)),
        commit_time=from_git_time(*git_time(new.commit_time)),
        subject=new.message.split("\n", 1)[0],
        trailers=trailers,
    )
