"""Maintenance commands: reindex, verify, export, editors, mirrors and gc."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click

from ..archive import (
    VaultError,
    add_editor,
    add_mirror,
    load_editors,
    load_sources,
    pack_count,
    push,
    redact,
    repack,
    repo_size,
    revoke_editor,
    write_bundle_file,
)
from ..archive.warc_export import write_warc
from .group import archive_home, fail, main, open_vault, user_errors


@main.command()
@click.pass_context
@user_errors
def reindex(ctx: click.Context) -> None:
    """Rebuild the index from git alone."""
    vault = open_vault(ctx, catch_up=False)  # not first what the rebuild does again
    with _bar(vault.index.counts()[1], "reindexing") as bar:
        count = vault.reindex(bar.update)
    click.echo(f"indexed {count} revisions")


def _bar(length: int, label: str) -> Any:
    """A progress bar with an ETA on a terminal's stderr (none elsewhere)."""
    hidden = not sys.stderr.isatty()
    return click.progressbar(length=length, label=label, file=sys.stderr, hidden=hidden)


@main.command()
@click.pass_context
@user_errors
def verify(ctx: click.Context) -> None:
    """Check every git object, and that git and the index agree."""
    vault = open_vault(ctx)
    with _bar(vault.index.counts()[1], "verifying") as bar:
        problems = vault.verify(bar.update)
    for problem in problems:
        click.echo(problem, err=True)
    articles, revisions = vault.index.counts()
    if problems:
        fail(f"{len(problems)} problems found")
    click.echo(f"ok: {articles} articles, {revisions} revisions; git and the index agree")


@main.command()
@click.option(
    "--bundle", type=click.Path(dir_okay=False, path_type=Path), help="Write a git bundle."
)
@click.option("--jsonl", type=click.Path(dir_okay=False, path_type=Path), help="Write JSONL.")
@click.option(
    "--warc",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every captured page as a WARC record (.warc.gz: compressed).",
)
@click.pass_context
@user_errors
def export(ctx: click.Context, bundle: Path | None, jsonl: Path | None, warc: Path | None) -> None:
    """Export the archive as a git bundle, JSONL in the import format, and/or WARC."""
    if not bundle and not jsonl and not warc:
        raise click.UsageError("give --bundle FILE, --jsonl FILE and/or --warc FILE")
    vault = open_vault(ctx)
    if warc:
        count = write_warc(vault, warc)
        click.echo(f"wrote {warc}: {count} captured pages")
    if bundle:
        write_bundle_file(vault.store, bundle)
        click.echo(f"wrote {bundle}")
    if jsonl:
        tmp = jsonl.with_name(jsonl.name + ".tmp")
        try:
            with tmp.open("w", encoding="utf-8") as out:
                for line in vault.export_jsonl():
                    out.write(line + "\n")
            tmp.replace(jsonl)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise VaultError(f"cannot write {jsonl}: {exc.strerror or exc}") from None
        click.echo(f"wrote {jsonl}")


@main.group()
def editor() -> None:
    """Manage editors and their API tokens (editors.toml)."""


@editor.command("add")
@click.argument("name")
@click.pass_context
@user_errors
def editor_add(ctx: click.Context, name: str) -> None:
    """Add an editor and print their new token (shown only this once)."""
    token = add_editor(open_vault(ctx).home / "editors.toml", name)
    click.echo(f"editor {name} added; their token (stored only as a SHA-256 hash):")
    click.echo(token)


@editor.command("list")
@click.pass_context
@user_errors
def editor_list(ctx: click.Context) -> None:
    """List editors and whether their token is active."""
    for item in load_editors(archive_home(ctx) / "editors.toml").values():
        state = f"revoked {item.revoked}" if item.revoked else "active"
        click.echo(f"{item.name}\tadded {item.added}\t{state}")


@editor.command("revoke")
@click.argument("name")
@click.pass_context
@user_errors
def editor_revoke(ctx: click.Context, name: str) -> None:
    """Revoke an editor's token."""
    revoked = revoke_editor(open_vault(ctx).home / "editors.toml", name)
    click.echo(f"editor {revoked.name} revoked at {revoked.revoked}")


@main.group()
def mirror() -> None:
    """Push the archive to other Git remotes."""


@mirror.command("push")
@click.argument("remote", required=False)
@click.pass_context
@user_errors
def mirror_push(ctx: click.Context, remote: str | None) -> None:
    """Push main to REMOTE (a Git URL or a bare repository's path), or to every mirror."""
    vault = open_vault(ctx)
    remotes = [remote] if remote else list(vault.sources.mirrors)
    if not remotes:
        raise VaultError("no mirrors configured: give a REMOTE or add one with `mirror add`")
    for target in remotes:
        push(vault.store, target)
        click.echo(f"pushed main {vault.store.tip()} to {redact(target)}")


@mirror.command("add")
@click.argument("remote")
@click.pass_context
@user_errors
def mirror_add(ctx: click.Context, remote: str) -> None:
    """Add a mirror, pushed after every ingest, import and watch round that saved."""
    settings = add_mirror(open_vault(ctx).home / "sources.toml", remote)
    click.echo(f"{len(settings.mirrors)} mirrors: {', '.join(map(redact, settings.mirrors))}")


@mirror.command("list")
@click.pass_context
@user_errors
def mirror_list(ctx: click.Context) -> None:
    """List the mirrors."""
    for remote in load_sources(archive_home(ctx) / "sources.toml").mirrors:
        click.echo(redact(remote))


@main.command()
@click.option("--full", is_flag=True, help="Repack everything with a wide delta search.")
@click.pass_context
@user_errors
def gc(ctx: click.Context, full: bool) -> None:
    """Repack what is new: loose objects and small packs (needs the git binary)."""
    vault = open_vault(ctx)
    before, packs = repo_size(vault.store), pack_count(vault.store)
    repack(vault.store, full=full)
    after, now = repo_size(vault.store), pack_count(vault.store)
    click.echo(f"repacked: {before / 1e6:.2f} MB -> {after / 1e6:.2f} MB, {packs} -> {now} packs")
