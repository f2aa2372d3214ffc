"""Benchmark of full-text search and long histories on a big archive; run by hand.

    python bench/bench_search.py [--revisions 30000] [--runs 30] [--dir DIR]

1. An archive built with `Vault.import_records` from generated JSONL: `--revisions`
   revisions (10 an article; one article in ten is Chinese) plus one article of 2,000
   revisions. `--dir` keeps it for the next run.
2. Median time of `search_articles` for a common word, a rare word and a Chinese word,
   against a baseline measured in the same run: the query this replaced, which ran the
   MATCH twice (a count of distinct articles, then the page grouped and ordered by rank)
   and had no cap.
3. Median server time of the 2,000-revision article's page (50 rows a page, the timeline
   grouped into at most 120 bars) against the same page showing 500 rows, the most one page
   could show before.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from versionvault.archive import Vault, search
from versionvault.web import Settings, create_app

__all__ = ["main"]

START = datetime(2024, 1, 1, tzinfo=UTC)
LATIN = [
    "harbour",
    "council",
    "budget",
    "ferry",
    "dredging",
    "pontoon",
    "school",
    "lifeboat",
    "quay",
    "market",
    "roof",
    "festival",
    "tide",
    "storm",
    "pier",
    "crane",
    "cargo",
    "fishing",
    "permit",
    "inspector",
    "mayor",
    "vote",
]
HAN = "港口码头渡轮新建工程旅客政府会议预算学校市场天气风暴渔船检查镇长投票"


def _latin(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(LATIN) for _ in range(words))


def _han(rng: random.Random, chars: int) -> str:
    return "".join(rng.choice(HAN) for _ in range(chars))


def _records(revisions: int, seed: int = 7) -> Iterator[str]:
    rng = random.Random(seed)
    moment = START
    for article in range(revisions // 10):
        chinese = article % 10 == 0
        paragraphs = [
            _han(rng, 80) if chinese else _latin(rng, 60) + f" rare{article}" for _ in range(8)
        ]
        for number in range(10):
            paragraphs[rng.randrange(8)] = _han(rng, 80) if chinese else _latin(rng, 60)
            moment += timedelta(minutes=1)
            yield json.dumps(
                {
                    "id": f"a{article}",
                    "source": f"s{article % 20}",
                    "title": f"Story {article} revision {number}",
                    "body": "\n\n".join(paragraphs),
                    "observed": moment.isoformat(),
                },
                ensure_ascii=False,
            )
    text = _latin(rng, 40)
    for number in range(2000):
        moment += timedelta(minutes=1)
        yield json.dumps(
            {
                "id": "long",
                "source": "s0",
                "title": "A long history",
                "body": f"{text} version {number}",
                "observed": moment.isoformat(),
            }
        )


def _baseline(vault: Vault, query: str) -> int:
    """The search this replaced: MATCH run for the count and again for the page, by rank."""
    fts = search.fts_query(query)
    base = "FROM revision_text t JOIN revisions r ON r.seq = t.rowid WHERE revision_text MATCH ?"
    db = vault.index.db
    total = db.execute(f"SELECT count(DISTINCT r.article) {base}", (fts,)).fetchone()[0]
    db.execute(
        f"SELECT r.article, group_concat(r.number), min(t.rank) AS best {base} "
        "GROUP BY r.article ORDER BY best, r.article LIMIT 50 OFFSET 0",
        (fts,),
    ).fetchall()
    return int(total)


def _median(func: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _build(home: Path, revisions: int) -> Vault:
    if (home / "articles.git").is_dir():
        return Vault.open(home)
    vault = Vault.init(home)
    start = time.perf_counter()
    vault.import_records(_records(revisions))
    print(f"built {revisions + 2000:,} revisions in {time.perf_counter() - start:.1f} s")
    return vault


def main() -> None:
    """Build (or reuse) the archive, then print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench-search-"))
    with _build(folder / "archive", args.revisions) as vault:
        print(f"{'query':<12} {'baseline ms':>12} {'now ms':>8} {'ratio':>7}  articles")
        for query in ("harbour", "rare12", "码头"):
            old = _median(lambda q=query: _baseline(vault, q), args.runs)
            new = _median(lambda q=query: vault.search_articles(q), args.runs)
            found = vault.search_articles(query)
            shown = f"{found.total:,}{'+' if found.capped else ''}"
            print(f"{query:<12} {old:>12.1f} {new:>8.1f} {new / old:>7.2f}  {shown}")
        timings = {}
        for size in (500, 50):
            with TestClient(create_app(vault, Settings(page_size=size))) as client:
                assert client.get("/articles/long").status_code == 200
                timings[size] = _median(lambda c=client: c.get("/articles/long"), args.runs)
        print(
            f"2,000-revision history: 500 rows {timings[500]:.1f} ms, 50 rows "
            f"{timings[50]:.1f} ms, ratio {timings[50] / timings[500]:.2f}"
        )


if __name__ == "__main__":
    main()
