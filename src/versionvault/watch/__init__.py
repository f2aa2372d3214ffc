"""Watch layer: fetch feeds and pages politely on a schedule, archive what changed, report."""

from .fetch import FetchOptions
from .registry import article_id_for
from .report import RoundReport, status
from .saving import LocalSaver, RemoteSaver, Saver
from .schedule import next_check
from .watcher import Watcher, watch_in_background

__all__ = [
    "FetchOptions",
    "LocalSaver",
    "RemoteSaver",
    "RoundReport",
    "Saver",
    "Watcher",
    "article_id_for",
    "next_check",
    "status",
    "watch_in_background",
]
