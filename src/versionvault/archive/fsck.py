"""Fsck: the checks `git fsck --strict` makes on commits and trees, over every stored object."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from .store import Store

__all__ = ["check_commit", "check_tree", "fsck", "git_fsck"]

_HEX = re.compile(rb"[0-9a-f]{40}")
_MODES = {0o100644, 0o100755, 0o120000, 0o40000, 0o160000}  # what --strict accepts
_GOOD_MODES = {
    b"100644": False,
    b"100755": False,
    b"120000": False,
    b"40000": True,
    b"160000": False,
}
_NULL_SHA = bytes(20)
_TIME_MAX = 2**63 - 1  # git's time_t on a 64-bit system
_GIT_FSCK_SECONDS = 3600


def _ident(line: bytes) -> str:
    """Return what git's fsck_ident finds wrong with `name <email> seconds ±hhmm`, or ''."""
    if line.startswith(b"<"):
        return "missingNameBeforeEmail: no name before the email"
    opening = re.search(rb"[<>]", line)
    if opening is None:
        return "missingEmail: no email"
    if opening.group() == b">":
        return "badName: a '>' in the name"
    if line[opening.start() - 1 : opening.start()] != b" ":
        return "missingSpaceBeforeEmail: no space before the email"
    closing = re.compile(rb"[<>]").search(line, opening.end())
    if closing is None or closing.group() != b">":
        return "badEmail: the email is not closed by '>'"
    rest = line[closing.end() :]
    if not rest.startswith(b" "):
        return "missingSpaceBeforeDate: no space before the date"
    date, space, zone = rest[1:].partition(b" ")
    if date.startswith(b"0") and date != b"0":
        return "zeroPaddedDate: the date has leading zeros"
    if date.startswith(b"-") or (date.isdigit() and (len(date) > 19 or int(date) >= _TIME_MAX)):
        return f"badDateOverflow: the date {date[:30].decode(errors='replace')} is out of range"
    if not date.isdigit() or not space:
        return "badDate: the date is not a number of seconds"
    if not re.fullmatch(rb"[-+]\d{4}", zone):
        return "badTimezone: the time zone is not ±hhmm"
    return ""


def check_commit(data: bytes) -> list[str]:
    """Return what `git fsck --strict` would reject in a commit object's bytes."""
    header, blank, _ = data.partition(b"\n\n")
    if b"\0" in header:
        return ["nulInHeader: a NUL byte in the header"]
    if not blank and not data.endswith(b"\n"):
        return ["unterminatedHeader: the header does not end"]
    lines = header.split(b"\n")
    problems: list[str] = []
    if not lines or not lines[0].startswith(b"tree "):
        return ["missingTree: no tree line"]
    if not _HEX.fullmatch(lines[0][5:]):
        return ["badTreeSha1: the tree is not a sha"]
    at = 1
    while at < len(lines) and lines[at].startswith(b"parent "):
        if not _HEX.fullmatch(lines[at][7:]):
            return ["badParentSha1: a parent is not a sha"]
        at += 1
    authors = 0
    while at < len(lines) and lines[at].startswith(b"author "):
        authors += 1
        problem = _ident(lines[at][7:])
        if problem:
            return [f"{problem} (author)"]
        at += 1
    if authors != 1:
        return ["multipleAuthors: more than one author" if authors else "missingAuthor: no author"]
    if at >= len(lines) or not lines[at].startswith(b"committer "):
        return ["missingCommitter: no committer"]
    problem = _ident(lines[at][10:])
    if problem:
        return [f"{problem} (committer)"]
    if b"\0" in data:
        problems.append("nulInCommit: a NUL byte in the message")
    return problems


def _entry_problems(mode_text: bytes, name: bytes, sha: bytes) -> list[str]:
    """Return what is wrong with one tree entry (the slow path: something is)."""
    problems: list[str] = []
    shown = name.decode(errors="replace")
    if not re.fullmatch(rb"[0-7]+", mode_text):
        problems.append(f"badTree: {shown} has a mode that is not octal")
    elif mode_text.startswith(b"0"):
        problems.append(f"zeroPaddedFilemode: {shown}")
    elif int(mode_text, 8) not in _MODES:
        problems.append(f"badFilemode: {shown} has mode {mode_text.decode()}")
    if not name:
        problems.append("emptyName: an entry without a name")
    elif b"/" in name:
        problems.append(f"fullPathname: {shown}")
    elif name in (b".", b".."):
        problems.append(f"{'hasDot' if name == b'.' else 'hasDotdot'}: an entry named {shown}")
    elif name.lower() == b".git":
        problems.append(f"hasDotgit: an entry named {shown}")
    if sha == _NULL_SHA:
        problems.append(f"nullSha1: {shown} points to the null sha")
    return problems


def check_tree(data: bytes) -> list[str]:
    """Return what `git fsck --strict` would reject in a tree object's bytes."""
    problems: list[str] = []
    names: set[bytes] = set()
    previous = b""
    at = 0
    while at < len(data):
        space = data.find(b" ", at)
        nul = data.find(b"\0", space + 1) if space >= 0 else -1
        if space < 0 or nul < 0 or nul + 21 > len(data):
            return [*problems, "badTree: a truncated entry"]
        mode_text, name, sha = data[at:space], data[space + 1 : nul], data[nul + 1 : nul + 21]
        at = nul + 21
        directory = _GOOD_MODES.get(mode_text)
        odd = not name or b"/" in name or name in (b".", b"..") or name.lower() == b".git"
        if directory is None or odd or sha == _NULL_SHA:
            problems.extend(_entry_problems(mode_text, name, sha))
        key = name + b"/" if directory else name
        if name in names:
            problems.append(f"duplicateEntries: {name.decode(errors='replace')} twice")
        elif previous and key <= previous:
            problems.append(f"treeNotSorted: {name.decode(errors='replace')} out of order")
        names.add(name)
        previous = key
    return problems


def fsck(store: Store) -> list[str]:
    """Check every commit and tree in the repository, reachable or not, as git fsck would."""
    problems: list[str] = []
    for sha, kind, data in store.raw_objects():
        if kind == "commit":
            found = check_commit(data)
        elif kind == "tree":
            found = check_tree(data)
        else:
            continue  # git checks no blob of ours (no .gitmodules) and we write no tags
        problems.extend(f"{kind} {sha}: {problem}" for problem in found)
    return problems


def git_fsck(path: Path) -> list[str] | None:
    """Run `git fsck --strict` on the repository; its findings if it fails, None without git."""
    git = shutil.which("git")
    if git is None:
        return None
    command = [git, "--git-dir", str(path), "fsck", "--strict", "--no-dangling", "--no-progress"]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=_GIT_FSCK_SECONDS,
        )
    except subprocess.TimeoutExpired:
        return [f"git fsck --strict did not finish in {_GIT_FSCK_SECONDS} s"]
    if not done.returncode:
        return []  # clean (notes such as a writer's leftover lock file are not findings)
    lines = [line.strip() for line in (done.stderr + done.stdout).splitlines()]
    found = [f"git fsck --strict: {line}" for line in lines if line and "dangling" not in line]
    if not found:
        found.append(f"git fsck --strict failed (exit {done.returncode})")
    return found
