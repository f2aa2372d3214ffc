"""Watcher: rounds over an archive's feeds and pages, in the foreground or on a thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import httpx

from ..archive import DiskFull, SourceSettings, Vault, VaultError
from .fetch import Fetched, Fetcher, FetchOptions, Request
from .recorder import Recorder
from .report import RoundReport, Tally, WatchWarning
from .saving import LocalSaver, Saver
from .schedule import due_requests, feed_requests, source_for, utcnow
from .state import WatchState

__all__ = ["Watcher", "watch_in_background"]

log = logging.getLogger("versionvault.watch")
T = TypeVar("T")


class Watcher:
    """Runs rounds over an archive's sources; saving is serialised on one writer thread.

    It saves into a Vault, or through any Saver (a primary's write API: RemoteSaver).
    """

    def __init__(
        self,
        vault: Vault | Saver,
        clock: Callable[[], datetime] = utcnow,
        options: FetchOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.saver = LocalSaver(vault) if isinstance(vault, Vault) else vault
        self.clock = clock
        self.options = options or FetchOptions()
        self._transport = transport
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="versionvault-watch")
        self.state = WatchState(self.saver.index)
        self._recorder = Recorder(self.saver, self.state)

    def close(self) -> None:
        """Release the writer thread, its index connection and the saver."""
        self._writer.submit(self.saver.index.close).result()
        self._writer.submit(self.saver.close).result()
        self._writer.shutdown()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    async def _call(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, partial(func, *args))

    def run_once(self, targets: Sequence[str] = ()) -> RoundReport:
        """Run one round (see `run_round`) from synchronous code."""
        return asyncio.run(self.run_round(targets))

    async def run_round(self, targets: Sequence[str] = ()) -> RoundReport:
        """Check every feed, then every page that is due; with `targets`, only those URLs."""
        tally = Tally(self.clock().astimezone(UTC))
        try:
            return await self._round(targets, tally)
        except DiskFull as full:
            kept = f"the round stopped; the {tally.saved} revisions it saved are kept"
            raise DiskFull(full.what, kept) from None

    async def _round(self, targets: Sequence[str], tally: Tally) -> RoundReport:
        now = tally.now
        began = time.monotonic()
        recorder = self._recorder
        try:
            settings = self.saver.sources
        except VaultError as exc:
            tally.warnings.append(WatchWarning("", "sources.toml", "settings", str(exc)))
            settings = SourceSettings({})
        fetcher = Fetcher(self.options, self._transport)
        pending: list[asyncio.Future[None]] = []

        def later(func: Callable[..., None]) -> Callable[[Fetched], Any]:
            async def handle(fetched: Fetched) -> None:
                tally.requests += fetched.requests
                pending.append(
                    asyncio.ensure_future(self._call(recorder.guarded, func, fetched, tally))
                )

            return handle

        try:
            if targets:
                requests = [Request(u, source_for(settings, u).rate, tag=None) for u in targets]
                await fetcher.run(requests, later(partial(recorder.target, settings)))
            else:
                await self._call(recorder.register_pages, settings, tally)
                feeds = await self._call(feed_requests, self.state, settings)
                await fetcher.run(feeds, later(recorder.feed))
            await asyncio.gather(*pending)
            pending.clear()
            only = tally.listed if targets else None
            pages = await self._call(due_requests, self.state, settings, now, only)
            await fetcher.run(pages, later(partial(recorder.page, settings)))
            await asyncio.gather(*pending)
        finally:
            await fetcher.aclose()
        if tally.saved or tally.events:
            await self._call(recorder.push_mirrors, tally)
        report = tally.report(now + timedelta(seconds=round(time.monotonic() - began, 3)))
        await self._call(recorder.finish, settings, tally, report, bool(targets))
        return report

    async def run_forever(
        self,
        interval: float = 900.0,
        report: Callable[[RoundReport], None] | None = None,
        stop: asyncio.Event | None = None,
        targets: Sequence[str] = (),
    ) -> None:
        """Run a round every `interval` seconds until `stop` is set."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            started = time.monotonic()
            try:
                result = await self.run_round(targets)
            except DiskFull as full:
                log.error("a watch round failed: %s", full)
            except Exception:  # a service outlives one bad round; the log keeps the cause
                log.exception("a watch round failed")
            else:
                if report:
                    report(result)
            wait = max(1.0, interval - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)


def watch_in_background(
    vault: Vault,
    interval: float = 900.0,
    report: Callable[[RoundReport], None] | None = None,
    clock: Callable[[], datetime] = utcnow,
    options: FetchOptions | None = None,
) -> Callable[[], None]:
    """Run rounds every `interval` seconds on a thread of their own; return a function to stop."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: list[asyncio.Event] = []
    watcher = Watcher(vault, clock, options)

    async def rounds() -> None:
        stop.append(asyncio.Event())
        ready.set()
        await watcher.run_forever(interval, report, stop[0])

    def run() -> None:
        try:
            loop.run_until_complete(rounds())
        finally:
            watcher.close()
            loop.close()

    thread = threading.Thread(target=run, name="versionvault-watch-rounds", daemon=True)
    thread.start()
    ready.wait()

    def halt(timeout: float = 60.0) -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(stop[0].set)
        thread.join(timeout)

    return halt
