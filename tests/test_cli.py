"""Tests for the command line: ingest, import, log, show, diff, export, verify, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from versionvault.archive import Vault, parse_time

from .conftest import NEWSROOM, SEED, git, newsroom_lines, run_cli, run_process

LIFEBOAT = "skerrow-lifeboat-rescue"


def _snapshot(home: Path) -> tuple[str, bytes]:
    repo = home / "articles.git"
    refs = git("--git-dir", str(repo), "for-each-ref")
    objects = sorted(p.relative_to(repo).as_posix() for p in (repo / "objects").rglob("*"))
    return refs, "\n".join(objects).encode()


def test_ingest_the_seed_article_as_is(home: Path) -> None:
    result = run_cli(home, "ingest", str(SEED))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("saved newschina-xi-putin-talks revision 1 ")
    shown = run_cli(home, "show", "newschina-xi-putin-talks")
    assert shown.output.startswith(
        "---\ntitle: Presidents Xi and Putin Hold Talks in Beijing\nsource: newschina\n"
        "byline: By NewsChina\nsection: News Brief\nupdated: Apr.1\n"
    )
    assert "Print" not in shown.output.split("---\n\n", 1)[1]
    again = run_cli(home, "ingest", str(SEED))
    assert again.output == "unchanged newschina-xi-putin-talks revision 1\n"


def test_ingest_markdown_and_html(home: Path, tmp_path: Path) -> None:
    md = tmp_path / "story.md"
    md.write_text("---\ntitle: Hello\nsource: paper\n---\n\nWorld.\n")
    assert run_cli(home, "ingest", str(md)).output.startswith("saved story revision 1")
    from .test_article import PAGE

    page = tmp_path / "budget.html"
    page.write_text(PAGE)
    out = run_cli(home, "ingest", str(page), "--source", "example", "--note", "from the web")
    assert out.exit_code == 0, out.output
    shown = run_cli(home, "show", "budget", "1").output
    assert "title: Council Approves the New Budget\n" in shown
    assert "url: https://example.org/news/a-story\n" in shown


def test_import_log_diff(home: Path) -> None:
    result = run_cli(home, "import", str(NEWSROOM))
    assert result.exit_code == 0, result.output
    assert "imported 28 revisions" in result.output
    log = run_cli(home, "log", LIFEBOAT).output.splitlines()
    assert len(log) == 5
    assert log[0].split()[0] == "1"
    diff = run_cli(home, "diff", LIFEBOAT, "1", "2", "--format", "json")
    document = json.loads(diff.output)
    assert document["from"]["revision"] == 1 and document["to"]["revision"] == 2
    assert {"stats", "kind", "fields", "body"} <= document.keys()
    text = run_cli(home, "diff", LIFEBOAT, "--no-color")
    assert text.exit_code == 0
    assert "revision 1" in text.output and "revision 5" in text.output
    assert "[-" in text.output or "{+" in text.output
    with Vault.open(home) as vault:
        assert vault.verify() == []


def test_import_stops_at_a_bad_line_and_keeps_what_came_before(home: Path, tmp_path: Path) -> None:
    lines = newsroom_lines(LIFEBOAT)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([*lines[:3], '{"id": "x", "source": ', *lines[3:]]) + "\n")
    result = run_process(home, "import", str(bad))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: line 4: not valid JSON")
    assert "3 revisions before it were saved" in result.stderr
    assert len(run_cli(home, "log", LIFEBOAT).output.splitlines()) == 3


def test_import_stops_at_a_line_that_is_not_utf8(home: Path, tmp_path: Path) -> None:
    lines = [line.encode() for line in newsroom_lines(LIFEBOAT)]
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\n".join([*lines[:2], '{"id": "caf\u00e9"}'.encode("latin-1"), *lines[2:]]))
    result = run_process(home, "import", str(bad))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: line 3: not UTF-8 text; the 2 revisions before it were saved"
    )
    assert len(run_cli(home, "log", LIFEBOAT).output.splitlines()) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("log", "nope"), "no article with id 'nope'"),
        (("show", "nope"), "no article"),
        (("show", "seed", "7"), "has no revision '7'"),
        (("diff", "seed", "1", "zz"), "has no revision 'zz'"),
        (("ingest", "/no/such/file.txt"), "no such file"),
        (("ingest", "{bin}"), "binary file"),
        (("ingest", "{latin1}"), "not UTF-8"),
        (("ingest", "{empty}"), "no text"),
        (("ingest", "{big}"), "too large"),
        (("ingest", "{dir}"), "not a file"),
        (("ingest", "{ok}", "--id", "Bad Id"), "invalid article id"),
        (("ingest", "{ok}", "--id", "../etc"), "invalid article id"),
        (("ingest", "{ok}", "--source", "a/b"), "invalid source name"),
        (("ingest", "{ok}", "--author", "A\nB"), "invalid author"),
        (("ingest", "{ok}", "--observed", "yesterday"), "invalid --observed"),
        (("ingest", "{odd}"), "unsupported file type"),
        (("import", "{badjson}"), "line 1: field 'title' must be a string"),
        (("import", "{badauthor}"), "line 1: field 'author' must be a string"),
        (("import", "/no/such.jsonl"), "no such file"),
    ],
)
def test_bad_input_gives_one_line_and_changes_nothing(
    home: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "seed.txt").write_text("Seed\n\nText.\n")
    assert run_cli(home, "ingest", str(tmp_path / "seed.txt")).exit_code == 0
    files = {
        "bin": ("a.txt", b"Title\n\n\x00\x01\x02binary"),
        "latin1": ("b.txt", "Titre\n\nCaf\u00e9".encode("latin-1")),
        "empty": ("c.txt", b"   \n\n  \n"),
        "big": ("d.txt", b"Title\n\n" + b"word " * 10_500_000),
        "ok": ("e.txt", b"Title\n\nText."),
        "odd": ("f.pdf", b"%PDF-1.4"),
        "badjson": ("g.jsonl", b'{"id": "x", "source": "s", "title": 3, "body": "b"}\n'),
        "badauthor": (
            "h.jsonl",
            b'{"id": "x", "source": "s", "title": "T", "body": "b", "author": 1}',
        ),
    }
    values = {"dir": str(tmp_path)}
    for key, (name, data) in files.items():
        if any("{" + key + "}" in a for a in args):
            (tmp_path / name).write_bytes(data)
        values[key] = str(tmp_path / name)
    before = _snapshot(home)
    result = run_process(home, *[a.format(**values) for a in args])
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert message in lines[0]
    assert _snapshot(home) == before


def test_usage_errors_exit_2(home: Path) -> None:
    assert run_cli(home, "diff").exit_code == 2
    assert run_cli(home, "no-such-command").exit_code == 2


def test_commands_without_an_archive_say_so(tmp_path: Path) -> None:
    result = run_process(tmp_path / "missing", "log", "x")
    assert result.returncode == 1
    assert "run `versionvault init`" in result.stderr


def test_export_bundle_clones_and_jsonl_round_trips(home: Path, tmp_path: Path) -> None:
    run_cli(home, "ingest", str(SEED))
    run_cli(home, "import", str(NEWSROOM))
    bundle, jsonl = tmp_path / "a.bundle", tmp_path / "a.jsonl"
    assert run_cli(home, "export", "--bundle", str(bundle), "--jsonl", str(jsonl)).exit_code == 0
    clone = tmp_path / "clone"
    git("clone", "-q", str(bundle), str(clone))
    main = git("--git-dir", str(home / "articles.git"), "rev-parse", "main").strip()
    assert git("rev-parse", "HEAD", cwd=clone).strip() == main
    git("fsck", "--strict", cwd=clone)
    other = tmp_path / "other"
    run_cli(other, "init")
    assert run_cli(other, "import", str(jsonl)).exit_code == 0
    trees = [
        git("--git-dir", str(h / "articles.git"), "log", "--format=%T %an %aI", "main")
        for h in (home, other)
    ]
    assert trees[0] == trees[1]


def test_demo_builds_the_sample_archive(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    result = run_cli(home, "demo", "--no-serve")
    assert result.exit_code == 0, result.output
    with Vault.open(home) as vault:
        assert vault.index.counts() == (8, 29)
        assert vault.verify() == []
        assert len(vault.history(LIFEBOAT)) == 5
        assert [e.event for e in vault.events("harbour-lights-festival-lineup")] == ["removed"]
        observed = [parse_time(r.observed) for _, r in vault.recent(limit=100)]
        assert observed == sorted(observed, reverse=True)
    git("--git-dir", str(home / "articles.git"), "fsck", "--strict")
