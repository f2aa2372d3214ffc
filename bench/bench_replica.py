"""Benchmark: replicas and Memento against git's own clone and fetch, and the site's own API.

    python bench/bench_replica.py [--revisions 5000] [--articles 500] [--runs 5]

1. `versionvault replica init` (a process: clone over dulwich's HTTP client, then the index
   built from the trailers) against `git clone --bare` of the same /archive.git: seconds and
   peak RSS of the process.
2. `replica sync` of one new revision on the primary (in-process: fetch, move main, catch the
   index up) against `git fetch` of the same change into a bare clone; and the same for a
   sync that finds nothing new.
3. The Memento TimeGate and TimeMap against `GET /api/articles/{id}` on the same server.

Runs are interleaved (ours, git, ours, ...) so noise on a busy machine hits both alike; the
table shows medians and ratios of medians from this one process.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_clone import build_archive
from serving import serve

from versionvault.archive import Vault
from versionvault.archive.replica import sync
from versionvault.text import make_article
from versionvault.web import create_app


def _timed(run: Callable[[], object]) -> float:
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


# A fresh, small process runs the command and reports its peak RSS: a child forked straight
# from this (larger) process would inherit this one's peak as its own floor.
_LAUNCH = (
    "import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL); "
    "_, status, usage = os.wait4(p.pid, 0); print(status, usage.ru_maxrss)"
)


def _child(command: list[str]) -> tuple[float, int]:
    """Run a command; return its seconds and its peak RSS in MiB."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCH, *command], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - began
    status, peak = (int(word) for word in done.stdout.split())
    if status:
        raise SystemExit(f"{' '.join(command)} failed")
    return seconds, peak // 1024


def _row(name: str, ours: list[float], theirs: list[float], unit: str = "ms") -> None:
    scale = 1000 if unit == "ms" else 1
    a, b = statistics.median(ours) * scale, statistics.median(theirs) * scale
    print(f"{name:<44} {a:>10.1f} {b:>10.1f} {unit:<3} {a / b:>6.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--revisions", type=int, default=5000)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-replica-"))
    primary_home = folder / "primary"
    print(f"building {args.revisions} revisions of {args.articles} articles ...", flush=True)
    build_archive(primary_home, args.revisions, args.articles)
    primary = Vault.open(primary_home)
    ours_init: list[float] = []
    git_init: list[float] = []
    ours_rss: list[float] = []
    git_rss: list[float] = []
    with serve(create_app(primary)) as base:
        for run in range(args.runs):
            home = str(folder / f"r{run}")
            command = [sys.executable, "-m", "versionvault", "--archive", home]
            seconds, rss = _child([*command, "replica", "init", base])
            ours_init.append(seconds)
            ours_rss.append(rss)
            seconds, rss = _child(
                ["git", "clone", "-q", "--bare", f"{base}/archive.git", str(folder / f"g{run}")]
            )
            git_init.append(seconds)
            git_rss.append(rss)
        replica = Vault.open(folder / "r0")
        bare = folder / "g0"
        ours_sync: list[float] = []
        git_sync: list[float] = []
        ours_idle: list[float] = []
        git_idle: list[float] = []
        fetch = ["git", "--git-dir", str(bare), "fetch", "-q", "origin", "main:main"]
        for run in range(args.runs * 2):
            article = make_article(
                id=f"bench-new-{run}",
                source="source-0",
                title="Story",
                body=f"A new paragraph number {run}.\n\nThe rest of the story.",
            )
            primary.save_revision(article)
            ours_sync.append(_timed(lambda: sync(replica.store, replica.index)))
            git_sync.append(_timed(lambda: subprocess.run(fetch, check=True)))
            ours_idle.append(_timed(lambda: sync(replica.store, replica.index)))
            git_idle.append(_timed(lambda: subprocess.run(fetch, check=True)))
        assert replica.store.tip() == primary.store.tip()
        url = "https://bench.example/news/memento"
        primary.save_revision(
            make_article(id="memento", source="source-0", title="M", body="One.", url=url)
        )
        primary.save_revision(
            make_article(id="memento", source="source-0", title="M", body="Two.", url=url)
        )
        gate, timemap, api = [], [], []
        headers = {"Accept-Datetime": "Mon, 01 Jan 2024 00:00:00 GMT"}
        with httpx.Client(base_url=base) as client:
            for _ in range(args.runs * 20):
                gate.append(_timed(lambda: client.get(f"/timegate/{url}", headers=headers)))
                timemap.append(_timed(lambda: client.get(f"/timemap/link/{url}")))
                api.append(_timed(lambda: client.get("/api/articles/memento")))
    articles, revisions = replica.index.counts()
    print(f"\n{articles} articles, {revisions} revisions; medians of {args.runs} runs or more")
    print(f"{'':<44} {'ours':>10} {'baseline':>10}")
    _row("replica init vs git clone --bare", ours_init, git_init, "s")
    _row("  peak RSS (MiB)", ours_rss, git_rss, "MiB")
    _row("sync of one new revision vs git fetch", ours_sync, git_sync)
    _row("sync with nothing new vs git fetch", ours_idle, git_idle)
    _row("GET /timegate/URL vs GET /api/articles/ID", gate, api)
    _row("GET /timemap/link/URL vs GET /api/articles/ID", timemap, api)
    print(f"(self RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB)")
    replica.close()
    primary.close()


if __name__ == "__main__":
    main()
