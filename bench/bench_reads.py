"""Benchmark of the read pages at two archive sizes, old code against new, interleaved; by hand.

    python bench/bench_reads.py --baseline SRC HOME [HOME ...] [--runs 30] [--diff-cache 0]

Each archive HOME (built beforehand, e.g. by `versionvault import --archived T` of
bench/newsedits.py's corpus at 10k and 100k revisions) is read by two worker processes: one
runs the code at SRC (the baseline: another checkout's `src`), one this checkout's. Each
worker opens the archive once and answers requests through the app in-process (Starlette's
TestClient, diff cache off unless asked); the driver sends every URL to both in turn, the
order flipping each run, so a busy machine slows both alike. The table gives the median ms
of each page for each code and archive, new / old, and the growth between the archives.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["main"]

HERE = Path(__file__).resolve().parent


def _rare_word() -> str:
    from newsedits import _Writer

    writer = _Writer(random.Random(1), (400, 1200))
    return writer.vocabulary[len(writer.vocabulary) // 2]


def _urls(home: Path, rng: random.Random) -> dict[str, str]:
    """Return the pages to time: fixed ones and an article drawn at random (seeded)."""
    with sqlite3.connect(home / "index.sqlite3") as db:
        (top,) = db.execute("SELECT max(rowid) FROM articles").fetchone()
        article = None
        while article is None:
            row = db.execute(
                "SELECT id FROM articles WHERE rowid = ? AND revisions > 1", (rng.randint(1, top),)
            ).fetchone()
            article = row[0] if row else None
    return {
        "recent changes /": "/",
        "/ older page": "/?before=5000",
        "/ two kinds": "/?kind=substantive&kind=minor",
        "/ headline": "/?headline=1",
        "article list": "/articles",
        "feed.atom": "/feed.atom",
        "search, common word": "/articles?q=the",
        "search, rare word": f"/articles?q={_rare_word()}",
        "article page": f"/articles/{article}",
    }


def worker(home: Path, diff_cache: int) -> None:
    """Answer URLs read from stdin, one a line, with the ms each took."""
    from starlette.testclient import TestClient

    from versionvault.archive import Vault
    from versionvault.web import Settings, create_app

    with (
        Vault.open(home) as vault,
        TestClient(create_app(vault, Settings(diff_cache=diff_cache))) as c,
    ):
        print("ready", flush=True)
        for line in sys.stdin:
            started = time.perf_counter()
            response = c.get(line.strip())
            took = (time.perf_counter() - started) * 1000
            print(json.dumps([response.status_code, took]), flush=True)


class _Worker:
    def __init__(self, src: Path, home: Path, diff_cache: int) -> None:
        env = {**os.environ, "PYTHONPATH": str(src)}
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(home)]
        command += ["--diff-cache", str(diff_cache)]
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"

    def get(self, url: str) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(url + "\n")
        self.proc.stdin.flush()
        status, took = json.loads(self.proc.stdout.readline())
        assert status == 200, (url, status)
        return float(took)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("homes", nargs="*", type=Path)
    parser.add_argument("--baseline", type=Path, help="the old code's src folder")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--diff-cache", type=int, default=0)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.diff_cache)
        return
    codes = {"old": args.baseline, "new": HERE.parent / "src"}
    medians: dict[tuple[str, str, Path], float] = {}
    names: list[str] = []
    for home in args.homes:
        urls = _urls(home, random.Random(1))
        names = list(urls)
        workers = {code: _Worker(src, home, args.diff_cache) for code, src in codes.items()}
        timed: dict[tuple[str, str], list[float]] = {}
        for run in range(args.runs + 1):
            for name, url in urls.items():
                order = list(workers.items())[:: 1 if run % 2 else -1]
                for code, w in order:
                    took = w.get(url)
                    if run:  # the first run warms up
                        timed.setdefault((code, name), []).append(took)
        for w in workers.values():
            w.close()
        for (code, name), samples in timed.items():
            medians[code, name, home] = statistics.median(samples)
    print(f"load average {os.getloadavg()[0]:.2f} (1 min); median ms of {args.runs} runs")
    head = f"{'':<22}" + "".join(
        f"{h.name + ' old':>11}{h.name + ' new':>11}{'new/old':>8}" for h in args.homes
    )
    growth = len(args.homes) > 1
    print(head + (f"{'old x':>8}{'new x':>8}" if growth else ""))
    for name in names:
        cells = ""
        for home in args.homes:
            old, new = medians["old", name, home], medians["new", name, home]
            cells += f"{old:>11.1f}{new:>11.1f}{new / old:>8.2f}"
        if growth:
            first, last = args.homes[0], args.homes[-1]
            for code in codes:
                cells += f"{medians[code, name, last] / medians[code, name, first]:>8.2f}"
        print(f"{name:<22}{cells}")


if __name__ == "__main__":
    main()
