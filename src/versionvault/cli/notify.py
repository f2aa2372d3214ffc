"""Alert commands: `notify add`, `list`, `remove` and `test` (rules kept in sources.toml)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from ..archive import (
    Message,
    Notifier,
    Options,
    Rule,
    Vault,
    add_rule,
    load_rules,
    notify_in_background,
    remove_rule,
    send,
    site_base_url,
    start_queue,
)
from ..archive.notify import KINDS, find_rule
from .group import archive_home, fail, main, open_vault, user_errors


@main.group("notify")
def notify_group() -> None:
    """Send alerts of saved revisions through Apprise URLs (ntfy, e-mail, Matrix, webhooks...)."""


@notify_group.command("add")
@click.argument("url")
@click.option("--source", default="", help="Only revisions of this source.")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(KINDS),
    help="Only these kinds (repeatable).",
)
@click.option("--headline", is_flag=True, help="Only revisions that changed the headline.")
@click.option(
    "--min", "min_words", default=0, type=click.IntRange(min=0), help="At least WORDS words +/-."
)
@click.pass_context
@user_errors
def notify_add(
    ctx: click.Context,
    url: str,
    source: str,
    kinds: tuple[str, ...],
    headline: bool,
    min_words: int,
) -> None:
    """Alert URL of every saved revision that matches the filters (all must match)."""
    vault = open_vault(ctx)
    rule = add_rule(vault.home / "sources.toml", Rule(url, source, kinds, headline, min_words))
    start_queue(vault)
    click.echo(f"alerts to {rule.shown}: {rule.filters() or 'every revision'}")


@notify_group.command("list")
@click.pass_context
@user_errors
def notify_list(ctx: click.Context) -> None:
    """List the alert rules, numbered, their secrets masked."""
    for number, rule in enumerate(load_rules(archive_home(ctx) / "sources.toml"), 1):
        click.echo(f"{number}\t{rule.shown}\t{rule.filters() or 'every revision'}")


@notify_group.command("remove")
@click.argument("which")
@click.pass_context
@user_errors
def notify_remove(ctx: click.Context, which: str) -> None:
    """Remove the rule WHICH: its number in `notify list`, or its URL."""
    gone = remove_rule(archive_home(ctx) / "sources.toml", which)
    click.echo(f"removed alerts to {gone.shown}")


@notify_group.command("test")
@click.argument("which", required=False)
@click.pass_context
@user_errors
def notify_test(ctx: click.Context, which: str | None) -> None:
    """Send a test message to every rule's target, or to the rule WHICH."""
    rules = load_rules(archive_home(ctx) / "sources.toml")
    if which is not None:
        rules = [rules[find_rule(rules, which)]]
    if not rules:
        fail("no alert rules: add one with `versionvault notify add URL`")
    message = Message("VersionVault: test alert", "Alerts of new revisions will look like this.")
    failed = 0
    for rule in rules:
        error = send(rule.url, message)
        failed += bool(error)
        click.echo(f"failed: {rule.shown}: {error}" if error else f"sent: {rule.shown}")
    if failed:
        fail(f"{failed} of {len(rules)} targets failed")


def base_url_of(vault: Vault, given: str, fallback: str = "") -> str:
    """Return the site's public address: --base-url, else `[site] base_url`, else `fallback`."""
    return (given or site_base_url(vault.home / "sources.toml") or fallback).rstrip("/")


@contextmanager
def alerts_running(vault: Vault, base_url: str) -> Iterator[None]:
    """Deliver alerts on a background thread for as long as the block runs."""
    halt = notify_in_background(vault, Options(base_url=base_url))
    try:
        yield
    finally:
        halt()


def deliver_once(vault: Vault, base_url: str) -> None:
    """Queue and try the alerts of revisions saved since the last time (for `watch --once`)."""
    notifier = Notifier(vault, Options(base_url=base_url))
    with notifier.exclusive() as mine:
        if mine:
            notifier.step()
