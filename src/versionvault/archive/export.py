"""Export: every revision as a line of the import format, in archive order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..text import parse_article
from .index import Index
from .store import Store

__all__ = ["export_lines"]


def export_lines(store: Store, index: Index) -> Iterator[str]:
    """Yield every revision as one import-format JSON line; importing them rebuilds the archive."""
    for revision in index.all_revisions():
        article = parse_article(store.read_blob(revision.blob), revision.article)
        record: dict[str, Any] = {"id": article.id, "source": article.source}
        record.update({k: v for k, v in article.fields().items() if k != "source"})
        record["body"] = article.body
        record["observed"] = revision.observed
        if revision.note:
            record["note"] = revision.note
        record["author"] = revision.author
        yield json.dumps(record, ensure_ascii=False)
