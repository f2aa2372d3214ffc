"""Tests that nothing the archive accepts can damage it: dates, control characters, identities,
bounded JSON, If-Match: *, unwritable exports, and verify agreeing with `git fsck --strict`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from versionvault.archive import Identity, InvalidInput, Vault, add_editor
from versionvault.archive.commits import NewCommit
from versionvault.archive.revise import now
from versionvault.text import InvalidJson, load_json, make_article, parse_html
from versionvault.web import create_app

from .conftest import git, run_cli

URL = "/api/articles/story/revisions"


def fsck(home: Path) -> subprocess.CompletedProcess[str]:
    """Run the real `git fsck --strict` on an archive."""
    return subprocess.run(
        ["git", "--git-dir", str(home / "articles.git"), "fsck", "--strict"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def tip(home: Path) -> str:
    return git("--git-dir", str(home / "articles.git"), "for-each-ref").strip()


def author_date(home: Path, rev: str = "main") -> str:
    return git("--git-dir", str(home / "articles.git"), "log", "-1", "--format=%aI", rev).strip()


def one_error_line(result: Any) -> str:
    """Assert a CLI result is exit 1 with one `error:` line on stderr; return the line."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return str(lines[0])


def md(tmp_path: Path, name: str, header: str, body: str = "The text.\n") -> Path:
    path = tmp_path / name
    path.write_text(f"---\n{header}---\n\n{body}", "utf-8")
    return path


@pytest.fixture
def api(vault: Vault) -> Iterator[tuple[TestClient, dict[str, str]]]:
    token = add_editor(vault.home / "editors.toml", "ann")
    with TestClient(create_app(vault)) as client:
        yield client, {"Authorization": f"Bearer {token}"}


# -- dates ---------------------------------------------------------------------------------


def test_a_1969_article_keeps_its_date_and_the_commit_falls_back(
    home: Path, tmp_path: Path
) -> None:
    moon = md(
        tmp_path,
        "moon.md",
        "title: Men walk on the Moon\nsource: paper\npublished: 1969-07-20T20:17:00+00:00\n",
    )
    saved = run_cli(home, "ingest", str(moon), "--observed", "2024-07-20T20:17:00+00:00")
    assert saved.exit_code == 0, saved.output
    assert "published: 1969-07-20T20:17:00+00:00\n" in run_cli(home, "show", "moon").output
    assert author_date(home) == "2024-07-20T20:17:00+00:00"
    assert fsck(home).returncode == 0, fsck(home).stderr
    later = md(
        tmp_path, "later.md", "title: Later\nsource: paper\npublished: 2001-02-03T04:05:06+01:00\n"
    )
    assert run_cli(home, "ingest", str(later)).exit_code == 0
    assert author_date(home) == "2001-02-03T04:05:06+01:00"


def test_a_1969_date_from_a_watched_page_is_kept_and_the_commit_is_sound(vault: Vault) -> None:
    page = (
        '<html><head><title>Moon</title><script type="application/ld+json">'
        '{"@type": "NewsArticle", "headline": "Men walk on\\u001b the Moon", '
        '"datePublished": "1969-07-20T20:17:00+00:00"}</script></head><body><article>'
        "<p>Two astronauts walked on the Moon on Sunday, the first people to do so.</p>"
        "<p>They planted a flag and collected rocks for scientists to study back home.</p>"
        "</article></body></html>"
    )
    article = parse_html(page, "moon", "paper", "https://paper.example/moon")
    assert article.published == "1969-07-20T20:17:00+00:00"
    assert article.title == "Men walk on the Moon"  # a page's stray control character is dropped
    observed = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    vault.save_revision(article, observed)
    assert vault.history("moon")[0].archived.startswith("20")
    assert author_date(vault.home) == "2024-05-01T12:00:00+00:00"
    assert fsck(vault.home).returncode == 0
    assert vault.verify() == []


@pytest.mark.parametrize(
    "published",
    [
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-12:00",
        "1969-12-31T23:59:59+00:00",
        "2100-01-01T00:00:00+00:00",
        "1970-01-01T00:00:00+00:00",
        "0001-01-01",
        "9999",
    ],
)
def test_the_api_keeps_any_published_date_and_commits_a_sound_one(
    api: tuple[TestClient, dict[str, str]], vault: Vault, published: str
) -> None:
    client, auth = api
    body = {"title": "T", "body": "Text.", "source": "paper", "published": published}
    response = client.post(URL, json=body, headers=auth)
    assert response.status_code == 201, response.text
    assert f"published: {published}\n" in vault.stored_file(vault.revision("story"))
    archived = datetime.fromisoformat(vault.revision("story").archived)
    assert abs((datetime.fromisoformat(author_date(vault.home)) - archived).total_seconds()) < 5
    assert fsck(vault.home).returncode == 0
    assert vault.verify() == []


