"""The history timeline: when and how much an article changed, laid out for an SVG."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..archive import EVENT_LABELS, Event, Revision

__all__ = ["MAX_BARS", "Bar", "Mark", "Tick", "Timeline", "build_timeline"]

WIDTH, HEIGHT = 720, 132
_LEFT, _RIGHT, _TOP, _BOTTOM = 16, 16, 14, 30
_DAY = 86400.0
MAX_BARS = 120


@dataclass(frozen=True)
class Bar:
    """One revision: a bar whose height grows with the words it changed."""

    x: float
    y: float
    width: float
    height: float
    kind: str
    href: str
    label: str
    headline: bool
    number: int


@dataclass(frozen=True)
class Tick:
    """A date label on the time axis (shown as HTML text under the drawing)."""

    x: float
    label: str
    anchor: str


@dataclass(frozen=True)
class Mark:
    """An event on the time axis: a removal, a return, leaving a feed."""

    x: float
    event: str
    label: str


@dataclass(frozen=True)
class Timeline:
    """The SVG's geometry: bars, ticks and a text summary for screen readers."""

    width: int
    height: int
    baseline: float
    left: float
    right: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    label: str
    marks: tuple[Mark, ...] = ()
    grouped: bool = False


def _seconds(value: str) -> float:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _tick_format(span: float) -> str:
    if span > 3 * 365 * _DAY:
        return "%Y"
    if span > 90 * _DAY:
        return "%b %Y"
    if span > 2 * _DAY:
        return "%-d %b %Y"
    return "%-d %b %H:%M"


def _ticks(start: float, span: float, left: float, plot: float) -> tuple[Tick, ...]:
    """Return five evenly spaced date labels (a repeated label is left blank), or one."""
    fmt = _tick_format(span)
    if span <= 0:
        label = datetime.fromtimestamp(start, UTC).strftime(fmt)
        return (Tick(left + plot / 2, label, "middle"),)
    ticks: list[Tick] = []
    count = 5
    previous = ""
    for k in range(count):
        moment = start + span * k / (count - 1)
        label = datetime.fromtimestamp(moment, UTC).strftime(fmt)
        anchor = "start" if k == 0 else "end" if k == count - 1 else "middle"
        ticks.append(
            Tick(
                round(left + plot * k / (count - 1), 1), "" if label == previous else label, anchor
            )
        )
        previous = label
    return tuple(ticks)


def _groups(revisions: Sequence[Revision], limit: int) -> list[list[Revision]]:
    """Return the revisions in at most `limit` runs of neighbours (each run is one bar)."""
    if len(revisions) <= limit:
        return [[r] for r in revisions]
    size = math.ceil(len(revisions) / limit)
    return [list(revisions[k : k + size]) for k in range(0, len(revisions), size)]


def _label(first: Revision, last: Revision, added: int, removed: int, kind: str) -> str:
    what = f"+{added} \u2212{removed} words"
    if first is last:
        headline = "; headline changed" if first.headline_changed else ""
        return f"Revision {first.number}: {what}, {kind}{headline} ({first.observed[:10]})"
    return (
        f"Revisions {first.number}\u2013{last.number}: {what}"
        f" ({first.observed[:10]} to {last.observed[:10]})"
    )


def build_timeline(
    revisions: Sequence[Revision],
    href: Callable[[Revision], str],
    events: Sequence[Event] = (),
    most: int = MAX_BARS,
) -> Timeline:
    """Lay out one bar per revision along time; `href` links each bar (to its diff).

    A long history is drawn as at most `most` bars, each a run of neighbouring revisions
    (linked to its last one); events are marks on the axis.
    """
    left, right = float(_LEFT), float(WIDTH - _RIGHT)
    plot, baseline = right - left, float(HEIGHT - _BOTTOM)
    tall = baseline - _TOP
    groups = _groups(revisions, most)
    times = [_seconds(r.observed) for r in revisions] + [_seconds(e.observed) for e in events]
    start, span = (min(times), max(times) - min(times)) if times else (0.0, 0.0)
    sizes = [sum(r.words_added + r.words_removed for r in g) for g in groups]
    scale = math.log1p(max(sizes, default=0)) or 1.0
    width = max(2.0, min(12.0, plot / max(1, len(groups)) * 0.6))

    def place(moment: float, k: int) -> float:
        if span > 0:
            return left + plot * (moment - start) / span
        return left + plot * (k + 0.5) / max(1, len(groups))

    bars: list[Bar] = []
    for k, (group, size) in enumerate(zip(groups, sizes, strict=True)):
        first, last = group[0], group[-1]
        centre = place(_seconds(last.observed), k)
        height = 3.0 + (tall - 3.0) * math.log1p(size) / scale
        x = min(max(centre - width / 2, left - width / 2), right - width / 2)
        kinds = [r.kind for r in group if r.number > 1]
        kind = (
            "first"
            if first.number == 1 and len(group) == 1
            else ("substantive" if "substantive" in kinds else kinds[-1] if kinds else "first")
        )
        added = sum(r.words_added for r in group)
        removed = sum(r.words_removed for r in group)
        bars.append(
            Bar(
                x=round(x, 1),
                y=round(baseline - height, 1),
                width=round(width, 1),
                height=round(height, 1),
                kind=kind,
                href=href(last),
                label=_label(first, last, added, removed, kind),
                headline=any(r.headline_changed for r in group),
                number=last.number,
            )
        )
    marks = tuple(
        Mark(
            x=round(min(max(place(_seconds(e.observed), len(groups) - 1), left), right), 1),
            event=e.event,
            label=f"{EVENT_LABELS.get(e.event, e.event).capitalize()} ({e.observed[:10]})",
        )
        for e in events
    )
    n = len(revisions)
    summary = f"{n} revision{'s' if n != 1 else ''}"
    if n:
        summary += f" from {revisions[0].observed[:10]} to {revisions[-1].observed[:10]}"
    if marks:
        summary += "; " + "; ".join(m.label.lower() for m in marks)
    return Timeline(
        width=WIDTH,
        height=HEIGHT,
        baseline=baseline,
        left=left,
        right=right,
        bars=tuple(bars),
        ticks=_ticks(start, span, left, plot),
        label=summary,
        marks=marks,
        grouped=len(groups) < n,
    )
