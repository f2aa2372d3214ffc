"""Group: the `versionvault` command group and the helpers its commands share."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from ..archive import (
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
            return func(*args, **kwargs)
        except (VaultError, InvalidArticle, StoreError, EditorError) as exc:
            fail(str(exc))

    return wrapper  # type: ignore[return-value]


def archive_home(ctx: click.Context) -> Path:
    return Path(ctx.obj["archive"])


def open_vault(ctx: click.Context, create: bool = False) -> Vault:
    vault = Vault.init(archive_home(ctx)) if create else Vault.open(archive_home(ctx))
    ctx.call_on_close(vault.close)
    return vault


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
