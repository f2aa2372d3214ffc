"""Maintenance: bundles, pushes to mirrors, and the size of the object database."""

from __future__ import annotations

import contextlib
from io import BytesIO
from pathlib import Path

from dulwich import porcelain
from dulwich.bundle import create_bundle_from_repo, write_bundle

from .commits import StoreError
from .secrets import redact
from .store import HEAD, MAIN, Store

__all__ = ["push", "repo_size", "write_bundle_file"]


def write_bundle_file(store: Store, path: Path) -> None:
    """Write a git bundle of main (and HEAD) that `git clone FILE` accepts."""
    bundle = create_bundle_from_repo(store.repo, refs=[HEAD, MAIN])
    tmp = path.with_name(path.name + ".tmp")
    try:
        with bundle, open(tmp, "wb") as f:
            write_bundle(f, bundle)
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None


def push(store: Store, remote: str) -> str:
    """Push main to a Git remote (URL or path); return what the remote reported.

    Every message names the remote with its credentials redacted (see `secrets.redact`).
    """
    if store.tip() is None:
        raise StoreError("the archive is empty: nothing to push")
    out, err = BytesIO(), BytesIO()
    shown = redact(remote)
    try:
        result = porcelain.push(
            str(store.path),
            remote,
            [b"refs/heads/main:refs/heads/main"],
            outstream=out,
            errstream=err,
        )
    except Exception as exc:  # whatever the transport raises, a failed push is one line
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise StoreError(redact(f"push to {shown} failed: {detail}")) from None
    refused = {k: v for k, v in (result.ref_status or {}).items() if v}
    if refused:
        reasons = "; ".join(f"{k.decode()}: {v}" for k, v in refused.items())
        raise StoreError(redact(f"{shown} refused the push: {reasons}"))
    return redact(err.getvalue().decode(errors="replace").strip())


def repo_size(store: Store) -> int:
    """Return the bytes the object database takes on disk."""
    return sum(p.stat().st_size for p in (store.path / "objects").rglob("*") if p.is_file())
