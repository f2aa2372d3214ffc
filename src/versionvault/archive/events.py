"""Events in a history: removals and feed departures from the index, and the returns after them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from .revise import trailer_lines
from .rows import Event, Revision

__all__ = ["EVENTS", "EVENT_LABELS", "event_message", "with_returns"]

EVENTS = ("removed", "left-feed")

EVENT_LABELS = {
    "removed": "taken down",
    "left-feed": "left its feed",
    "returned": "back online",
}


def with_returns(events: Sequence[Event], history: Sequence[Revision]) -> list[Event]:
    """Return the events with a `returned` one for each revision saved after a removal.

    A removal after revision n is followed by a return when revision n + 1 exists: the page
    answered again. The return is dated and named by that revision's commit.
    """
    by_number = {r.number: r for r in history}
    found: list[Event] = []
    for event in events:
        found.append(event)
        back = by_number.get(event.after_revision + 1)
        if event.event == "removed" and back is not None:
            found.append(
                replace(
                    event,
                    event="returned",
                    commit=back.commit,
                    observed=back.observed,
                    archived=back.archived,
                    url=back.url,
                    note=f"the page answered again: revision {back.number}",
                )
            )
    return found


def event_message(
    latest: Revision, event: str, moment: datetime, url: str, note: str, editor: str
) -> str:
    """Return the commit message of an event after the `latest` revision of its article."""
    trailers = [
        ("Article", latest.article),
        ("Source", latest.source),
        ("Event", event),
        ("Observed", moment.isoformat()),
        ("Url", url or latest.url),
        ("Note", note),
        ("Editor", editor),
    ]
    what = "removed" if event == "removed" else "left its feed"
    on = moment.isoformat()
    return f"{latest.article}: {event}\n\n{what} on {on}\n\n{trailer_lines(trailers)}\n"
