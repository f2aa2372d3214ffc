"""Property tests over every write path: a clean refusal that changes nothing, or a revision
after which `git fsck --strict` is clean and `verify` finds no problem."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from versionvault.archive import Vault, add_editor
from versionvault.text import normalize_line
from versionvault.web import create_app

from .conftest import git, run_cli

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# The cases a hostile probe found, then anything at all.
DATES = st.one_of(
    st.sampled_from(
        [
            "1969-07-20T20:17:00+00:00",
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00+00:00",
            "0001-01-01T00:00:00+01:00",
            "0001-01-01",
            "9999-12-31T23:59:59-12:00",
            "9999-12-31T23:59:59+14:00",
            "2099-12-31T23:59:59+00:00",
            "2100-01-01T00:00:00+00:00",
            "2024-03-01T12:00:00+01:00",
            "2024-03-01T12:00:00+01:00:30",
            "2024-02-30",
            "Apr.1",
            "",
        ]
    ),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.text(max_size=30),
)
LINES = st.one_of(
    st.sampled_from(
        [
            "ok",
            "a\x00b",
            "a\x1bb",
            "\x7f",
            "\ud800",
            "x\udfffy",
            "a\nb",
            "\t",
            " ",
            "",
            "\x1c",
            "é\u0301",
            "<a@b>",
            "a > b",
        ]
    ),
    st.text(max_size=40),
    st.text(st.characters(exclude_categories=()), max_size=20),  # surrogates, controls: all
)
# Times a commit can record, with offsets in whole minutes.
FAIR_TIMES = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2099, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
    ),
).map(lambda moment: moment.replace(microsecond=0).isoformat())
# Text a careful user would send: printable, no control characters or lone surrogates.
FINE = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30)
# A field value: fine more often than not, hostile often enough.
VALUES = st.one_of(FINE, FINE, FINE, DATES, LINES)
SLUGS = st.one_of(st.sampled_from(["story", "paper", "Bad_Id", "", "a--b"]), st.text(max_size=12))
FIELDS = ("title", "byline", "url", "section", "published", "updated", "summary", "note")


def fsck_clean(home: Path) -> None:
    done = subprocess.run(
        ["git", "--git-dir", str(home / "articles.git"), "fsck", "--strict"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def tip(home: Path) -> str:
    return git("--git-dir", str(home / "articles.git"), "for-each-ref").strip()


def assert_sound(home: Path) -> None:
    fsck_clean(home)
    with Vault.open(home) as vault:
        assert vault.verify() == []


def assert_cli_outcome(result: Any, home: Path, before: str) -> bool:
    """Assert exit 0, or exit 1 with one `error:` line and no change; return True if saved."""
    if result.exit_code == 0:
        event("saved" if tip(home) != before else "unchanged")
        return tip(home) != before
    event("refused")
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert tip(home) == before
    return False


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One archive that examples of a test pile up in; checked whole at the end."""
    home = tmp_path_factory.mktemp("props") / "archive"
    Vault.init(home).close()
    yield home


# -- the write API -------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), LINES, DATES),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(LINES, inner, max_size=3),
    max_leaves=6,
)
WORDS = st.text(st.sampled_from("abcdefghij "), min_size=1, max_size=40).map(lambda t: t + ".")
# Mostly sound revisions with one or two hostile fields among them.
FAIR_BODIES = st.fixed_dictionaries(
    {"title": st.just("A headline"), "body": WORDS, "source": st.just("paper")},
    optional={name: VALUES for name in FIELDS if name != "title"},
).map(lambda d: json.dumps(d).encode())
BODIES = st.one_of(
    FAIR_BODIES,
    FAIR_BODIES,
    st.fixed_dictionaries(
        {"title": LINES, "body": st.one_of(LINES, st.text(max_size=200))},
        optional={
            **{name: st.one_of(LINES, DATES) for name in FIELDS if name != "title"},
            "source": st.one_of(st.just("paper"), SLUGS),
        },
    ).map(lambda d: json.dumps(d).encode()),
    st.dictionaries(st.one_of(st.sampled_from(FIELDS), LINES), JSON_VALUES, max_size=4).map(
        lambda d: json.dumps(d).encode()
    ),
    st.sampled_from(
        [
            b"[" * 1000 + b"]" * 1000,
            b'{"title": ' + b"[" * 5000,
            b'{"title": "T", "body": "B", "n": ' + b"7" * 5000 + b"}",
            b'{"title": "\\ud800", "body": "B", "source": "paper"}',
            b'{"title": "T", "body": "B", "source": "paper", "published": "0001-01-01T00:00+01"}',
            b'{"title": "T", "body": "B", "source": "paper", "updated": "9999-12-31T23:59-12:00"}',
            b'{"title": "T", "body": "B", "source": "paper", "note": "a\\u0000b"}',
            b'{"title": NaN, "body": "B"}',
            b"\xff\xfe",
            b"",
        ]
    ),
    st.binary(max_size=60),
)


@SETTINGS
@given(
    article_id=st.one_of(st.just("story"), st.just("other"), SLUGS),
    raw=BODIES,
    if_match=st.one_of(st.none(), st.none(), st.none(), st.sampled_from(["*", "0" * 40, 'W/"x"'])),
)
def test_the_write_api_refuses_cleanly_or_saves_a_sound_revision(
    shared: Path, article_id: str, raw: bytes, if_match: str | None
) -> None:
    with Vault.open(shared) as vault:
        editors = vault.home / "editors.toml"
        token = (
            (editors.parent / "token").read_text() if (editors.parent / "token").exists() else ""
        )
        if not token:
            token = add_editor(editors, "ann")
            (editors.parent / "token").write_text(token)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if if_match:
            headers["If-Match"] = if_match
        before = tip(shared)
        with TestClient(create_app(vault), raise_server_exceptions=True) as client:
            quoted = quote(article_id.encode("utf-8", "surrogatepass"), safe="")
            path = f"/api/articles/{quoted}/revisions"
            response = client.post(path, content=raw, headers=headers)
    assert response.status_code < 500, response.text
    event(f"HTTP {response.status_code}")
    assert response.headers["content-type"] == "application/json"
    if response.status_code >= 400:
        assert isinstance(response.json()["error"], str) and response.json()["error"]
        assert "\n" not in response.json()["error"]
        assert tip(shared) == before
    elif response.status_code == 201:
        assert tip(shared) != before