@pytest.mark.parametrize(
    ("observed", "message"),
    [
        ("1969-07-20T20:17:00+00:00", "outside the times a commit records"),
        ("1970-01-01T00:00:00Z", "outside the times a commit records"),
        ("2100-01-01T00:00:00+00:00", "outside the times a commit records"),
        ("0001-01-01T00:00:00+01:00", "outside the times a commit records"),
        ("yesterday", "invalid --observed 'yesterday'"),
        ("2024-02-30T00:00:00Z", "invalid --observed"),
    ],
)
def test_an_observed_time_git_cannot_record_is_refused(
    home: Path, tmp_path: Path, observed: str, message: str
) -> None:
    before = tip(home)
    story = md(tmp_path, "story.md", "title: T\nsource: paper\n")
    line = one_error_line(run_cli(home, "ingest", str(story), "--observed", observed))
    assert message in line
    lines = tmp_path / "lines.jsonl"
    record = {"id": "x", "source": "paper", "title": "T", "body": "B.", "observed": observed}
    lines.write_text(json.dumps(record) + "\n")
    assert one_error_line(run_cli(home, "import", str(lines))).startswith("error: line 1: ")
    assert tip(home) == before


# -- single-line fields -------------------------------------------------------------------

BAD_CHARACTERS = ["\x00", "\x1b", "\x7f", "\x01", "\x08"]


@pytest.mark.parametrize("char", BAD_CHARACTERS)
@pytest.mark.parametrize("option", ["--note", "--url", "--author"])
def test_cli_options_refuse_control_characters(
    home: Path, tmp_path: Path, option: str, char: str
) -> None:
    story = md(tmp_path, "story.md", "title: T\nsource: paper\n")
    line = one_error_line(run_cli(home, "ingest", str(story), option, f"a{char}b"))
    assert ("author" if option == "--author" else option[2:]) in line
    assert "control character" in line
    assert tip(home) == ""


@pytest.mark.parametrize(
    "field", ["title", "byline", "url", "section", "summary", "published", "kicker"]
)
def test_md_headers_refuse_control_characters(home: Path, tmp_path: Path, field: str) -> None:
    header = (
        f"title: T\nsource: paper\n{field}: x\x1by\n"
        if field != "title"
        else ("title: T\x1by\nsource: paper\n")
    )
    line = one_error_line(run_cli(home, "ingest", str(md(tmp_path, "s.md", header))))
    assert f"field '{field}' contains a control character (U+001B" in line
    assert tip(home) == ""


@pytest.mark.parametrize("field", ["title", "byline", "url", "note", "summary", "published"])
@pytest.mark.parametrize("value", ["a\x00b", "a\x1bb", "a\x7f", "\ud800", "x\udfffy"])
def test_the_api_refuses_control_characters_and_lone_surrogates(
    api: tuple[TestClient, dict[str, str]], home: Path, field: str, value: str
) -> None:
    client, auth = api
    body = {"title": "T", "body": "Text.", "source": "paper", field: value}
    raw = json.dumps(body)  # ensure_ascii: a lone surrogate travels as its \\u escape
    sent = {**auth, "Content-Type": "application/json"}
    response = client.post(URL, content=raw.encode(), headers=sent)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert field in response.json()["error"]
    assert tip(home) == ""


def test_whitespace_in_a_single_line_field_folds_to_spaces(
    api: tuple[TestClient, dict[str, str]], vault: Vault
) -> None:
    client, auth = api
    body = {"title": "A\tlong\nheadline", "body": "Text.", "source": "paper", "note": "x\r\ny"}
    assert client.post(URL, json=body, headers=auth).status_code == 201
    assert vault.revision("story").title == "A long headline"
    assert vault.revision("story").note == "x y"


def test_a_body_refuses_nul_and_lone_surrogates(
    api: tuple[TestClient, dict[str, str]], home: Path
) -> None:
    client, auth = api
    for body in ("a\x00b", "a\ud800b"):
        payload = json.dumps({"title": "T", "body": body, "source": "paper"})
        sent = {**auth, "Content-Type": "application/json"}
        response = client.post(URL, content=payload.encode(), headers=sent)
        assert response.status_code == 422 and response.json()["field"] == "body"
    assert tip(home) == ""


@pytest.mark.parametrize(
    ("author", "ok"),
    [
        ("Ann Editor <ann@paper.example>", True),
        ("Ann Editor", True),
        ("Ann <>", True),
        ("Ann <ann@paper.example", False),
        ("Ann > Bob", False),
        ("<ann@paper.example>", False),
        ("Ann <a b@paper.example>", False),
        ("Ann <a<b>", False),
        ("Ann\nBob", False),
        ("Ann\x00", False),
        ("\ud800", False),
    ],
)
def test_author_identities_are_what_git_accepts(
    home: Path, tmp_path: Path, author: str, ok: bool
) -> None:
    story = md(tmp_path, "story.md", "title: T\nsource: paper\n")
    result = run_cli(home, "ingest", str(story), "--author", author)
    if ok:
        assert result.exit_code == 0, result.output
        assert fsck(home).returncode == 0
    else:
        assert "invalid author" in one_error_line(result)
        assert tip(home) == ""


