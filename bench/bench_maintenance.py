"""Benchmark of `verify` and `reindex` against a baseline's code, on one growing archive; by hand.

    python bench/bench_maintenance.py --baseline OLD_SRC [--sizes 10000,30000,100000]
                                      [--runs 3] [--dir DIR]

OLD_SRC is the `src` folder of another checkout (e.g. `git worktree add /tmp/old main`, then
`--baseline /tmp/old/src`). One NewsEdits-shaped archive (bench/newsedits.py) grows through the
sizes, imported by this checkout's CLI; it is kept in DIR as `archive-<size>` (made by copying
the size before and importing the rest), and an `archive-<size>` already there is used as it
is. At each size, `verify` and `reindex` run as CLI subprocesses `--runs` times, the baseline's
code and this checkout's taking turns, and the table gives for each the median wall seconds
and CPU seconds per 1,000 revisions, the peak RSS (the process and its git), this checkout's
ratio to the baseline, each figure's growth from one size to the next, and the load average.
A flat cost per revision means a growth of 1.0 per 1,000 revisions.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench_scale import Run, cli, import_segment
from newsedits import corpus

__all__ = ["main"]

_HERE = Path(__file__).resolve().parents[1] / "src"
_COMMANDS = ("verify", "reindex")


def with_code(src: Path, *args: str, home: Path) -> Run:
    """Run one CLI command with the code in `src`."""
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(src)
    try:
        return cli(home, *args)
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = before


def grow(work: Path, sizes: list[int]) -> list[Path]:
    """Return an archive of each size, making those not in `work` yet."""
    homes, lines, done = [], corpus(sizes[-1]), 0
    for size in sizes:
        home = work / f"archive-{size}"
        if home.exists():
            lines = itertools.islice(lines, size - done, None)
        else:
            if homes:
                shutil.copytree(homes[-1], home)
            else:
                with_code(_HERE, "init", home=home)
            print(f"importing up to {size:,} revisions ...", file=sys.stderr, flush=True)
            import_segment(home, lines, size - done, work)
        homes.append(home)
        done = size
    return homes


def measure(home: Path, size: int, baseline: Path, runs: int) -> dict[str, float]:
    """Return the medians of each command, baseline and this checkout taking turns."""
    samples: dict[tuple[str, str], list[Run]] = {}
    loads = []
    for _ in range(runs):
        for command in _COMMANDS:
            for code, src in (("old", baseline), ("new", _HERE)):
                print(f"  {size:,}: {command} ({code}) ...", file=sys.stderr, flush=True)
                samples.setdefault((command, code), []).append(with_code(src, command, home=home))
                loads.append(os.getloadavg()[0])
    rows: dict[str, float] = {}
    per_1k = size / 1000
    for command in _COMMANDS:
        for code in ("old", "new"):
            done = samples[command, code]
            rows[f"{command} {code} s/1k rev"] = statistics.median(r.seconds for r in done) / per_1k
            rows[f"{command} {code} CPU s/1k rev"] = statistics.median(r.cpu for r in done) / per_1k
            rows[f"{command} {code} peak RSS MB"] = max(r.main + r.git for r in done)
        old, new = rows[f"{command} old s/1k rev"], rows[f"{command} new s/1k rev"]
        rows[f"{command} new/old time"] = new / old
    rows["load average (1 min), median"] = statistics.median(loads)
    return rows


def table(points: list[tuple[int, dict[str, float]]]) -> None:
    sizes = [size for size, _ in points]
    print()
    print(f"{'':<34}" + "".join(f"{f'{s:,}':>11}" for s in sizes) + "  growth")
    for name in points[0][1]:
        values = [rows[name] for _, rows in points]
        cells = "".join(f"{v:>11.2f}" for v in values)
        growth = "".join(f"{b / a:>8.2f}" for a, b in itertools.pairwise(values) if a)
        print(f"{name:<34}{cells}{growth}")


def main(argv: list[str] | None = None) -> None:
    """Grow the archive, time verify and reindex old and new at each size, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the old code's src/")
    parser.add_argument("--sizes", default="10000,30000,100000", help="revisions at each size")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command at each size")
    parser.add_argument("--dir", type=Path, help="keep the archives here (and reuse them)")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    work = args.dir or Path(tempfile.mkdtemp(prefix="vv-bench-maintenance-"))
    work.mkdir(parents=True, exist_ok=True)
    points = []
    for size, home in zip(sizes, grow(work, sizes), strict=True):
        points.append((size, measure(home, size, args.baseline.resolve(), args.runs)))
        table(points)
    print(f"\n(archives left in {work}; the baseline's code: {args.baseline})")


if __name__ == "__main__":
    main()
