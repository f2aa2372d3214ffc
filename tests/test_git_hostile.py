"""Hostile upload-pack requests to a real server process: refused whole, never a broken 200."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from versionvault.archive import Vault
from versionvault.text import make_article

from .conftest import git, newsroom_lines
from .processes import Server, serve_process

CAPS = b"multi_ack_detailed no-done side-band-64k thin-pack ofs-delta"
REQUEST = "application/x-git-upload-pack-request"
UNKNOWN = b"0123456789abcdef0123456789abcdef01234567"


def pkt(payload: bytes | None) -> bytes:
    """Return one pkt-line (a flush-pkt for None)."""
    return b"0000" if payload is None else b"%04x%s\n" % (len(payload) + 5, payload)


class Archive:
    """The served archive: its tip, a blob, a server process and a clone one commit behind."""

    def __init__(self, home: Path, server: Server, behind: Path, tip: bytes, blob: bytes) -> None:
        self.home, self.server, self.behind, self.tip, self.blob = home, server, behind, tip, blob

    def post(self, body: bytes, **headers: str) -> httpx.Response:
        headers = {"Content-Type": REQUEST, **headers}
        url = f"{self.server.base}/archive.git/git-upload-pack"
        return httpx.post(url, content=body, headers=headers, timeout=60)

    def fetch_works(self, work: Path) -> None:
        """A real `git fetch` (negotiating from one commit behind) still gets main."""
        copy = work / "fetch"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(self.behind, copy)
        git("--git-dir", str(copy), "fetch", "-q", "origin", "main:main")
        assert git("--git-dir", str(copy), "rev-parse", "main").strip().encode() == self.tip


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    work = tmp_path_factory.mktemp("hostile")
    home = work / "archive"
    with Vault.init(home) as vault:
        vault.import_records(newsroom_lines())
        behind_tip = vault.last_commit()
        vault.save_revision(make_article(id="late", source="paper", title="Late", body="News."))
        tip = (vault.last_commit() or "").encode()
        blob = vault.revision("late").blob.encode()
    with serve_process(home, work / "server.log") as server:
        behind = work / "behind.git"
        git("clone", "-q", "--bare", f"{server.base}/archive.git", str(behind))
        git("--git-dir", str(behind), "update-ref", "refs/heads/main", str(behind_tip))
        git("--git-dir", str(behind), "config", "remote.origin.url", f"{server.base}/archive.git")
        yield Archive(home, server, behind, tip, blob)


def answer_kind(response: httpx.Response) -> str:
    """Classify an answer: `refused` (4xx), `err` (a git ERR line), or a whole git answer.

    A 200 must be complete pkt-lines: negotiation lines, then (if a pack) side-band
    packets whose data is a pack with a correct checksum, ended by a flush-pkt.
    """
    if response.status_code != 200:
        assert 400 <= response.status_code < 500, response.status_code
        assert response.text.strip() and "\n" not in response.text.strip()
        return "refused"
    body, at, lines = response.content, 0, []
    while at < len(body):
        size = int(body[at : at + 4], 16)
        assert size == 0 or 4 < size <= len(body) - at, f"broken pkt-line at {at}"
        lines.append(None if size == 0 else body[at + 4 : at + size])
        at += size or 4
    assert lines, "an empty 200"
    if lines[0] is not None and lines[0].startswith(b"ERR "):
        assert len(lines) == 1
        return "err"
    pack = bytearray()
    banded = False
    for n, line in enumerate(lines):
        if line is not None and line[:1] in (b"\x01", b"\x02", b"\x03"):
            banded = True
            assert line[:1] != b"\x03", line
            if line[:1] == b"\x01":
                pack.extend(line[1:])
        elif banded:
            assert line is None and n == len(lines) - 1, "the pack does not end with a flush"
        else:
            words = (line or b"flush").split()
            assert words[0] in (b"NAK", b"ACK", b"shallow", b"unshallow", b"flush"), line
    if not banded:
        return "negotiation"
    assert pack[:4] == b"PACK" and hashlib.sha1(pack[:-20]).digest() == bytes(pack[-20:])
    return "pack"


def no_traceback(server: Server) -> None:
    log = server.log()
    assert "Traceback" not in log and "Exception in ASGI" not in log, log[-3000:]


def _cases(tip: bytes, blob: bytes) -> dict[str, tuple[bytes, dict[str, str], str]]:
    want = pkt(b"want " + tip + b" " + CAPS)
    clone = want + pkt(None) + pkt(b"done")
    flush = pkt(None)
    bomb = gzip.compress(b"0" * (20 * 1024 * 1024), compresslevel=1)
    plain: dict[str, str] = {}
    cases: dict[str, tuple[bytes, dict[str, str], str]] = {
        "empty body": (b"", plain, "refused"),
        "flush only": (flush, plain, "refused"),
        "bad pkt-length zzzz": (b"zzzz" + clone, plain, "refused"),
        "pkt-length 0003": (b"0003" + clone, plain, "refused"),
        "pkt-length 0004 (empty line)": (b"0004" + clone, plain, "refused"),
        "empty payload 0005": (b"0005\n" + clone, plain, "refused"),
        "pkt-length past the end": (b"0fff" + b"want", plain, "refused"),
        "pkt-length ffff (too long)": (b"ffff" + b"x" * 70000, plain, "refused"),
        "truncated want line": (want[:30], plain, "refused"),
        "truncated after flush": (want + flush + pkt(b"done")[:5], plain, "refused"),
        "v2 delim-pkt": (b"0001" + clone, plain, "refused"),
        "v2 command=ls-refs": (pkt(b"command=ls-refs") + b"0001" + flush, plain, "refused"),
        "v2 command=fetch": (
            pkt(b"command=fetch") + b"0001" + pkt(b"done") + flush,
            plain,
            "refused",
        ),
        "unknown want": (
            pkt(b"want " + UNKNOWN + b" " + CAPS) + flush + pkt(b"done"),
            plain,
            "err",
        ),
        "want of a blob": (pkt(b"want " + blob + b" " + CAPS) + flush + pkt(b"done"), plain, "err"),
        "garbage want": (pkt(b"want xyz " + CAPS) + flush + pkt(b"done"), plain, "refused"),
        "uppercase want": (pkt(b"want " + tip.upper() + b" " + CAPS) + flush, plain, "refused"),
        "want without flush": (want, plain, "refused"),
        "want and flush only": (want + flush, plain, "refused"),
        "garbage have": (want + flush + pkt(b"have nothex") + pkt(b"done"), plain, "refused"),
        "short have": (want + flush + pkt(b"have " + tip[:20]) + pkt(b"done"), plain, "refused"),
        "unknown have": (want + flush + pkt(b"have " + UNKNOWN) + pkt(b"done"), plain, "pack"),
        "have of a blob": (want + flush + pkt(b"have " + blob) + pkt(b"done"), plain, "pack"),
        "have of the tip": (want + flush + pkt(b"have " + tip) + pkt(b"done"), plain, "pack"),
        "haves then flush": (want + flush + pkt(b"have " + UNKNOWN) + flush, plain, "negotiation"),
        "have without an end": (want + flush + pkt(b"have " + UNKNOWN), plain, "refused"),
        "two flushes after haves": (
            want + flush + pkt(b"have " + tip) + flush + flush,
            plain,
            "refused",
        ),
        "data after done": (clone + pkt(b"have " + tip), plain, "refused"),
        "done twice": (clone + pkt(b"done"), plain, "refused"),
        "done before the flush": (want + pkt(b"done"), plain, "refused"),
        "deepen x": (want + pkt(b"deepen x") + flush + pkt(b"done"), plain, "refused"),
        "deepen 0": (want + pkt(b"deepen 0") + flush + pkt(b"done"), plain, "refused"),
        "deepen -1": (want + pkt(b"deepen -1") + flush + pkt(b"done"), plain, "refused"),
        "deepen huge": (want + pkt(b"deepen 99999999999") + flush, plain, "refused"),
        "deepen twice": (want + pkt(b"deepen 1") + pkt(b"deepen 2") + flush, plain, "refused"),
        "deepen 1, no done": (want + pkt(b"deepen 1") + flush, plain, "negotiation"),
        "deepen 1, done": (want + pkt(b"deepen 1") + flush + pkt(b"done"), plain, "pack"),
        "deepen-since": (want + pkt(b"deepen-since 1") + flush + pkt(b"done"), plain, "refused"),
        "deepen-not": (want + pkt(b"deepen-not main") + flush + pkt(b"done"), plain, "refused"),
        "filter line": (want + pkt(b"filter blob:none") + flush + pkt(b"done"), plain, "refused"),
        "filter= capability": (
            pkt(b"want " + tip + b" " + CAPS + b" filter=blob:none") + flush + pkt(b"done"),
            plain,
            "refused",
        ),
        "unknown capability": (
            pkt(b"want " + tip + b" " + CAPS + b" bogus") + flush,
            plain,
            "refused",
        ),
        "no side-band-64k": (
            pkt(b"want " + tip + b" ofs-delta") + flush + pkt(b"done"),
            plain,
            "refused",
        ),
        "capabilities on a second want": (
            want + pkt(b"want " + tip + b" " + CAPS) + flush + pkt(b"done"),
            plain,
            "refused",
        ),
        "garbage shallow": (want + pkt(b"shallow zz") + pkt(b"deepen 1") + flush, plain, "refused"),
        "shallow without deepen": (
            want + pkt(b"shallow " + tip) + flush + pkt(b"done"),
            plain,
            "err",
        ),
        "shallow and deepen": (
            want + pkt(b"shallow " + tip) + pkt(b"deepen 1") + flush + pkt(b"done"),
            plain,
            "pack",
        ),
        "NUL in a want line": (pkt(b"want " + tip + b"\0" + CAPS) + flush, plain, "refused"),
        "binary after the flush": (want + flush + bytes(range(256)), plain, "refused"),
        "gzip clone": (gzip.compress(clone), {"Content-Encoding": "gzip"}, "pack"),
        "deflate clone": (zlib.compress(clone), {"Content-Encoding": "deflate"}, "pack"),
        "corrupt gzip": (b"\x1f\x8b\x08\x00garbage", {"Content-Encoding": "gzip"}, "refused"),
        "truncated gzip": (gzip.compress(clone)[:-8], {"Content-Encoding": "gzip"}, "refused"),
        "gzip then garbage": (
            gzip.compress(clone) + b"xx",
            {"Content-Encoding": "gzip"},
            "refused",
        ),
        "gzip bomb": (bomb, {"Content-Encoding": "gzip"}, "refused"),
        "brotli": (clone, {"Content-Encoding": "br"}, "refused"),
        "wrong content type": (clone, {"Content-Type": "text/plain"}, "refused"),
        "a plain clone": (clone, plain, "pack"),
    }
    return cases


def test_malformed_upload_pack_requests_are_refused_whole(archive: Archive, tmp_path: Path) -> None:
    cases = _cases(archive.tip, archive.blob)
    assert len(cases) >= 45
    kinds = {}
    for name, (body, headers, expected) in cases.items():
        response = archive.post(body, **headers)
        kinds[name] = (response.status_code, answer_kind(response))
        assert kinds[name][1] == expected, (name, response.status_code, response.content[:200])
        archive.fetch_works(tmp_path)
    assert kinds["gzip bomb"][0] == 413
    assert kinds["brotli"][0] == 415
    no_traceback(archive.server)


def test_a_shallow_clone_gets_a_clear_error_when_fetching_without_depth(
    archive: Archive, tmp_path: Path
) -> None:
    clone = tmp_path / "shallow"
    url = f"{archive.server.base}/archive.git"
    git("clone", "-q", "--depth", "1", "--filter=blob:none", url, str(clone))
    with Vault.open(archive.home) as vault:
        vault.save_revision(make_article(id="later", source="paper", title="L", body="More."))
        archive.tip = (vault.last_commit() or "").encode()
    plain = subprocess.run(
        ["git", "-C", str(clone), "fetch", "origin"], capture_output=True, text=True
    )
    assert plain.returncode == 128  # git sends its shallow commits and no depth: dulwich cannot
    assert "remote error: fetching into a shallow clone needs a depth" in plain.stderr
    git("-C", str(clone), "fetch", "-q", "--depth", "2", "origin")
    assert git("-C", str(clone), "rev-parse", "origin/main").strip().encode() == archive.tip
    git("-C", str(clone), "fetch", "-q", "--unshallow", "origin")
    git("-C", str(clone), "fsck", "--strict")
    no_traceback(archive.server)


_TOKENS = st.sampled_from(
    [b"want ", b"have ", b"done", b"deepen ", b"shallow ", b"filter ", b"command=fetch", b" "]
)


@st.composite
def pkt_streams(draw: st.DrawFn, tip: bytes) -> bytes:
    """Draw a request: mostly well-formed pkt-lines of git's words, some of them broken."""
    parts = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["line", "flush", "raw", "length"]))
        if kind == "flush":
            parts.append(draw(st.sampled_from([b"0000", b"0001", b"0002"])))
        elif kind == "raw":
            parts.append(draw(st.binary(max_size=24)))
        elif kind == "length":
            parts.append(draw(st.from_regex(rb"\A[0-9a-fA-Fxz-]{4}\Z")))
        else:
            words = draw(
                st.lists(st.one_of(_TOKENS, st.just(tip), st.binary(max_size=12)), max_size=4)
            )
            parts.append(pkt(b"".join(words)))
    if draw(st.booleans()):
        parts.insert(0, pkt(b"want " + tip + b" " + CAPS))
    return b"".join(parts)


