"""The diff page: two revisions side by side or inline, changes numbered, context folded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..archive import ArticleRow, Diff, Revision
from ..diff import Block, Op
from . import params
from .caching import is_full_sha
from .site import Site

__all__ = [
    "DiffPage",
    "FieldChange",
    "Fold",
    "Para",
    "Piece",
    "body_items",
    "build_diff_page",
    "field_changes",
    "page",
    "pieces",
]

VIEWS = ("inline", "split")
FIELD_LABELS = {
    "title": "Headline",
    "byline": "Byline",
    "summary": "Summary",
    "section": "Section",
    "url": "Address",
    "published": "Published",
    "updated": "Updated",
    "source": "Source",
}
_MIN_FOLD_LINES = 3
_FIELD_ORDER = ("title", "byline", "summary", "section", "published", "updated", "url")


@dataclass(frozen=True)
class Piece:
    """A stretch of a block's ops; a folded one is a run of unchanged lines."""

    ops: tuple[Op, ...]
    folded: bool = False
    lines: int = 0


@dataclass(frozen=True)
class Para:
    """One paragraph-level block of the diff, ready to display."""

    kind: str
    ops: tuple[Op, ...]
    old: tuple[Op, ...]
    new: tuple[Op, ...]
    pieces: tuple[Piece, ...]
    old_pieces: tuple[Piece, ...]
    new_pieces: tuple[Piece, ...]
    number: int = 0
    anchor: str = ""
    move: int | None = None
    partner: str = ""
    direction: str = ""
    fold: bool = False

    @property
    def edited(self) -> bool:
        """Whether the block has word edits (a moved paragraph may have none)."""
        return any(op != "=" for op, _ in self.ops)


@dataclass(frozen=True)
class Fold:
    """A run of unchanged paragraphs, folded away unless asked for."""

    paras: tuple[Para, ...]
    fold: bool = True


@dataclass(frozen=True)
class FieldChange:
    """A changed header field (headline, byline...) with its word diff."""

    name: str
    label: str
    ops: tuple[Op, ...]
    old: tuple[Op, ...]
    new: tuple[Op, ...]
    number: int
    anchor: str


@dataclass(frozen=True)
class DiffPage:
    """What the diff page shows."""

    article: ArticleRow
    old: Revision
    new: Revision
    latest: Revision
    diff: Diff
    view: str
    context_all: bool
    fields: tuple[FieldChange, ...]
    items: tuple[Para | Fold, ...]
    changes: int
    folded: int
    older: tuple[int, int] | None
    newer: tuple[int, int] | None
    query: dict[str, Any]
    permalink: dict[str, Any]
    immutable: bool
    reversed: bool = False


def _trim(ops: Sequence[Op]) -> tuple[Op, ...]:
    """Drop the paragraph breaks at a block's edges: the layout shows them."""
    items = [(op, text) for op, text in ops if text]
    while items and not items[0][1].strip("\n"):
        items.pop(0)
    while items and not items[-1][1].strip("\n"):
        items.pop()
    if items:
        items[0] = (items[0][0], items[0][1].lstrip("\n"))
        items[-1] = (items[-1][0], items[-1][1].rstrip("\n"))
    return tuple(items)


def _side(ops: Sequence[Op], drop: str) -> tuple[Op, ...]:
    return _trim([(op, text) for op, text in ops if op != drop])


def _lines(ops: Sequence[Op]) -> list[list[Op]]:
    """Cut ops into lines; an edit spanning a line break keeps its lines together."""
    lines: list[list[Op]] = [[]]
    for op, text in ops:
        if op != "=":
            lines[-1].append((op, text))
            continue
        parts = text.split("\n")
        for k, part in enumerate(parts):
            last = k == len(parts) - 1
            piece = part if last else part + "\n"
            if piece:
                lines[-1].append(("=", piece))
            if not last:
                lines.append([])
    return [line for line in lines if line]


def pieces(ops: tuple[Op, ...], show_all: bool, context: int = 1) -> tuple[Piece, ...]:
    """Fold the unchanged lines of a long multi-line block that are far from its edits."""
    lines = _lines(ops)
    if show_all or len(lines) < 2 * context + _MIN_FOLD_LINES:
        return (Piece(ops),)
    changed = [any(op != "=" for op, _ in line) for line in lines]
    near = [any(changed[max(0, k - context) : k + context + 1]) for k in range(len(lines))]
    out: list[Piece] = []
    run: list[list[Op]] = []
    folded = False
    for line, keep in [*zip(lines, near, strict=True), ([], None)]:
        if keep is not None and run and (not keep) == folded:
            run.append(line)
            continue
        if run:
            if folded and len(run) < _MIN_FOLD_LINES:
                folded = False
            flat = tuple(op for line_ops in run for op in line_ops)
            if out and not folded and not out[-1].folded:
                out[-1] = Piece(out[-1].ops + flat)
            else:
                out.append(Piece(flat, folded, len(run) if folded else 0))
        run, folded = [line], not keep
    return tuple(out)


