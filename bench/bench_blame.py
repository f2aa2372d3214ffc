"""Benchmark of blame on a long history: 200 revisions of a 5,000-word article; by hand."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from versionvault.archive import Vault, blame_of
from versionvault.archive import blame as blame_module
from versionvault.web import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_worddiff import _article, _edit, _reword, _vocabulary

from tests.serving import serve

__all__ = ["main"]

_ARTICLE = "long-story"
_RUNS = 21


def _history(revisions: int, words: int, seed: int = 3) -> list[str]:
    """Return JSONL lines: an article and its revisions, each a small edit, some bigger."""
    rng = random.Random(seed)
    vocab = _vocabulary(random.Random(seed + 1))
    paragraphs = _article(rng, words)
    moment = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
    lines = []
    for number in range(revisions):
        before = list(paragraphs)
        while number and paragraphs == before:
            roll = rng.random()
            k = rng.randrange(len(paragraphs))
            if roll < 0.6:
                paragraphs[k] = _edit(rng, paragraphs[k])
            elif roll < 0.72:
                paragraphs.insert(k, _article(rng, 60)[0])
            elif roll < 0.85 and len(paragraphs) > 10:
                del paragraphs[k]
            elif roll < 0.93:
                paragraphs.insert(rng.randrange(len(paragraphs)), paragraphs.pop(k))
            else:
                paragraphs[k] = _reword(rng, paragraphs[k], vocab)
        moment += timedelta(minutes=rng.randint(5, 300))
        record = {
            "id": _ARTICLE,
            "source": "bench",
            "title": "A long story, revised all day",
            "body": "\n\n".join(paragraphs) + "\n",
            "observed": moment.isoformat(),
        }
        lines.append(json.dumps(record))
    return lines


def _median_ms(fn: Callable[[], object], runs: int = _RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> int:
    """Build the history, time blame cold and warm (in process and over HTTP), print it all."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=200)
    parser.add_argument("--words", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        vault = Vault.init(Path(folder) / "archive")
        try:
            vault.import_records(_history(args.revisions, args.words), parallel=False)
            history = vault.history(_ARTICLE)
            body = vault.text(history[-1]).body
            print(
                f"{len(history)} revisions of {_ARTICLE}, {len(body.split()):,} words,"
                f" {body.count(chr(10) * 2) + 1} paragraphs at the end"
            )
            blame_module._CACHE.items.clear()
            start = time.perf_counter()
            result = blame_of(vault, _ARTICLE)
            cold = (time.perf_counter() - start) * 1000
            blame_module._CACHE.items.clear()
            tracemalloc.start()
            blame_of(vault, _ARTICLE)
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            warm = _median_ms(lambda: blame_of(vault, _ARTICLE))
            rng = random.Random(5)
            picks = [rng.randrange(1, len(history) + 1) for _ in range(_RUNS)]
            shuffled = iter(picks)
            warm_any = _median_ms(lambda: blame_of(vault, _ARTICLE, next(shuffled)))
            with serve(create_app(vault)) as base, httpx.Client(base_url=base) as client:
                url = f"/api/articles/{_ARTICLE}/blame"
                assert client.get(url).status_code == 200
                http_latest = _median_ms(lambda: client.get(url).raise_for_status())
                numbers = iter(picks)
                http_any = _median_ms(
                    lambda: client.get(url, params={"rev": next(numbers)}).raise_for_status()
                )
                page = _median_ms(lambda: client.get(f"/articles/{_ARTICLE}/blame"))
        finally:
            vault.close()
    writers = len({block.revision for block in result.blocks})
    print(f"blocks: {len(result.blocks)}, written in {writers} different revisions")
    print(f"cold, all {len(history)} revisions walked: {cold:8.1f} ms (peak {peak:.1f} MB traced)")
    print(f"warm, latest (in process):      {warm:8.2f} ms (median of {_RUNS})")
    print(f"warm, any revision (in process): {warm_any:7.2f} ms")
    print(f"warm, GET {url}:  {http_latest:6.2f} ms")
    print(f"warm, GET ...blame?rev=N (any N):        {http_any:6.2f} ms")
    print(f"warm, GET /articles/{_ARTICLE}/blame (page):  {page:6.2f} ms")
    ok = max(http_latest, http_any) < 100
    print(f"target: under 100 ms warm over HTTP: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
