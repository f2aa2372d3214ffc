"""Evidence commands: re-extracting kept pages."""

from __future__ import annotations

import click

from ..archive import VaultError
from ..text import check_slug
from ..watch.reextract import reextract as reextract_pages
from .group import main, open_vault, push_mirrors, user_errors


@main.command()
@click.argument("ids", nargs=-1)
@click.option("--source", default="", help="Only the articles of this source.")
@click.pass_context
@user_errors
def reextract(ctx: click.Context, ids: tuple[str, ...], source: str) -> None:
    """Run the current extractor over each article's latest kept page (default: every article).

    Where the text differs, a new revision is saved with Kind: extraction and a note naming
    the extractor: the archive improves without pretending the publisher edited anything.
    """
    if source:
        check_slug(source, "source name")
    vault = open_vault(ctx)
    counts: dict[str, int] = {}
    for outcome in reextract_pages(vault, source, ids):
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        click.echo(outcome.line, err=outcome.status in ("skipped", "unknown"))
    saved, unknown = counts.get("saved", 0), counts.get("unknown", 0)
    click.echo(
        f"re-extracted {sum(counts.values()) - unknown} articles: {saved} saved, "
        f"{counts.get('unchanged', 0)} unchanged, {counts.get('skipped', 0)} skipped"
    )
    if saved:
        push_mirrors(vault)
    if unknown:
        raise VaultError(f"{unknown} of the articles named are not in the archive")
