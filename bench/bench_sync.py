"""Benchmark: `replica sync` of one new revision, old code against new, beside `git fetch`; by hand.

    python bench/bench_sync.py --baseline SRC [--revisions 5000] [--articles 500] [--runs 9]
                               [--dir DIR]

One primary archive (bench_clone's generated revisions; kept in DIR for the next run) is
served twice by `versionvault serve`: once by the code at SRC (the baseline, another
checkout's `src`), once by this checkout's. Each code also runs the replica side: a worker
process holding a replica (a copy of the primary, named as a replica of its own server) that
syncs when told to, in-process (fetch, move main, catch the index up). Then, run after run, a
new revision is saved on the primary and each replica syncs it, old and new in turn (the order
flipping), with `git fetch` of the same change into a bare clone as a yardstick; the same for a
sync that finds nothing new. With `--inits N`, `replica init` (a process) from each server
is timed N times too, beside `git clone --bare`. The table gives medians, new / old and
new / git.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["main"]

HERE = Path(__file__).resolve().parent


def worker(home: Path) -> None:
    """Sync the replica at `home` at each line read from stdin; print the seconds each took."""
    from versionvault.archive import Vault
    from versionvault.archive.replica import sync

    with Vault.open(home) as vault:
        print("ready", flush=True)
        for _ in sys.stdin:
            began = time.perf_counter()
            sync(vault.store, vault.index)
            print(time.perf_counter() - began, flush=True)


class _Process:
    """A child running one code (its `src` first on the path)."""

    def __init__(self, src: Path, *args: str, pipe: bool = False) -> None:
        env = {**os.environ, "PYTHONPATH": str(src)}
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            env=env,
            stdin=subprocess.PIPE if pipe else subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipe else subprocess.DEVNULL,
            stderr=None if pipe else subprocess.DEVNULL,
            text=True,
        )

    def ask(self) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("sync\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.terminate()
        self.proc.wait()


def _serve(src: Path, home: Path, port: int) -> _Process:
    server = _Process(
        src, "-m", "versionvault", "--archive", str(home), "serve", "--port", str(port)
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/status", timeout=5)
            return server
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def _replica(primary: Path, home: Path, site: str) -> None:
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(primary, home)
    subprocess.run(
        ["git", "--git-dir", str(home / "articles.git"), "config", "versionvault.primary", site],
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", type=Path, help="the old code's src folder")
    parser.add_argument("--revisions", type=int, default=5000)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--inits", type=int, default=0, help="time replica init N times")
    parser.add_argument("--dir", type=Path, help="keep the primary here for the next run")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    sys.path.insert(0, str(HERE))
    from bench_clone import build_archive

    from versionvault.archive import Vault
    from versionvault.text import make_article

    folder = args.dir or Path(f"/tmp/bench-sync-{args.revisions}")
    primary_home = folder / f"primary-{args.revisions}"
    if not (primary_home / "articles.git").exists():
        print(f"building {args.revisions} revisions of {args.articles} articles ...", flush=True)
        build_archive(primary_home, args.revisions, args.articles)
    codes = {"old": args.baseline, "new": HERE.parent / "src"}
    servers, workers = {}, {}
    for port, (code, src) in enumerate(codes.items(), start=18731):
        servers[code] = _serve(src, primary_home, port)
        _replica(primary_home, folder / f"replica-{code}", f"http://127.0.0.1:{port}")
        workers[code] = _Process(
            src, __file__, "--worker", str(folder / f"replica-{code}"), pipe=True
        )
        assert workers[code].proc.stdout is not None
        assert workers[code].proc.stdout.readline().strip() == "ready"
    bare = folder / "bare.git"
    shutil.rmtree(bare, ignore_errors=True)
    subprocess.run(
        ["git", "clone", "-q", "--bare", "http://127.0.0.1:18732/archive.git", str(bare)],
        check=True,
    )
    fetch = ["git", "--git-dir", str(bare), "fetch", "-q", "origin", "main:main"]

    def git_fetch() -> float:
        began = time.perf_counter()
        subprocess.run(fetch, check=True)
        return time.perf_counter() - began

    timed: dict[str, list[float]] = {}
    for run in range(args.inits):
        for code in list(codes)[:: 1 if run % 2 else -1]:
            home = folder / f"init-{code}"
            shutil.rmtree(home, ignore_errors=True)
            port = 18731 + list(codes).index(code)
            command = ["-m", "versionvault", "--archive", str(home), "replica", "init"]
            began = time.perf_counter()
            _Process(codes[code], *command, f"http://127.0.0.1:{port}").proc.wait()
            timed.setdefault(f"{code} init", []).append(time.perf_counter() - began)
            shutil.rmtree(home)
        began = time.perf_counter()
        clone = ["git", "clone", "-q", "--bare", "http://127.0.0.1:18732/archive.git"]
        subprocess.run([*clone, str(folder / "init-git")], check=True)
        timed.setdefault("git init", []).append(time.perf_counter() - began)
        shutil.rmtree(folder / "init-git")
    try:
        with Vault.open(primary_home) as primary:
            for run in range(args.runs):
                article = make_article(
                    id=f"bench-sync-{time.time_ns()}",
                    source="source-0",
                    title="Story",
                    body=f"A new paragraph number {run}.\n\nThe rest of the story.",
                )
                primary.save_revision(article)
                for what in ("one new revision", "nothing new"):
                    for code in list(codes)[:: 1 if run % 2 else -1]:
                        timed.setdefault(f"{code} {what}", []).append(workers[code].ask())
                    timed.setdefault(f"git {what}", []).append(git_fetch())
    finally:
        for process in (*workers.values(), *servers.values()):
            process.stop()
    median = {key: statistics.median(samples) * 1000 for key, samples in timed.items()}
    print(
        f"{args.revisions} revisions; load average {os.getloadavg()[0]:.2f} (1 min); "
        f"medians of {args.runs}"
    )
    print(
        f"{'sync of':<20}{'old ms':>10}{'new ms':>10}{'git fetch':>11}{'new/old':>9}{'new/git':>9}"
    )
    for what in ("one new revision", "nothing new", "init"):
        if f"new {what}" not in median:
            continue
        old, new, git = (median[f"{code} {what}"] for code in ("old", "new", "git"))
        label = "(replica init, clone)" if what == "init" else what
        print(f"{label:<20}{old:>10.1f}{new:>10.1f}{git:>11.1f}{new / old:>9.2f}{new / git:>9.2f}")


if __name__ == "__main__":
    main()
