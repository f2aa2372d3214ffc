"""The share card: a 1200x630 PNG of a diff's biggest change, for og:image and twitter:card."""

from __future__ import annotations

import io
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from PIL import Image, ImageDraw
from starlette.requests import Request
from starlette.responses import Response

from ..archive import Diff
from ..diff import Op, count_words
from . import params
from .caching import is_full_sha
from .lettering import Ink, draw_lines, ellipsize, fit_lines, font_chain, one_line
from .site import Site, format_day

__all__ = ["HEIGHT", "WIDTH", "Card", "card_of", "install", "page", "render_card"]

WIDTH, HEIGHT = 1200, 630
_MARGIN = 64
_INNER = WIDTH - 2 * _MARGIN
_PAPER, _INK, _MUTED, _RULE = "#fbfaf7", "#1b2230", "#5b6474", "#d5d9e0"
_ACCENT = "#13325e"
_MARKS = Ink("#1b2230", "#0b5a2a", "#d9f2df", "#8f1d1d", "#fbe0e0")
_CONTEXT_WORDS = 10
_TABLE_RULE = re.compile(r"^[|: ]*-{3,}[-|: ]*$\n?", re.MULTILINE)
_TABLE_EDGE = re.compile(r"^\| ?| ?\|$", re.MULTILINE)
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2026": "...",
    }
)
_MIN_COVERAGE = 0.7
_cache: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Card:
    """What a share card shows, as plain text and diff ops."""

    site: str
    outlet: str
    headline: str
    label: str
    ops: tuple[Op, ...]
    old: str
    new: str
    added: int
    removed: int
    more: tuple[Op, ...] = ()


def _outlet(source: str) -> str:
    return " ".join(part.capitalize() for part in source.split("-"))


def _plain_text(text: str) -> str:
    return " ".join(text.translate(_TYPOGRAPHY).casefold().split())


def _weight(ops: tuple[Op, ...]) -> int:
    """Return the words a block's edits change; typography and spacing count for nothing."""
    total = 0
    runs: list[list[Op]] = [[]]
    for op, text in (*ops, ("=", "")):
        if op != "=":
            runs[-1].append((op, text))
        elif runs[-1]:
            runs.append([])
    for run in runs:
        old = _plain_text("".join(text for op, text in run if op == "-"))
        new = _plain_text("".join(text for op, text in run if op == "+"))
        if old != new:
            total += max(1, count_words(old) + count_words(new))
    return total


def _readable(text: str) -> str:
    """Show a pipe table's rows as cells between dots, without its rule line."""
    text = _TABLE_RULE.sub("", text)
    return _TABLE_EDGE.sub("", text).replace(" | ", "  \u00b7  ")


def _excerpt(ops: tuple[Op, ...]) -> tuple[Op, ...]:
    """Start a little before the first edit; a new paragraph becomes a pilcrow."""
    items = [
        (op, _readable(text) if op == "=" or text.strip() else " \u00b6 ")
        for op, text in ops
        if text
    ]
    first = next((k for k, (op, _) in enumerate(items) if op != "="), 0)
    if first and items[first - 1][0] == "=":
        line = items[first - 1][1].rsplit("\n", 1)[-1]
        words = line.split(" ")
        if len(words) > _CONTEXT_WORDS:
            line = "\u2026 " + " ".join(words[-_CONTEXT_WORDS:])
        items = [("=", line), *items[first:]]
    return tuple(items)


def card_of(site_title: str, diff: Diff) -> Card:
    """Choose what the card of a diff shows: the headline change, else the biggest block."""
    words = diff.words
    title_ops = tuple(words.fields.get("title", ()))
    blocks = [b for b in words.body if b.type != "equal"]
    edited = [b for b in blocks if b.type != "moved-out" and any(op != "=" for op, _ in b.ops)]
    changes = len(blocks) + sum(any(op != "=" for op, _ in ops) for ops in words.fields.values())
    headline = any(op != "=" for op, _ in title_ops)
    biggest = max(edited or blocks, key=lambda b: _weight(tuple(b.ops))) if blocks else None
    more: tuple[Op, ...] = ()
    if headline and (_weight(title_ops) or not any(_weight(tuple(b.ops)) for b in edited)):
        label, ops = "Headline changed", title_ops
        if biggest is not None and _weight(tuple(biggest.ops)):
            more = _excerpt(tuple(biggest.ops))
    elif biggest is not None:
        label = "The biggest change" if changes > 1 else "The change"
        if biggest.type in ("moved-in", "moved-out"):
            label += " (a moved paragraph)"
        ops = _excerpt(tuple(biggest.ops))
    else:
        label, ops = "No change to the text", ()
    if changes > 1:
        label += f" \u00b7 {changes} changes in all"

    def side(number: int, seen: str) -> str:
        return f"Revision {number} \u00b7 {format_day(seen)}"

    return Card(
        site=site_title,
        outlet=_outlet(diff.new.source),
        headline=diff.new.title,
        label=label,
        ops=ops,
        old=side(diff.old.number, diff.old.observed),
        new=side(diff.new.number, diff.new.observed),
        added=words.stats.words_added,
        removed=words.stats.words_removed,
        more=more,
    )