def test_fuzzed_upload_pack_requests(archive: Archive, tmp_path: Path) -> None:
    @settings(
        max_examples=200,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(body=pkt_streams(archive.tip), squeeze=st.sampled_from(["", "gzip", "deflate"]))
    def probe(body: bytes, squeeze: str) -> None:
        if squeeze == "gzip":
            response = archive.post(gzip.compress(body), **{"Content-Encoding": "gzip"})
        elif squeeze == "deflate":
            response = archive.post(zlib.compress(body), **{"Content-Encoding": "deflate"})
        else:
            response = archive.post(body)
        answer_kind(response)

    probe()
    no_traceback(archive.server)
    archive.fetch_works(tmp_path)
    git("clone", "-q", "--bare", f"{archive.server.base}/archive.git", str(tmp_path / "c"))
    git("--git-dir", str(tmp_path / "c"), "fsck", "--strict")


def test_a_gzip_bomb_is_refused_with_bounded_memory(archive: Archive) -> None:
    """1.5 MB of gzip that would inflate to 1.5 GB: a 413, and the server's peak RSS stays low."""
    bomb = bytearray()
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"0" * (1 << 20)
    for _ in range(1536):
        bomb.extend(squeeze.compress(block))
    bomb.extend(squeeze.flush())
    assert 1_000_000 < len(bomb) < 2_000_000
    before = archive.server.status("VmHWM")
    response = archive.post(bytes(bomb), **{"Content-Encoding": "gzip"})
    assert response.status_code == 413
    peak = archive.server.status("VmHWM")
    print(f"gzip bomb: {len(bomb)} bytes, peak RSS {before // 1024} -> {peak // 1024} MB")
    assert peak < 300 * 1024, peak
    no_traceback(archive.server)
