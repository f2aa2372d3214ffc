"""Benchmark of the reading site at scale: server time per page, and wrk against uvicorn; by hand.

    python bench/bench_site.py [--sizes 1000,100000] [--runs 300] [--dir DIR] [--gc]
                               [--wrk-seconds 10] [--no-wrk]

`--gc` repacks both archives into one pack each first, as `versionvault gc` does (an import
writes one pack per 500 revisions, and every blob read looks through each pack's index).

1. Two archives built with `Vault.import_records` from generated JSONL: 1,000 and 100,000
   revisions (10 revisions an article, so 100 and 10,000 articles; 100 articles a source at
   most 100 sources). Generation time is reported. `--dir` keeps them for the next run.
2. Median server time (an ASGI middleware times each request in-process, from the request to
   the last body byte) of `/`, an article page and a diff page (Old Version -> current,
   `diff_cache=0` so every diff is computed) on random articles; runs alternate between the
   archives so machine noise hits both alike. Target: 100,000 within 1.5x of 1,000.
3. wrk against uvicorn (one worker, 127.0.0.1) on the largest archive: a cached diff page
   (sha-addressed, answered 304 to If-None-Match) and an uncached article page.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from versionvault.archive import Vault
from versionvault.web import Settings, create_app

__all__ = ["main"]

REVISIONS_PER_ARTICLE = 10
WORDS = [
    "council",
    "budget",
    "mayor",
    "school",
    "road",
    "tax",
    "vote",
    "plan",
    "city",
    "report",
    "minister",
    "court",
    "police",
    "election",
    "health",
    "water",
    "energy",
    "price",
    "market",
    "union",
    "strike",
    "bridge",
    "train",
    "hospital",
    "weather",
    "storm",
    "fire",
    "river",
    "farm",
    "trade",
    "border",
    "treaty",
    "summit",
    "leader",
    "party",
    "debate",
    "law",
    "reform",
    "growth",
    "inflation",
    "rate",
    "bank",
    "loan",
    "housing",
    "rent",
    "wage",
    "worker",
    "company",
    "profit",
    "loss",
    "share",
    "stock",
    "export",
    "import",
    "factory",
    "science",
    "study",
    "climate",
    "carbon",
    "emission",
    "forest",
    "ocean",
    "island",
    "village",
    "festival",
    "museum",
    "theatre",
]


# -- the corpus -------------------------------------------------------------------------


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> list[str]:
    return [_sentence(rng) for _ in range(rng.randint(2, 4))]


@dataclass
class _Story:
    id: str
    source: str
    title: str
    paragraphs: list[list[str]] = field(default_factory=list)


def _edit(rng: random.Random, story: _Story) -> str:
    roll = rng.random()
    para = rng.randrange(len(story.paragraphs))
    sentences = story.paragraphs[para]
    if roll < 0.5:
        k = rng.randrange(len(sentences))
        words = sentences[k].rstrip(".").split()
        words[rng.randrange(len(words))] = rng.choice(WORDS)
        sentences[k] = " ".join(words).capitalize() + "."
        return "word corrected"
    if roll < 0.7:
        sentences.insert(rng.randrange(len(sentences) + 1), _sentence(rng))
        return "sentence added"
    if roll < 0.8 and len(sentences) > 1:
        sentences.pop(rng.randrange(len(sentences)))
        return "sentence removed"
    if roll < 0.9:
        story.title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize()
        return "headline changed"
    moved = story.paragraphs.pop(para)
    story.paragraphs.insert(rng.randrange(len(story.paragraphs) + 1), moved)
    return "paragraph moved"


def corpus(revisions: int, seed: int = 7) -> Iterator[str]:
    """Yield `revisions` JSONL records: rounds of one revision of every article, in time order."""
    rng = random.Random(seed)
    articles = max(1, revisions // REVISIONS_PER_ARTICLE)
    sources = min(100, max(1, articles // 100))
    stories = [
        _Story(
            id=f"story-{n:05d}",
            source=f"source-{n % sources:03d}",
            title=" ".join(rng.choice(WORDS) for _ in range(6)).capitalize(),
            paragraphs=[_paragraph(rng) for _ in range(rng.randint(6, 10))],
        )
        for n in range(articles)
    ]
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    for rnd in range(REVISIONS_PER_ARTICLE):
        for story in stories:
            note = "first seen" if rnd == 0 else _edit(rng, story)
            moment += timedelta(seconds=37)
            yield json.dumps(
                {
                    "id": story.id,
                    "source": story.source,
                    "title": story.title,
                    "byline": "By Staff",
                    "url": f"https://{story.source}.example/{story.id}",
                    "body": "\n\n".join(" ".join(p) for p in story.paragraphs),
                    "observed": moment.isoformat(),
                    "note": note,
                }
            )


def build(home: Path, revisions: int) -> float | None:
    """Build an archive of `revisions` at `home` unless it exists; return seconds taken."""
    if (home / "articles.git").is_dir():
        return None
    started = time.perf_counter()
    vault = Vault.init(home)
    try:
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if done % 10_000 == 0:
                print(f"  {home.name}: {done:,} revisions", file=sys.stderr, flush=True)

        vault.import_records(corpus(revisions), progress=tick)
    finally:
        vault.close()
    return time.perf_counter() - started


def repack(home: Path) -> float:
    """Repack an archive into one pack (`versionvault gc`); return seconds taken."""
    started = time.perf_counter()
    with Vault.open(home) as vault:
        repack(vault.store)
    return time.perf_counter() - started


def _packs(home: Path) -> int:
    return len(list((home / "articles.git" / "objects" / "pack").glob("*.pack")))


# -- timing -----------------------------------------------------------------------------


class _Timer:
    """ASGI middleware: record each request's server time, start to last body byte."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last = time.perf_counter() - started

        await self.app(scope, receive, timed)


