"""The history timeline: when and how much an article changed, laid out for an SVG."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..archive import Revision

__all__ = ["Bar", "Tick", "Timeline", "build_timeline"]

WIDTH, HEIGHT = 720, 132
_LEFT, _RIGHT, _TOP, _BOTTOM = 16, 16, 14, 30
_DAY = 86400.0


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
    """A date label on the time axis."""

    x: float
    label: str
    anchor: str


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
    fmt = _tick_format(span)
    if span <= 0:
        label = datetime.fromtimestamp(start, UTC).strftime(fmt)
        return (Tick(left + plot / 2, label, "middle"),)
    ticks: list[Tick] = []
    count = 5
    for k in range(count):
        moment = start + span * k / (count - 1)
        label = datetime.fromtimestamp(moment, UTC).strftime(fmt)
        if ticks and ticks[-1].label == label:
            continue
        anchor = "start" if k == 0 else "end" if k == count - 1 else "middle"
        ticks.append(Tick(round(left + plot * k / (count - 1), 1), label, anchor))
    return tuple(ticks)


def build_timeline(revisions: Sequence[Revision], href: Callable[[Revision], str]) -> Timeline:
    """Lay out one bar per revision along time; `href` links each bar (to its diff)."""
    left, right = float(_LEFT), float(WIDTH - _RIGHT)
    plot, baseline = right - left, float(HEIGHT - _BOTTOM)
    tall = baseline - _TOP
    times = [_seconds(r.observed) for r in revisions]
    start, span = (min(times), max(times) - min(times)) if times else (0.0, 0.0)
    sizes = [r.words_added + r.words_removed for r in revisions]
    scale = math.log1p(max(sizes, default=0)) or 1.0
    width = max(3.0, min(12.0, plot / max(1, len(revisions)) * 0.6))
    bars: list[Bar] = []
    for k, (revision, moment, size) in enumerate(zip(revisions, times, sizes, strict=True)):
        if span > 0:
            centre = left + plot * (moment - start) / span
        else:
            centre = left + plot * (k + 0.5) / len(revisions)
        height = 3.0 + (tall - 3.0) * math.log1p(size) / scale
        x = min(max(centre - width / 2, left - width / 2), right - width / 2)
        label = (
            f"Revision {revision.number}: +{revision.words_added} \u2212{revision.words_removed}"
            f" words, {revision.kind}"
            + ("; headline changed" if revision.headline_changed else "")
            + f" ({revision.observed[:10]})"
        )
        bars.append(
            Bar(
                x=round(x, 1),
                y=round(baseline - height, 1),
                width=round(width, 1),
                height=round(height, 1),
                kind=revision.kind if revision.number > 1 else "first",
                href=href(revision),
                label=label,
                headline=revision.headline_changed,
                number=revision.number,
            )
        )
    n = len(revisions)
    summary = f"{n} revision{'s' if n != 1 else ''}"
    if n:
        summary += f" from {revisions[0].observed[:10]} to {revisions[-1].observed[:10]}"
    return Timeline(
        width=WIDTH,
        height=HEIGHT,
        baseline=baseline,
        left=left,
        right=right,
        bars=tuple(bars),
        ticks=_ticks(start, span, left, plot),
        label=summary,
    )
