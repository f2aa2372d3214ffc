"""Group: the `versionvault` command group and the helpers its commands share."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from ..archive import (
    DiskFull,
    EditorError,
    StoreError,
    Vault,
    VaultError,
    default_home,
)
from ..text import InvalidArticle

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def user_errors(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = func(*args, **kwargs)
            warn_if_behind()
            return result
        except (VaultError, InvalidArticle, StoreError, EditorError) as exc:
            fail(str(exc))
        except OSError as exc:  # a full disk, a folder that cannot be written...
            full = exc if isinstance(exc, DiskFull) else DiskFull.of(exc, "free some space first")
            fail(str(full) if full else f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))

    return wrapper  # type: ignore[return-value]


def archive_home(ctx: click.Context) -> Path:
    return Path(ctx.obj["archive"])


def open_vault(ctx: click.Context, create: bool = False, catch_up: bool = True) -> Vault:
    home = archive_home(ctx)
    vault = Vault.init(home) if create else Vault.open(home, catch_up)
    ctx.call_on_close(vault.close)
    ctx.meta["vault"] = vault
    return vault


def warn_if_behind() -> None:
    """After a command that worked: say so if the index could not show all of git."""
    vault = click.get_current_context().meta.get("vault")
    if vault is not None and vault.index_behind:
        click.echo(
            "warning: no space left on device to update the index: the newest revisions are "
            "in git but not shown yet (the index catches up when there is room)",
            err=True,
        )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--archive",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="VERSIONVAULT_ARCHIVE",
    default=default_home,
    show_default="./archive",
    help="The archive home.",
)
@click.version_option(package_name="versionvault")
@click.pass_context
def main(ctx: click.Context, archive: Path) -> None:
    """VersionVault: every version of a news article, kept in Git."""
    ctx.obj = {"archive": archive}


def push_mirrors(vault: Vault) -> None:
    for failure in vault.push_mirrors():
        click.echo(f"warning: {failure}", err=True)
