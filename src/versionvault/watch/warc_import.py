"""WARC import: the HTML pages of a web archive file, from any crawler, as revisions."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..archive import MAX_INPUT_BYTES, Source, SourceSettings, StoreError, Vault, VaultError
from ..text import Article, InvalidArticle, InvalidSelector, same_content
from .fetch import Fetched, Request
from .pages import extract
from .registry import free_article_id
from .schedule import source_for

__all__ = ["WarcImport", "WarcPage", "html_responses", "import_warc"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")
# What warcio raises on a broken or cut file: its own error, and the ones its parsing trips on.
_BROKEN = (
    *(ArchiveLoadFailed, ValueError, OSError, EOFError, zlib.error),
    *(AttributeError, TypeError, KeyError, IndexError),
)
_RECORD_TYPES = frozenset(
    {"warcinfo", "response", "resource", "request", "metadata", "revisit", "conversion"}
)


@dataclass(frozen=True)
class WarcPage:
    """An HTML response in a WARC file: where it was fetched from, when, and its offset."""

    url: str
    date: datetime
    offset: int


@dataclass
class WarcImport:
    """What an import did: revisions saved, pages unchanged, and pages skipped with why."""

    pages: int = 0
    saved: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _date(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.replace(microsecond=0)


def _media_type(record: Any) -> str:
    return str(record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()


def _is_html_page(record: Any) -> bool:
    if record.rec_type != "response" or record.http_headers is None:
        return False
    return record.http_headers.get_statuscode() == "200" and _media_type(record) in _HTML_TYPES


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn a WARC file that cannot be read into one VaultError line."""
    try:
        yield
    except FileNotFoundError:
        raise VaultError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise VaultError(f"{path} is not a file") from None
    except PermissionError:
        raise VaultError(f"{path}: permission denied") from None
    except _BROKEN as exc:
        raise VaultError(f"{path} is not a readable WARC file ({exc})") from None


def html_responses(path: Path) -> list[WarcPage]:
    """Return the HTML responses (status 200) of a WARC file, oldest first (VaultError if bad).

    Records with the same date keep the order they have in the file.
    """
    found: list[WarcPage] = []
    with _reading(path), path.open("rb") as handle:
        records = ArchiveIterator(handle)
        seen = 0
        for record in records:
            seen += record.rec_type in _RECORD_TYPES
            uri = str(record.rec_headers.get_header("WARC-Target-URI") or "")
            date = _date(str(record.rec_headers.get_header("WARC-Date") or ""))
            if _is_html_page(record) and date and urlsplit(uri).scheme in ("http", "https"):
                # the offset is known once the record is read: only then ask for it
                found.append(WarcPage(uri, date, records.get_record_offset()))
    if not seen:
        raise VaultError(f"{path} is not a WARC file: it holds no WARC records")
    return sorted(found, key=lambda page: page.date)


def _fetched(handle: IO[bytes], path: Path, page: WarcPage) -> Fetched:
    handle.seek(page.offset)
    with _reading(path):
        record = next(iter(ArchiveIterator(handle)), None)
        if record is None or not _is_html_page(record):
            raise VaultError(f"{path}: no HTML response at byte {page.offset}")
        body = record.content_stream().read(MAX_INPUT_BYTES + 1)
    if len(body) > MAX_INPUT_BYTES:
        raise InvalidArticle(f"the page is larger than {MAX_INPUT_BYTES // 1_000_000} MB")
    header = str(record.http_headers.get_header("Content-Type") or "")
    charset = header.partition("charset=")[2].split(";")[0].strip().strip("\"'")
    return Fetched(Request(page.url), page.url, 200, body, _media_type(record), charset)


def import_warc(
    vault: Vault,
    path: Path,
    source: str = "",
    progress: Callable[[int], None] | None = None,
    pages: list[WarcPage] | None = None,
) -> WarcImport:
    """Save each HTML response of a WARC file as a revision, oldest first, as the watcher would.

    The page is extracted by its source's rules (`source`, else the one sources.toml gives its
    URL); its article id comes from its canonical URL as the watcher derives it; a text equal
    to the article's latest revision is unchanged, as always, and so is a page already archived
    as seen at that time (importing a file twice adds nothing). `pages` may give
    `html_responses(path)` when it is known already.
    """
    pages = html_responses(path) if pages is None else pages
    importer = _Importer(vault, vault.sources, source, f"imported from {path.name}")
    importer.result.pages = len(pages)
    with path.open("rb") as handle:
        for page in pages:
            try:
                importer.save(_fetched(handle, path, page), page.date)
            except (InvalidArticle, InvalidSelector, VaultError, StoreError) as exc:
                importer.result.skipped.append((page.url, str(exc)))
            if progress:
                progress(1)
    return importer.result


@dataclass
class _Importer:
    vault: Vault
    settings: SourceSettings
    source_name: str
    note: str
    result: WarcImport = field(default_factory=WarcImport)

    def save(self, fetched: Fetched, observed: datetime) -> None:
        vault, url = self.vault, fetched.url
        source = source_for(self.settings, url)
        if self.source_name:
            source = self.settings.sources.get(self.source_name) or Source(self.source_name)
        names = vault.site_names(source.name)
        article = extract(fetched, source, names)
        canonical = article.url
        if not canonical or urlsplit(canonical).hostname != urlsplit(url).hostname:
            canonical = url
        article_id = free_article_id(vault.index.latest, canonical, source.name)
        own = vault.site_names(source.name, article_id)
        if own != names:  # an archived article keeps its own title's words
            article = extract(fetched, source, own)
        article = replace(article, id=article_id, url=canonical)
        if self._archived(article, observed):
            self.result.unchanged += 1
            return
        saved = vault.save_revision(
            article, observed=observed, note=self.note, capture=fetched.body
        )
        if saved.status == "saved":
            self.result.saved += 1
        else:
            self.result.unchanged += 1

    def _archived(self, article: Article, observed: datetime) -> bool:
        """Return whether a revision of the article has this text as observed then already."""
        for revision in self.vault.index.history(article.id):
            if datetime.fromisoformat(revision.observed) == observed and same_content(
                self.vault.text(revision), article
            ):
                return True
        return False
