"""WARC export: every page the archive kept, as a WARC response record (warcio)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .. import __version__
from ..text import html_encoding, web_label
from .errors import VaultError
from .rows import Revision
from .vault import Vault

__all__ = ["kept_pages", "write_warc"]


def kept_pages(vault: Vault) -> Iterator[tuple[Revision, bytes]]:
    """Yield each kept page once, with the revision it came with, in archive order."""
    last: dict[str, bytes] = {}  # per article, a digest of the page kept before
    for revision in vault.index.all_revisions():
        page = vault.store.capture(revision.commit)
        if page is None:
            continue
        digest = hashlib.blake2b(page, digest_size=16).digest()
        if last.get(revision.article) != digest:
            last[revision.article] = digest
            yield revision, page


def _warc_date(observed: str) -> str:
    return datetime.fromisoformat(observed).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_warc(vault: Vault, path: Path) -> int:
    """Write every kept page to `path` (.warc.gz) as a response record; return how many.

    WARC-Target-URI is the article's URL (`urn:versionvault:<id>` if it has none), WARC-Date
    the time the page was observed; warcio adds the block and payload digests. The file is
    written beside `path` and moved into place when complete.
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        count = _write(vault, tmp, path)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise VaultError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return count


def _write(vault: Vault, tmp: Path, path: Path) -> int:
    count = 0
    with tmp.open("wb") as out:
        writer = WARCWriter(out, gzip=path.suffix == ".gz", warc_version="1.1")
        info = {"software": f"VersionVault {__version__}", "format": "WARC File Format 1.1"}
        writer.write_record(writer.create_warcinfo_record(path.name, info))
        for revision, page in kept_pages(vault):
            codec, _ = html_encoding(page)
            headers = StatusAndHeaders(
                "200 OK",
                [
                    ("Content-Type", f"text/html; charset={web_label(codec)}"),
                    ("Content-Length", str(len(page))),
                ],
                protocol="HTTP/1.1",
            )
            record = writer.create_warc_record(
                revision.url or f"urn:versionvault:{revision.article}",
                "response",
                payload=BytesIO(page),
                length=len(page),
                http_headers=headers,
                warc_headers_dict={
                    "WARC-Date": _warc_date(revision.observed),
                    "VersionVault-Article": revision.article,
                    "VersionVault-Revision": str(revision.number),
                    "VersionVault-Commit": revision.commit,
                },
            )
            writer.write_record(record)
            count += 1
    return count
