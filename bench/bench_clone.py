"""Benchmark: `git clone` over VersionVault's HTTP against git's own transport, and gc sizes."""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from versionvault.archive import Vault

WORDS = [
    "the",
    "council",
    "mayor",
    "budget",
    "school",
    "road",
    "city",
    "said",
    "on",
    "in",
    "of",
    "to",
    "and",
    "for",
    "with",
    "new",
    "plan",
    "vote",
    "year",
    "people",
    "report",
    "police",
    "court",
    "state",
    "water",
    "minister",
    "election",
    "hospital",
    "river",
    "bridge",
]


def _paragraph(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 70))).capitalize() + "."


def build_archive(home: Path, revisions: int, articles: int) -> None:
    """Fill `home` with `revisions` generated revisions over `articles` articles."""
    rng = random.Random(7)
    bodies = {f"story-{i}": [_paragraph(rng) for _ in range(6)] for i in range(articles)}

    def lines() -> object:
        for n in range(revisions):
            article_id = f"story-{n % articles}"
            paragraphs = bodies[article_id]
            paragraphs[rng.randrange(len(paragraphs))] = _paragraph(rng)
            yield json.dumps(
                {
                    "id": article_id,
                    "source": f"source-{n % articles % 100}",
                    "title": article_id.replace("-", " ").title(),
                    "body": "\n\n".join(paragraphs),
                    "observed": "2024-01-01T00:00:00+00:00",
                }
            )

    with Vault.init(home) as vault:
        vault.import_records(lines())  # type: ignore[arg-type]


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _clone(url: str, into: Path) -> float:
    shutil.rmtree(into, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(["git", "clone", "-q", "--bare", url, str(into)], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--revisions", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--archive", type=Path, help="reuse (or build once into) this archive")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-gc", action="store_true", help="skip the (slow) gc size check")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vv-bench-clone-"))
    home = args.archive or work / "archive"
    if not (home / "articles.git").exists():
        start = time.perf_counter()
        build_archive(home, args.revisions, args.articles)
        print(f"built {args.revisions} revisions in {time.perf_counter() - start:.0f} s")
    repo = home / "articles.git"

    port = 8765
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "versionvault",
            "--archive",
            str(home),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                subprocess.run(
                    ["git", "ls-remote", f"http://127.0.0.1:{port}/archive.git"],
                    check=True,
                    capture_output=True,
                )
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        ours = [
            _clone(f"http://127.0.0.1:{port}/archive.git", work / "c1") for _ in range(args.runs)
        ]
        peak = _peak_rss_kib(server.pid)
    finally:
        server.terminate()
        server.wait()
    theirs = [_clone(f"file://{repo}", work / "c2") for _ in range(args.runs)]

    before = sum(p.stat().st_size for p in repo.rglob("*") if p.is_file())
    after = 0
    if not args.no_gc:
        copy = work / "gc"
        shutil.copytree(home, copy)
        subprocess.run(
            [sys.executable, "-m", "versionvault", "--archive", str(copy), "gc"],
            check=True,
            capture_output=True,
        )
        after = sum(p.stat().st_size for p in (copy / "articles.git").rglob("*") if p.is_file())

    ours_median, theirs_median = statistics.median(ours), statistics.median(theirs)
    print(f"{'clone of':<36}{'median s':>10}")
    print(f"{'VersionVault smart HTTP (uvicorn)':<36}{ours_median:>10.2f}")
    print(f"{'git upload-pack over file://':<36}{theirs_median:>10.2f}")
    print(f"ratio ours/git: {ours_median / theirs_median:.2f}x (target within 3x)")
    print(f"server peak RSS during clones: {peak / 1024:.0f} MiB")
    if after:
        print(f"repository size: {before / 2**20:.1f} MiB, after gc: {after / 2**20:.1f} MiB")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