# -- bounded JSON --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[" * 1000 + "]" * 1000, "nested 1000 deep"),
        ('{"title": ' + "[" * 100_000, "nested 100001 deep"),
        ('{"title": "T", "body": "B", "n": ' + "9" * 5000 + "}", "5000 digits"),
        ('{"title": "T", "body": "B", "n": 1.' + "5" * 30 + "}", "31 digits"),
        ('{"title": NaN}', "NaN is not a JSON value"),
        ('{"title": -Infinity}', "-Infinity is not a JSON value"),
        ('{"title": "\\ud800", ', "not valid JSON"),
        ('{"title": "\xff"}', "not UTF-8"),
    ],
)
def test_the_api_bounds_json_bodies(
    api: tuple[TestClient, dict[str, str]], home: Path, raw: str, message: str
) -> None:
    client, auth = api
    sent = {**auth, "Content-Type": "application/json"}
    data = raw.encode("latin-1") if "\xff" in raw else raw.encode()
    response = client.post(URL, content=data, headers=sent)
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]
    assert tip(home) == ""


def test_load_json_counts_brackets_outside_strings_only() -> None:
    assert load_json(
        '{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ \\" {{{{{{{{{{{{{{{{{{{{{{"}'
    )
    assert load_json("[" * 20 + "]" * 20) == eval("[" * 20 + "]" * 20)
    with pytest.raises(InvalidJson, match="nested 21 deep"):
        load_json("[" * 21 + "]" * 21)
    assert load_json('{"n": -12345678901234567890}') == {"n": -12345678901234567890}


def test_import_lines_are_bounded_json(home: Path, tmp_path: Path) -> None:
    lines = tmp_path / "deep.jsonl"
    lines.write_text('{"id": "x", "source": "s", "title": ' + "[" * 1000 + "\n")
    assert "nested 1001 deep" in one_error_line(run_cli(home, "import", str(lines)))
    lines.write_text(
        '{"id": "x", "source": "s", "title": "T", "body": "B", "n": 1' + "0" * 5000 + "}\n"
    )
    assert "5001 digits" in one_error_line(run_cli(home, "import", str(lines)))
    lines.write_text('{"id": "x", "source": "s", "title": "\\ud800", "body": "B"}\n')
    assert "lone surrogate" in one_error_line(run_cli(home, "import", str(lines)))
    assert tip(home) == ""


# -- If-Match ------------------------------------------------------------------------------


def test_if_match_star_means_any_current_revision(
    api: tuple[TestClient, dict[str, str]], home: Path
) -> None:
    client, auth = api
    body = {"title": "T", "body": "First.", "source": "paper"}
    missing = client.post(URL, json=body, headers={**auth, "If-Match": "*"})
    assert missing.status_code == 412 and missing.json()["error"]
    assert tip(home) == ""
    assert client.post(URL, json=body, headers=auth).status_code == 201
    again = client.post(URL, json={**body, "body": "Second."}, headers={**auth, "If-Match": "*"})
    assert again.status_code == 201 and again.json()["revision"] == 2
    stale = client.post(
        URL, json={**body, "body": "Third."}, headers={**auth, "If-Match": "0" * 40}
    )
    assert stale.status_code == 409


# -- export --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("--bundle", "/nonexistent/dir/x.bundle"),
        ("--jsonl", "/proc/version"),
        ("--jsonl", "/nonexistent/dir/x.jsonl"),
    ],
)
def test_export_to_an_unwritable_path_is_one_line(
    home: Path, tmp_path: Path, args: tuple[str, str]
) -> None:
    story = md(tmp_path, "story.md", "title: T\nsource: paper\n")
    assert run_cli(home, "ingest", str(story)).exit_code == 0
    line = one_error_line(run_cli(home, "export", *args))
    assert line.startswith(f"error: cannot write {args[1]}: ")


# -- a stored article from before: read leniently -----------------------------------------


def test_an_older_archive_with_control_characters_stays_readable(vault: Vault) -> None:
    article = make_article(id="old", source="paper", title="Old", body="Text.")
    vault.save_revision(article)
    stored = "---\ntitle: Old\x1b title\nsource: paper\n---\n\nText.\n"
    path = str(vault.index.path_of("old"))  # the day it was first seen
    message = f"old: revision 2\n\n+0 -0 words\n\nArticle: old\nSource: paper\nPath: {path}\n"
    with vault.store.transaction() as txn:
        txn.add(NewCommit(path, stored, Identity.parse("paper"), now(), now(), message))
    with Vault.open(vault.home) as again:
        assert again.text(again.revision("old", 2)).title == "Old\x1b title"
        assert again.verify() == []


def test_an_event_refuses_what_a_commit_cannot_carry(vault: Vault) -> None:
    vault.save_revision(make_article(id="story", source="paper", title="T", body="Text."))
    before = vault.store.tip()
    with pytest.raises(InvalidInput, match="observed time 1969"):
        vault.record_event("story", "removed", datetime(1969, 7, 20, tzinfo=UTC))
    with pytest.raises(InvalidInput, match="field 'note' contains a control character"):
        vault.record_event("story", "removed", note="gone\x00")
    assert vault.store.tip() == before
    vault.record_event("story", "removed", note="HTTP 410")
    assert fsck(vault.home).returncode == 0 and vault.verify() == []