def test_the_write_api_archive_is_sound_at_the_end(shared: Path) -> None:
    assert_sound(shared)


# -- import lines --------------------------------------------------------------------------

RECORDS = st.fixed_dictionaries(
    {
        "id": st.one_of(st.just("imported"), st.just("imported"), st.just("other"), SLUGS),
        "source": st.just("paper"),
        "title": st.one_of(FINE, FINE, FINE, LINES),
        "body": st.one_of(WORDS, WORDS, WORDS, LINES, st.text(max_size=100)),
    },
    optional={
        **{name: VALUES for name in FIELDS if name != "title"},
        "observed": st.one_of(FAIR_TIMES, FAIR_TIMES, DATES),
        "author": st.one_of(FINE, LINES),
    },
)
IMPORT_LINES = st.one_of(
    RECORDS.map(json.dumps),
    RECORDS.map(json.dumps),
    st.sampled_from(
        [
            '{"id": "x", "source": "s", "title": ' + "[" * 1000,
            '{"id": "x", "source": "s", "title": "T", "body": "B", "n": ' + "1" * 5000 + "}",
            '{"id": "x", "source": "s", "title": "T", "body": "B", "observed": "1969-01-01"}',
            '{"id": "x", "source": "s", "title": "T", "body": "B", "note": "\\u001b"}',
        ]
    ),
)


@SETTINGS
@given(lines=st.lists(IMPORT_LINES, min_size=1, max_size=2))
def test_import_refuses_cleanly_or_saves_sound_revisions(
    shared: Path, tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    path = tmp_path_factory.mktemp("lines") / "lines.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8", errors="surrogatepass")
    before = tip(shared)
    result = run_cli(shared, "import", str(path))
    event(f"exit {result.exit_code}")
    if result.exit_code == 0:
        return
    assert result.exit_code == 1, (result.output, result.exception)
    message = result.stderr.strip().splitlines()
    assert len(message) == 1 and message[0].startswith("error: line "), result.stderr
    if "nothing was saved" in message[0]:
        assert tip(shared) == before


def test_the_import_archive_is_sound_at_the_end(shared: Path) -> None:
    assert_sound(shared)


# -- .md headers and CLI ingest options ---------------------------------------------------

HEADER_KEYS = st.one_of(
    st.sampled_from([*FIELDS[:-1], "kicker", "section"]),
    st.sampled_from([*FIELDS[:-1], "kicker", "section"]),
    st.sampled_from(["source", "Bad Key", "a:b", ""]),
    LINES,
)


@SETTINGS
@given(
    header=st.lists(st.tuples(HEADER_KEYS, VALUES), max_size=4),
    body=st.one_of(WORDS, WORDS, LINES, st.text(max_size=100)),
)
def test_md_headers_refuse_cleanly_or_save_a_sound_revision(
    shared: Path, tmp_path_factory: pytest.TempPathFactory, header: list[tuple[str, str]], body: str
) -> None:
    lines = ["title: Headed", "source: paper", *(f"{k}: {v}" for k, v in header)]
    path = tmp_path_factory.mktemp("md") / "headed.md"
    path.write_bytes(
        ("---\n" + "\n".join(lines) + "\n---\n\n" + body).encode("utf-8", "surrogatepass")
    )
    before = tip(shared)
    result = run_cli(shared, "ingest", str(path))
    if assert_cli_outcome(result, shared, before):
        stored = run_cli(shared, "show", "headed").output
        for key, value in dict(header).items():
            if key in ("published", "updated") and normalize_line(value):
                assert f"\n{key}: {normalize_line(value)}\n" in stored  # kept as given


@SETTINGS
@given(
    note=VALUES,
    author=st.one_of(st.just(""), VALUES, st.sampled_from(["Ann <ann@x>", "Ann <a b>", "<x>"])),
    url=st.one_of(st.just(""), VALUES),
    observed=st.one_of(st.just(""), FAIR_TIMES, DATES),
    article_id=st.one_of(st.just(""), st.just(""), SLUGS),
    source=st.one_of(st.just(""), st.just(""), SLUGS),
)
def test_cli_ingest_options_refuse_cleanly_or_save_a_sound_revision(
    shared: Path,
    tmp_path_factory: pytest.TempPathFactory,
    note: str,
    author: str,
    url: str,
    observed: str,
    article_id: str,
    source: str,
) -> None:
    path = tmp_path_factory.mktemp("txt") / "optioned.txt"
    path.write_text(f"A headline\n\nThe text, written at {note!r}.\n", "utf-8", "surrogatepass")
    options = {
        "--note": note,
        "--author": author,
        "--url": url,
        "--observed": observed,
        "--id": article_id,
        "--source": source,
    }
    args = [item for key, value in options.items() if value for item in (key, value)]
    before = tip(shared)
    assert_cli_outcome(run_cli(shared, "ingest", str(path), *args), shared, before)


def test_the_ingest_archive_is_sound_at_the_end(shared: Path) -> None:
    assert_sound(shared)