@dataclass
class _Site:
    size: int
    vault: Vault
    client: TestClient
    timer: _Timer
    ids: list[str]
    samples: dict[str, list[float]] = field(default_factory=dict)

    def time(self, page: str, url: str) -> None:
        response = self.client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.text[:200]}")
        self.samples.setdefault(page, []).append(self.timer.last)


def _open(home: Path, size: int) -> _Site:
    vault = Vault.open(home)
    timer = _Timer(create_app(vault, Settings(diff_cache=0)))
    client = TestClient(timer)
    client.__enter__()
    ids = [row.id for row in vault.articles(limit=500)[0]]
    rng = random.Random(size)
    rng.shuffle(ids)
    return _Site(size, vault, client, timer, ids)


PAGES = {
    "/": lambda article: "/",
    "/articles/{id}": lambda article: f"/articles/{article}",
    "/articles/{id}/diff": lambda article: f"/articles/{article}/diff",
}


def measure(sites: list[_Site], runs: int) -> None:
    """Time every page on every site, alternating sites and pages."""
    for site in sites:
        for page, url in PAGES.items():
            for article in site.ids[:5]:
                site.time(page, url(article))
        site.samples.clear()
    for run in range(runs):
        for site in sites:
            article = site.ids[run % len(site.ids)]
            for page, url in PAGES.items():
                site.time(page, url(article))


# -- wrk --------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_SERVER = """
import sys, uvicorn
from pathlib import Path
from versionvault.archive import Vault
from versionvault.web import create_app
vault = Vault.open(Path(sys.argv[1]))
uvicorn.run(create_app(vault), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            access_log=False)
"""


def _wrk(url: str, seconds: int, header: str = "") -> float:
    args = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url]
    if header:
        args[1:1] = ["-H", header]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if not match or ("Non-2xx" in done.stdout and "304" not in header):
        raise SystemExit(f"wrk failed on {url}:\n{done.stdout}{done.stderr}")
    return float(match.group(1))


def run_wrk(home: Path, article: str, seconds: int) -> dict[str, float]:
    """Serve `home` with uvicorn in a process and load it with wrk; return requests/second."""
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk): skipping", file=sys.stderr)
        return {}
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(home), str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    info = client.get(f"/api/articles/{article}").json()
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            first, last = info["revisions"][0]["commit"], info["revisions"][-1]["commit"]
            diff = f"/articles/{article}/diff?from={first}&to={last}"
            etag = client.get(diff).headers["etag"]
            assert client.get(diff, headers={"If-None-Match": etag}).status_code == 304
        return {
            "cached diff page (304, If-None-Match)": _wrk(
                base + diff, seconds, f"If-None-Match: {etag}"
            ),
            "uncached article page (200)": _wrk(f"{base}/articles/{article}", seconds),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


# -- report -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="revisions of each archive")
    parser.add_argument("--runs", type=int, default=300, help="timed requests per page")
    parser.add_argument("--dir", type=Path, help="keep the archives here (reused if present)")
    parser.add_argument("--gc", action="store_true", help="repack the archives before timing")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--no-wrk", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="vv-bench-site-"))
    workdir.mkdir(parents=True, exist_ok=True)
    homes = {size: workdir / f"site-{size}" for size in sizes}
    built: dict[int, float | None] = {}
    for size, home in homes.items():
        print(f"building {size:,} revisions in {home} ...", file=sys.stderr, flush=True)
        built[size] = build(home, size)
    packed = {size: repack(home) for size, home in homes.items() if args.gc}
    packs = {size: _packs(home) for size, home in homes.items()}
    sites = [_open(home, size) for size, home in homes.items()]
    try:
        measure(sites, args.runs)
        print()
        print(f"Median server time over {args.runs} requests (ms)")
        header = f"{'page':<24}" + "".join(f"{f'{s.size:,} revs':>16}" for s in sites)
        print(header + f"{'ratio':>10}")
        for page in PAGES:
            medians = [statistics.median(s.samples[page]) * 1000 for s in sites]
            ratio = medians[-1] / medians[0]
            print(f"{page:<24}" + "".join(f"{m:>16.2f}" for m in medians) + f"{ratio:>9.2f}x")
        print()
        for size in sizes:
            taken = built[size]
            note = f"{taken:.1f} s" if taken is not None else "reused"
            print(f"generation of {size:,} revisions (import_records): {note}; {packs[size]} packs")
            if size in packed:
                print(f"  repacked (versionvault gc) in {packed[size]:.1f} s")
        if not args.no_wrk:
            biggest = sites[-1]
            results = run_wrk(homes[biggest.size], biggest.ids[0], args.wrk_seconds)
            if results:
                print()
                print(
                    f"wrk -t2 -c16 -d{args.wrk_seconds}s, uvicorn 1 worker, {biggest.size:,} revs"
                )
                for name, rate in results.items():
                    print(f"{name:<40}{rate:>12,.0f} req/s")
    finally:
        for site in sites:
            site.client.__exit__(None, None, None)
            site.vault.close()
        if args.dir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
