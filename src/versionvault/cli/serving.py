"""Serving commands: watch, serve and the demo."""

from __future__ import annotations

import copy
import json
from contextlib import nullcontext
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from ..archive import (
    RedactFilter,
    Vault,
    VaultError,
    parse_time,
)
from .group import archive_home, main, open_vault, user_errors
from .notify import alerts_running, base_url_of, deliver_once

_BASE_URL = click.option(
    "--base-url", default="", help="Where readers reach the site, for links in alerts and cards."
)


def _print_round(report: Any) -> None:
    click.echo(report.line())
    for warning in report.warnings:
        click.echo(f"warning: {warning.url or warning.source}: {warning.message}", err=True)


@main.command()
@click.argument("urls", nargs=-1)
@click.option("--once", is_flag=True, help="Run one round and exit (for cron).")
@click.option(
    "--interval", default=900, show_default=True, type=click.IntRange(min=1), help="Seconds."
)
@_BASE_URL
@click.option(
    "--remote",
    metavar="URL",
    help="Save through the write API of the primary at URL; this home keeps only "
    "sources.toml and the watch state.",
)
@click.option("--token", envvar="VERSIONVAULT_TOKEN", help="An editor's token, for --remote.")
@click.pass_context
@user_errors
def watch(
    ctx: click.Context,
    urls: tuple[str, ...],
    once: bool,
    interval: int,
    base_url: str,
    remote: str | None,
    token: str | None,
) -> None:
    """Fetch feeds and pages, archive what changed; with URLs, only those."""
    import asyncio

    from ..watch import RemoteSaver, Watcher

    for url in urls:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise VaultError(f"not an http(s) URL: {url}")
    if token and not remote:
        raise click.UsageError("--token goes with --remote URL")
    if remote and not token:
        raise VaultError("--remote needs an editor's token: --token TOKEN or VERSIONVAULT_TOKEN")
    vault = None if remote else open_vault(ctx)  # a remote watcher's primary sends the alerts
    base = base_url_of(vault, base_url) if vault else ""
    saver = vault or RemoteSaver(remote or "", token or "", archive_home(ctx))
    with Watcher(saver) as watcher:
        if once:
            _print_round(watcher.run_once(urls))
            if vault:
                deliver_once(vault, base)
            return
        try:
            with alerts_running(vault, base) if vault else nullcontext():
                asyncio.run(watcher.run_forever(interval, _print_round, targets=urls))
        except KeyboardInterrupt:
            click.echo("stopped", err=True)


def build_demo(home: Path) -> Vault:
    """Fill an empty archive with the built-in samples; return it."""
    vault = Vault.init(home)
    if vault.index.counts()[1]:
        return vault
    samples = resources.files("versionvault") / "samples"
    with resources.as_file(samples) as folder:
        vault.import_records((folder / "newsroom.jsonl").read_text("utf-8").splitlines())
        for line in (folder / "newsroom-events.jsonl").read_text("utf-8").splitlines():
            event = json.loads(line)
            observed = parse_time(event["observed"])
            vault.record_event(event["id"], event["event"], observed, note=event["note"])
        seed = folder / "newschina-xi-putin-talks.txt"
        vault.save_revision(vault.read_file(seed, source="newschina").article)
    return vault


def log_config() -> dict[str, Any]:
    """Return uvicorn's logging settings with credentials redacted from every line it logs.

    The access log prints each request's query string: a `?access_token=` (refused by the
    API all the same) is written as `?access_token=***`.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": RedactFilter}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact")
    return config


def _serve(vault: Vault, host: str, port: int, base_url: str = "") -> None:
    import uvicorn

    from ..web import PromptH11Protocol, create_app

    click.echo(f"serving {vault.home} at http://{host}:{port}/ (Ctrl+C stops)")
    app = create_app(vault, base_url=base_url_of(vault, base_url))
    alerts = alerts_running(vault, base_url_of(vault, base_url, f"http://{host}:{port}"))
    with nullcontext() if vault.primary else alerts:  # a replica's primary sends the alerts
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            log_config=log_config(),
            proxy_headers=False,
            http=PromptH11Protocol,
        )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--watch", "watching", is_flag=True, help="Also watch the sources, in this process.")
@click.option(
    "--interval", default=900, show_default=True, type=click.IntRange(min=1), help="Seconds."
)
@click.option(
    "--replica",
    "primary",
    metavar="URL",
    help="Serve a read-only replica of the primary at URL (cloned here if need be).",
)
@click.option(
    "--sync-interval",
    default=60,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds between syncs of a --replica.",
)
@_BASE_URL
@click.pass_context
@user_errors
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    watching: bool,
    interval: int,
    primary: str | None,
    sync_interval: int,
    base_url: str,
) -> None:
    """Serve the reading site, the feeds and the JSON API (and watch with --watch); alert."""
    if primary:
        if watching:
            raise VaultError("a replica does not watch: run `watch --remote PRIMARY` beside it")
        _serve_replica(ctx, primary, host, port, sync_interval, base_url)
        return
    vault = open_vault(ctx)
    if not watching:
        _serve(vault, host, port, base_url)
        return
    from ..watch import watch_in_background

    halt = watch_in_background(vault, interval, _print_round)
    try:
        _serve(vault, host, port, base_url)
    finally:
        halt()


def _serve_replica(
    ctx: click.Context, primary: str, host: str, port: int, every: int, base_url: str
) -> None:
    from ..archive.replica import sync_in_background
    from .replicas import open_replica

    vault = open_replica(archive_home(ctx), primary)
    ctx.call_on_close(vault.close)
    click.echo(f"a read-only replica of {vault.primary}, synced every {every} s")
    halt = sync_in_background(vault.store, vault.index, every, lambda line: click.echo(line))
    try:
        _serve(vault, host, port, base_url)
    finally:
        halt()


@main.command()
@click.option("--no-serve", is_flag=True, help="Build the demo archive and exit.")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
@user_errors
def demo(ctx: click.Context, no_serve: bool, host: str, port: int) -> None:
    """Build an archive from the built-in samples, then serve it."""
    vault = build_demo(archive_home(ctx))
    ctx.call_on_close(vault.close)
    articles, revisions = vault.index.counts()
    click.echo(f"demo archive at {vault.home}: {articles} articles, {revisions} revisions")
    if no_serve:
        click.echo("try: versionvault log harbour-board-budget-2026")
        click.echo("     versionvault diff harbour-board-budget-2026")
        return
    _serve(vault, host, port)
