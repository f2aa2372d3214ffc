"""Editors layer: `editors.toml` — editors and the SHA-256 hashes of their API tokens."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import tomli_w

from ..text import check_slug

__all__ = [
    "Editor",
    "EditorError",
    "RevokedToken",
    "UnknownToken",
    "add_editor",
    "authenticate",
    "create_editors_file",
    "load_editors",
    "protect",
    "revoke_editor",
]

_HEADER = "# VersionVault editors: `versionvault editor add NAME` adds one.\n\n"


class EditorError(ValueError):
    """A user error about editors (unknown name, duplicate, bad file)."""


class UnknownToken(EditorError):
    """No editor has this token."""


class RevokedToken(EditorError):
    """The token belonged to an editor whose access was revoked."""


@dataclass(frozen=True)
class Editor:
    """An editor: a name, the hash of their token, and when it was added or revoked."""

    name: str
    token_sha256: str
    added: str
    revoked: str = ""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def protect(path: Path) -> None:
    """Make `editors.toml` readable and writable by its owner only, if it is looser."""
    with contextlib.suppress(OSError):  # not ours to change (another owner, read-only disk)
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a new file that only its owner can read (mode 0600 from the start)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT


def create_editors_file(path: Path) -> None:
    """Create an empty `editors.toml` (mode 0600) unless there is one."""
    if not path.exists():
        _write_private(path, "# Editors: `versionvault editor add NAME` adds one.\n")
    protect(path)


def load_editors(path: Path) -> dict[str, Editor]:
    """Read `editors.toml` (missing means none), first making it private (see `protect`)."""
    if not path.exists():
        return {}
    protect(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise EditorError(f"{path} is not valid TOML: {exc}") from None
    editors = {}
    for name, entry in data.get("editors", {}).items():
        editors[name] = Editor(
            name=name,
            token_sha256=str(entry.get("token_sha256", "")),
            added=str(entry.get("added", "")),
            revoked=str(entry.get("revoked", "")),
        )
    return editors


def _save(path: Path, editors: dict[str, Editor]) -> None:
    tables = {}
    for e in editors.values():
        entry = {"token_sha256": e.token_sha256, "added": e.added, "revoked": e.revoked}
        tables[e.name] = {k: v for k, v in entry.items() if v}
    tmp = path.with_suffix(".tmp")
    _write_private(tmp, _HEADER + tomli_w.dumps({"editors": tables}))
    tmp.replace(path)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def add_editor(path: Path, name: str) -> str:
    """Add an editor (or give a revoked one a new token); return the token, shown only once."""
    check_slug(name, "editor name")
    editors = load_editors(path)
    if name in editors and not editors[name].revoked:
        raise EditorError(f"editor {name!r} already exists: revoke it first to issue a new token")
    token = "vv_" + secrets.token_urlsafe(32)
    editors[name] = Editor(name, _hash(token), _now())
    _save(path, editors)
    return token


def revoke_editor(path: Path, name: str) -> Editor:
    """Revoke an editor's token; return the editor."""
    editors = load_editors(path)
    if name not in editors:
        raise EditorError(f"no editor named {name!r}")
    if not editors[name].revoked:
        editors[name] = Editor(name, editors[name].token_sha256, editors[name].added, _now())
        _save(path, editors)
    return editors[name]


def authenticate(path: Path, token: str) -> Editor:
    """Return the editor owning `token` (UnknownToken, RevokedToken otherwise)."""
    digest = _hash(token)
    for editor in load_editors(path).values():
        if hmac.compare_digest(editor.token_sha256, digest):
            if editor.revoked:
                raise RevokedToken(f"the token of editor {editor.name!r} was revoked")
            return editor
    raise UnknownToken("unknown token")
