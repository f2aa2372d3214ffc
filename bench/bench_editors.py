"""Benchmark of the editors' side: saves with alerts queued, and share cards; by hand.

    python bench/bench_editors.py [--saves 40] [--cards 30]

1. Median time of `Vault.save_revision` alone, then with the alert thread of `serve`
   running against two local targets, one that hangs (2 s, Apprise gives up after 1 s) and
   one that always fails; the ratio says whether a target can slow a save (goal: about 1).
2. Median time to draw a share card (no cache) of every diff of the demo archive, its
   median PNG size, and the peak memory Python allocates while drawing one.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from versionvault.archive import Options, Rule, Vault, add_rule, notify_in_background, start_queue
from versionvault.cli import build_demo
from versionvault.text import make_article
from versionvault.web.card import card_of, render_card

__all__ = ["main"]


class _Target(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.path == "/hang":
            time.sleep(2)
        self.send_response(500)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


def _saves(vault: Vault, count: int, tag: str) -> float:
    times = []
    for k in range(count):
        article = make_article(
            id="bench", source="paper", title="Bench", body=f"{tag} paragraph {k}.\n\nMore text."
        )
        started = time.perf_counter()
        vault.save_revision(article)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_saves(count: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Target)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    with tempfile.TemporaryDirectory() as folder, Vault.init(Path(folder) / "a") as vault:
        _saves(vault, 3, "warm")
        alone = _saves(vault, count, "alone")
        for path in ("/hang?rto=1", "/fail"):
            add_rule(vault.home / "sources.toml", Rule(f"json://127.0.0.1:{port}{path}"))
        start_queue(vault)
        halt = notify_in_background(vault, Options(poll=0.05, backoff=0.1))
        try:
            loaded = _saves(vault, count, "loaded")
        finally:
            halt()
    server.shutdown()
    print(f"save median: {alone * 1e3:.1f} ms alone, {loaded * 1e3:.1f} ms with failing targets")
    print(f"  ratio {loaded / alone:.2f} (goal: about 1)")


def bench_cards(limit: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        vault = build_demo(Path(folder) / "demo")
        pairs = [
            (row.id, n) for row in vault.articles(limit=100)[0] for n in range(2, row.revisions + 1)
        ][:limit]
        times, sizes = [], []
        for article, number in pairs:
            diff = vault.diff(article, number - 1, number)
            started = time.perf_counter()
            png = render_card(card_of("VersionVault", diff), article)
            times.append(time.perf_counter() - started)
            sizes.append(len(png))
        tracemalloc.start()
        render_card(card_of("VersionVault", vault.diff(*pairs[0][:1])), pairs[0][0])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        vault.close()
    print(f"card: {len(times)} diffs, median {statistics.median(times) * 1e3:.1f} ms to draw, ")
    print(f"  median {statistics.median(sizes) / 1024:.0f} KiB, peak {peak / 2**20:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=40)
    parser.add_argument("--cards", type=int, default=30)
    args = parser.parse_args()
    bench_saves(args.saves)
    bench_cards(args.cards)


if __name__ == "__main__":
    main()
