"""Replica commands: `replica init URL` and `replica sync`, and opening a replica to serve."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from ..archive import StoreError, Vault, VaultError, primary_site
from ..archive.replica import clone, sync
from .group import archive_home, main, open_vault, user_errors


def create_replica(home: Path, url: str) -> Vault:
    """Clone the primary at `url` into a new archive at `home` and index it; return it open."""
    created, had_index = not home.exists(), (home / "index.sqlite3").exists()
    try:
        clone(home, url)
    except (StoreError, VaultError):
        if created:
            shutil.rmtree(home, ignore_errors=True)
        raise
    try:
        return Vault.init(home)
    except (StoreError, VaultError):  # the primary's history is not an archive we can index
        shutil.rmtree(home if created else home / "articles.git", ignore_errors=True)
        if not had_index:
            (home / "index.sqlite3").unlink(missing_ok=True)
        raise


def open_replica(home: Path, url: str) -> Vault:
    """Open the replica of `url` at `home`, making it first if there is no archive there."""
    if not (home / "articles.git").exists():
        return create_replica(home, url)
    vault = Vault.open(home)
    wanted = primary_site(url)
    if vault.primary != wanted:
        vault.close()
        what = f"a replica of {vault.primary}" if vault.primary else "a primary archive"
        raise VaultError(f"the archive at {home} is {what}, not a replica of {wanted}")
    return vault


@main.group()
def replica() -> None:
    """Read-only replicas of a primary archive, kept in sync over git."""


@replica.command("init")
@click.argument("url")
@click.pass_context
@user_errors
def replica_init(ctx: click.Context, url: str) -> None:
    """Clone the primary at URL (its site or its /archive.git) into a new replica."""
    vault = create_replica(archive_home(ctx), url)
    ctx.call_on_close(vault.close)
    articles, revisions = vault.index.counts()
    click.echo(
        f"replica of {vault.primary} at {vault.home}: {articles} articles, {revisions} revisions"
    )


@replica.command("sync")
@click.pass_context
@user_errors
def replica_sync(ctx: click.Context) -> None:
    """Fetch what is new on the primary and catch the index up."""
    vault = open_vault(ctx)
    click.echo(sync(vault.store, vault.index).line())
