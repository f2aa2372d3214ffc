"""The blame command: which revision gave each block of a revision its wording."""

from __future__ import annotations

import json

import click

from ..archive import blame_of
from .group import main, open_vault, user_errors

_WIDTH = 72


def _line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _WIDTH else flat[: _WIDTH - 1] + "…"


@main.command()
@click.argument("article_id")
@click.argument("rev", default="latest")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@user_errors
def blame(ctx: click.Context, article_id: str, rev: str, fmt: str) -> None:
    """Show which revision gave each block its wording (default: the current revision).

    Each line: the revision that wrote the block, its commit, the revision where the block
    first appeared, and the block's start.
    """
    result = blame_of(open_vault(ctx), article_id, rev)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
        return
    click.echo(f"{article_id}: revision {result.revision.number} ({result.revision.commit[:12]})")
    for block in result.blocks:
        since = f"since {block.first}" if block.first != block.revision else "new"
        click.echo(f"{block.revision:>4} {block.commit[:8]} {since:<10} {_line(block.text)}")