def _headline(draw: ImageDraw.ImageDraw, text: str, fallback: str, top: int) -> int:
    for size, lines in ((50, 2), (42, 2), (36, 3)):
        chain = font_chain("serif-bold", size)
        shown = text if chain.coverage(text) >= _MIN_COVERAGE else fallback
        fitted, complete = fit_lines([("=", shown)], chain, _INNER, lines)
        if complete or size == 36:
            break
    if not complete and fitted:
        fitted[-1] = ellipsize(fitted[-1], chain, _INNER)
    return draw_lines(draw, fitted, chain, (_MARGIN, top, _INNER), 1.22, _MARKS)


def _ops_box(
    draw: ImageDraw.ImageDraw, ops: tuple[Op, ...], top: int, bottom: int, size: int
) -> int:
    """Draw marked text from `top`, as many lines as fit above `bottom`; return the end."""
    chain = font_chain("serif", size)
    text = "".join(t for _, t in ops)
    spans: list[tuple[str, str]] = list(ops)
    if text and chain.coverage(text) < _MIN_COVERAGE:
        spans = [("=", "(the text is in a script this server has no font for)")]
    room = int((bottom - top) // (size * 1.45))
    if room < 1:
        return top
    fitted, complete = fit_lines(spans, chain, _INNER, room)
    if not complete and fitted:
        fitted[-1] = ellipsize(fitted[-1], chain, _INNER)
    return draw_lines(draw, fitted, chain, (_MARGIN, top, _INNER), 1.45, _MARKS)


def _change(draw: ImageDraw.ImageDraw, card: Card, top: int, bottom: int) -> None:
    label = font_chain("sans-bold", 22)
    one_line(draw, card.label.upper(), label, (_MARGIN, top + 22), _MUTED)
    end = _ops_box(draw, card.ops, top + 44, bottom, 32)
    if card.more and bottom - end > 100:
        one_line(draw, "AND IN THE TEXT", label, (_MARGIN, end + 34), _MUTED)
        _ops_box(draw, card.more, end + 52, bottom, 28)


def render_card(card: Card, article_id: str) -> bytes:
    """Draw the card; the same card always gives the same PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), _PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 12), fill=_ACCENT)
    one_line(draw, card.outlet.upper(), font_chain("sans-bold", 24), (_MARGIN, 64), _ACCENT)
    brand = font_chain("sans", 24)
    one_line(draw, card.site, brand, (WIDTH - _MARGIN - brand.width(card.site), 64), _MUTED)
    end = _headline(draw, card.headline, article_id, 88)
    draw.line((_MARGIN, end + 14, WIDTH - _MARGIN, end + 14), fill=_RULE, width=2)
    _change(draw, card, end + 34, HEIGHT - 96)
    draw.line((_MARGIN, HEIGHT - 82, WIDTH - _MARGIN, HEIGHT - 82), fill=_RULE, width=2)
    foot = font_chain("sans", 24)
    one_line(draw, f"{card.old}  \u2192  {card.new}", foot, (_MARGIN, HEIGHT - 38), _MUTED)
    bold = font_chain("sans-bold", 26)
    plus, minus = f"+{card.added:,}", f"  \u2212{card.removed:,} words"
    x = WIDTH - _MARGIN - bold.width(plus + minus)
    x = one_line(draw, plus, bold, (x, HEIGHT - 38), _MARKS.ins_text)
    one_line(draw, minus, bold, (x, HEIGHT - 38), _MARKS.del_text)
    out = io.BytesIO()
    # 128 colours keep the antialiasing and make a third of the RGB file, as fast to write
    small = image.quantize(128, method=Image.Quantize.FASTOCTREE)
    small.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def page(site: Site, request: Request) -> Response:
    """GET /articles/{id}/diff.png?from=&to=: the share card of a diff."""
    article_id = request.path_params["id"]
    old_spec = params.revision_spec(params.text(request, "from") or "first", "from")
    new_spec = params.revision_spec(params.text(request, "to") or "latest", "to")
    fresh = site.freshness(request, is_full_sha(old_spec) and is_full_sha(new_spec))
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    vault = site.vault
    old, new = vault.revision(article_id, old_spec), vault.revision(article_id, new_spec)
    key = (site.build, site.settings.title, article_id, old.commit, new.commit)
    with _cache_lock:
        png = _cache.get(key)
    if png is None:
        png = render_card(card_of(site.settings.title, site.diff(old, new)), article_id)
        with _cache_lock:
            _cache[key] = png
            while len(_cache) > 32:
                _cache.popitem(last=False)
    return Response(png, media_type="image/png", headers=fresh.headers())


def install(site: Site, base_url: str) -> None:
    """Give the templates `public_url(path)`: the absolute address readers reach a path at."""

    @jinja2.pass_context
    def public_url(context: Mapping[str, Any], path: str) -> str:
        request: Request = context["request"]
        return (base_url or f"{request.url.scheme}://{request.url.netloc}") + path

    site.env.globals["public_url"] = public_url