def _para(
    block: Block, k: int, number: int, places: dict[tuple[str, int], int], show_all: bool
) -> Para:
    partner, direction = "", ""
    if block.move is not None:
        other = "moved-in" if block.type == "moved-out" else "moved-out"
        there = places.get((other, block.move), k)
        partner = f"move-{block.move}-{'to' if other == 'moved-in' else 'from'}"
        direction = "down" if there > k else "up"
    old, new = _side(block.ops, "+"), _side(block.ops, "-")
    ops = old if block.type == "moved-out" else _trim(block.ops)
    return Para(
        kind=block.type,
        ops=ops,
        old=old,
        new=new,
        pieces=pieces(ops, show_all),
        old_pieces=pieces(old, show_all),
        new_pieces=pieces(new, show_all),
        number=number,
        anchor=f"change-{number}",
        move=block.move,
        partner=partner,
        direction=direction,
    )


def body_items(
    blocks: Sequence[Block], context: int, show_all: bool, first_number: int = 1
) -> tuple[tuple[Para | Fold, ...], int, int]:
    """Number the changed blocks and fold unchanged runs; return (items, changes, folded)."""
    places = {(b.type, b.move): k for k, b in enumerate(blocks) if b.move is not None}
    paras: list[Para] = []
    number = first_number - 1
    for k, block in enumerate(blocks):
        if block.type == "equal":
            ops = _trim(block.ops)
            if ops:
                whole = (Piece(ops),)
                paras.append(Para("equal", ops, ops, ops, whole, whole, whole))
            continue
        number += 1
        paras.append(_para(block, k, number, places, show_all))
    changes = number - first_number + 1
    if show_all:
        return tuple(paras), changes, 0
    items = _fold(paras, context)
    folded = sum(len(item.paras) for item in items if isinstance(item, Fold))
    return tuple(items), changes, folded


def _fold(paras: list[Para], context: int) -> list[Para | Fold]:
    out: list[Para | Fold] = []
    run: list[Para] = []
    seen_change = False
    for para in [*paras, None]:
        if para is not None and para.kind == "equal":
            run.append(para)
            continue
        head = context if seen_change else 0
        tail = context if para is not None else 0
        if len(run) > head + tail + 1:
            out.extend(run[:head])
            out.append(Fold(tuple(run[head : len(run) - tail])))
            out.extend(run[len(run) - tail :])
        else:
            out.extend(run)
        run = []
        if para is not None:
            out.append(para)
            seen_change = True
    return out


def field_changes(diff: Diff) -> tuple[FieldChange, ...]:
    names = [n for n in _FIELD_ORDER if n in diff.words.fields]
    names += [n for n in diff.words.fields if n not in names]
    changes: list[FieldChange] = []
    for name in names:
        ops = diff.words.fields[name]
        if all(op == "=" for op, _ in ops):
            continue
        number = len(changes) + 1
        changes.append(
            FieldChange(
                name=name,
                label=FIELD_LABELS.get(name, name.capitalize()),
                ops=tuple(ops),
                old=_side(ops, "+"),
                new=_side(ops, "-"),
                number=number,
                anchor=f"change-{number}",
            )
        )
    return tuple(changes)


def build_diff_page(
    site: Site,
    article: ArticleRow,
    old: Revision,
    new: Revision,
    latest: Revision,
    view: str,
    context_all: bool,
    immutable: bool = False,
) -> DiffPage:
    """Compute the diff page's model."""
    diff = site.diff(old, new)
    fields = field_changes(diff)
    items, changes, folded = body_items(
        diff.words.body, site.settings.context, context_all, len(fields) + 1
    )
    low, high = sorted((old.number, new.number))
    older = (low - 1, low) if low > 1 else None
    newer = (high, high + 1) if high < latest.number and not immutable else None
    query: dict[str, Any] = {
        "view": view if view != "inline" else None,
        "context": "all" if context_all else None,
    }
    return DiffPage(
        article=article,
        old=old,
        new=new,
        latest=latest,
        diff=diff,
        view=view,
        context_all=context_all,
        fields=fields,
        items=items,
        changes=changes + len(fields),
        folded=folded,
        older=older,
        newer=newer,
        query=query,
        permalink={"from": old.commit, "to": new.commit, **query},
        immutable=immutable,
        reversed=old.number > new.number,
    )


def page(site: Site, request: Request) -> Response:
    """GET /articles/{id}/diff?from=&to=&view=&context=: the word diff of two revisions."""
    article_id = request.path_params["id"]
    old_spec = params.revision_spec(params.text(request, "from") or "first", "from")
    new_spec = params.revision_spec(params.text(request, "to") or "latest", "to")
    view = params.choice(request, "view", VIEWS)
    context = params.choice(request, "context", ("", "all"))
    immutable = is_full_sha(old_spec) and is_full_sha(new_spec)
    fresh = site.freshness(request, immutable)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    vault = site.vault
    article = vault.article(article_id)
    old, new = vault.revision(article_id, old_spec), vault.revision(article_id, new_spec)
    latest = vault.revision(article_id, "latest")
    model = build_diff_page(site, article, old, new, latest, view, context == "all", immutable)
    return site.render(request, "diff.html", model, fresh)
