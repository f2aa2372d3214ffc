"""Captures: which revision a page kept in the tree belongs to."""

from __future__ import annotations

from .index import Index
from .rows import Revision
from .store import Store

__all__ = ["EXTRACTION", "captured_page"]

EXTRACTION = "extraction"  # the kind of a revision the extractor made again from a kept page


def captured_page(store: Store, index: Index, revision: Revision) -> bytes | None:
    """Return the page a revision's text was read from, kept in its commit; None if none.

    A commit's tree keeps the article's latest page until another replaces it, so a revision
    owns the page there only when it came with it: the page differs from the one the revision
    before had, or the revision is the first or a re-extraction of it.
    """
    page = store.capture(revision.commit)
    if page is None or revision.number == 1 or revision.kind == EXTRACTION:
        return page
    before = index.revision(revision.article, revision.number - 1)
    if before is not None and store.capture(before.commit) == page:
        return None
    return page
