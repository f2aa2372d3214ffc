"""Benchmark: a watch round over 1,000 local pages (50 changed) against naive fetching."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from versionvault.archive import Vault, add_source
from versionvault.text import InvalidArticle, parse_html
from versionvault.watch import FetchOptions, Watcher, article_id_for

__all__ = ["main"]

PAGES = 1000
CHANGED = 50
RUNS = 3
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
_WORDS = [
    *("council", "budget", "school", "road", "city", "vote", "minister", "report", "police"),
    *("court", "health", "market", "price", "river", "bridge", "winter", "summer", "election"),
    *("party", "leader", "union", "strike", "hospital", "water", "energy"),
]


def _page(number: int, edit: int) -> bytes:
    rng = random.Random(number)
    paragraphs = [
        " ".join(rng.choice(_WORDS) for _ in range(rng.randint(25, 60))).capitalize() + "."
        for _ in range(rng.randint(4, 9))
    ]
    title = f"Article {number}" + (f", updated {edit}" if edit else "")
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        f"<nav>Home | World</nav><article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright The Bench Times</footer></body></html>"
    ).encode()


def _serve(port_out: Any) -> None:
    edits = dict.fromkeys(range(PAGES), 0)
    stats = {"200": 0, "304": 0, "other": 0, "bytes": 0}
    cache: dict[int, bytes] = {}
    rounds = [0]

    def body(number: int) -> bytes:
        if number not in cache:
            cache[number] = _page(number, edits[number])
        return cache[number]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 1 << 16  # headers and body in one write, flushed per response
        disable_nagle_algorithm = True

        def _send(self, status: int, data: bytes, kind: str, etag: str = "") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            if etag:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(data)
            key = str(status) if status in (200, 304) else "other"
            stats[key] += 1
            stats["bytes"] += len(data)

        def do_GET(self) -> None:
            path = self.path
            if path == "/_stats":
                data = json.dumps(stats).encode()
                for key in stats:
                    stats[key] = 0
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if path == "/_edit":
                rounds[0] += 1
                for number in random.Random(rounds[0]).sample(range(PAGES), CHANGED):
                    edits[number] = rounds[0]
                    cache.pop(number, None)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if path == "/robots.txt":
                self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
                return
            if path == "/feed.xml":
                items = "".join(
                    f"<item><title>Article {n}</title><link>http://127.0.0.1:{port}/a/{n}</link>"
                    f"<guid>a{n}</guid></item>"
                    for n in range(PAGES)
                )
                data = (
                    '<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>'
                    f"<link>http://127.0.0.1:{port}/</link><description>b</description>"
                    f"{items}</channel></rss>"
                ).encode()
            elif path.startswith("/a/") and path[3:].isdigit() and int(path[3:]) < PAGES:
                data = body(int(path[3:]))
            else:
                self._send(404, b"", "text/plain")
                return
            etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", "text/html", etag)
                return
            kind = "application/rss+xml" if path == "/feed.xml" else "text/html; charset=utf-8"
            self._send(200, data, kind, etag)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    port_out.send(port)
    server.serve_forever()


def _stats(base: str) -> dict[str, int]:
    data: dict[str, int] = httpx.get(base + "/_stats").json()
    return data


def _naive(base: str, home: Path | None) -> tuple[float, int]:
    """Fetch every page in turn (no validators); with an archive, extract and save each too."""
    saved = 0
    started = time.perf_counter()
    vault = Vault.open(home) if home else None
    with httpx.Client(timeout=20) as client:
        for number in range(PAGES):
            url = f"{base}/a/{number}"
            response = client.get(url)
            if vault is None:
                continue
            try:
                article = parse_html(response.text, article_id_for(url), "bench", url)
            except InvalidArticle:
                continue
            saved += vault.save_revision(article).status == "saved"
    if vault:
        vault.close()
    return time.perf_counter() - started, saved


def main() -> None:
    """Run the benchmark and print a table."""
    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=_serve, args=(send,), daemon=True)
    server.start()
    port = receive.recv()
    base = f"http://127.0.0.1:{port}"
    work = Path(tempfile.mkdtemp(prefix="vv-bench-watch-"))
    try:
        home = work / "watch"
        Vault.init(home).close()
        add_source(home / "sources.toml", "bench", (base + "/feed.xml",), (), rate=1_000_000)
        options = FetchOptions(timeout=20, retries=1, backoff=0.1)
        clock = [T0]
        with Vault.open(home) as vault, Watcher(vault, lambda: clock[0], options) as watcher:
            started = time.perf_counter()
            first = watcher.run_once()
            first_time = time.perf_counter() - started
        _stats(base)
        print(f"first round: {first.saved} articles archived in {first_time:.1f}s", file=sys.stderr)
        naive_home = work / "naive"
        shutil.copytree(home, naive_home)
        rows: dict[str, list[tuple[float, int, dict[str, int], int]]] = {}
        for run in range(RUNS):
            httpx.get(base + "/_edit")
            clock[0] += timedelta(days=1)
            with Vault.open(home) as vault, Watcher(vault, lambda: clock[0], options) as watcher:
                started = time.perf_counter()
                report = watcher.run_once()
                elapsed = time.perf_counter() - started
            stats = _stats(base)
            rows.setdefault("watch round (conditional GET)", []).append(
                (elapsed, report.requests, stats, report.saved)
            )
            elapsed, _ = _naive(base, None)
            rows.setdefault("naive: sequential GET, fetch only", []).append(
                (elapsed, PAGES, _stats(base), 0)
            )
            elapsed, saved = _naive(base, naive_home)
            rows.setdefault("naive: sequential GET + extract + save", []).append(
                (elapsed, PAGES, _stats(base), saved)
            )
            print(f"run {run + 1}/{RUNS} done", file=sys.stderr)
        _print(rows)
    finally:
        server.terminate()
        shutil.rmtree(work, ignore_errors=True)


def _print(rows: dict[str, list[tuple[float, int, dict[str, int], int]]]) -> None:
    watch = statistics.median(r[0] for r in rows["watch round (conditional GET)"])
    print(f"\n{PAGES} pages, {CHANGED} changed per round, median of {RUNS} runs\n")
    print(
        f"{'approach':<40} {'time s':>7} {'x watch':>8} {'requests':>9} {'200':>5} "
        f"{'304':>5} {'MB sent':>8} {'saved':>6}"
    )
    for name, runs in rows.items():
        seconds = statistics.median(r[0] for r in runs)
        requests = int(statistics.median(r[1] for r in runs))
        ok = int(statistics.median(r[2]["200"] for r in runs))
        not_modified = int(statistics.median(r[2]["304"] for r in runs))
        sent = statistics.median(r[2]["bytes"] for r in runs) / 1e6
        saved = int(statistics.median(r[3] for r in runs))
        print(
            f"{name:<40} {seconds:>7.2f} {seconds / watch:>8.1f} {requests:>9} {ok:>5} "
            f"{not_modified:>5} {sent:>8.2f} {saved:>6}"
        )


if __name__ == "__main__":
    main()
