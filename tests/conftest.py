"""Shared fixtures: a fresh archive in tmp_path, the samples, and a real CLI."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from versionvault.archive import Vault
from versionvault.cli import main

SAMPLES = Path(__file__).resolve().parents[1] / "src" / "versionvault" / "samples"
SEED = SAMPLES / "newschina-xi-putin-talks.txt"
NEWSROOM = SAMPLES / "newsroom.jsonl"


def newsroom_lines(article_id: str = "") -> list[str]:
    """Return the demo newsroom's JSONL lines, of one article if `article_id` is given."""
    lines = NEWSROOM.read_text("utf-8").splitlines()
    return [line for line in lines if not article_id or f'"id": "{article_id}"' in line]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """Return the path of a fresh, initialised archive."""
    path = tmp_path / "archive"
    Vault.init(path).close()
    return path


@pytest.fixture
def vault(home: Path) -> Iterator[Vault]:
    """Return an open vault on a fresh archive."""
    opened = Vault.open(home)
    yield opened
    opened.close()


def run_cli(home: Path, *args: str, input: str | None = None) -> Result:
    """Run the CLI in-process against `home`."""
    return CliRunner().invoke(main, ["--archive", str(home), *args], input=input)


def run_process(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a real process against `home`."""
    return subprocess.run(
        [sys.executable, "-m", "versionvault", "--archive", str(home), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def git(*args: str, cwd: Path | None = None) -> str:
    """Run the real git CLI; return stdout (raises on failure)."""
    done = subprocess.run(
        ["git", *args], capture_output=True, text=True, check=True, cwd=cwd, timeout=300
    )
    return done.stdout
