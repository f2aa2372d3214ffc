"""Command line: `versionvault`, a click front end over the vault."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from functools import wraps
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click

from .article import InvalidArticle, check_slug
from .bulk import parse_time
from .diff import render_text
from .editors import EditorError, add_editor, load_editors, revoke_editor
from .settings import add_mirror, add_source, load_sources
from .store import StoreError
from .vault import Vault, VaultError, default_home

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _user_errors(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (VaultError, InvalidArticle, StoreError, EditorError) as exc:
            _fail(str(exc))

    return wrapper  # type: ignore[return-value]


def _home(ctx: click.Context) -> Path:
    return Path(ctx.obj["archive"])


def _vault(ctx: click.Context, create: bool = False) -> Vault:
    vault = Vault.init(_home(ctx)) if create else Vault.open(_home(ctx))
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


@main.command()
@click.pass_context
@_user_errors
def init(ctx: click.Context) -> None:
    """Create an empty archive (does nothing if one exists)."""
    vault = _vault(ctx, create=True)
    articles, revisions = vault.index.counts()
    click.echo(f"archive at {vault.home}: {articles} articles, {revisions} revisions")


@main.group()
def source() -> None:
    """Manage sources (sources.toml)."""


@source.command("add")
@click.argument("name")
@click.option("--feed", "feeds", multiple=True, help="An RSS or Atom feed URL.")
@click.option("--page", "pages", multiple=True, help="An article page URL to watch.")
@click.option("--domain", "domains", multiple=True, help="A domain whose URLs belong here.")
@click.option("--rate", type=float, help="At most this many requests a minute per domain.")
@click.option("--user-agent", help="The User-Agent header to send.")
@click.option("--selector", help="CSS selector of the article body.")
@click.option("--furniture", multiple=True, help="A regex for paragraphs to drop (repeatable).")
@click.option("--quiet-days", type=float, help="Warn when nothing new came for this long.")
@click.pass_context
@_user_errors
def source_add(
    ctx: click.Context,
    name: str,
    feeds: tuple[str, ...],
    pages: tuple[str, ...],
    domains: tuple[str, ...],
    furniture: tuple[str, ...],
    rate: float | None,
    user_agent: str | None,
    selector: str | None,
    quiet_days: float | None,
) -> None:
    """Add a source, or add feeds and pages to one (other options replace its settings)."""
    check_slug(name, "source name")
    vault = _vault(ctx)
    options = {"rate": rate, "user_agent": user_agent, "selector": selector}
    added = add_source(
        vault.home / "sources.toml",
        name,
        feeds,
        pages,
        domains,
        furniture,
        quiet_days=quiet_days,
        **options,
    )
    click.echo(f"source {added.name}: {len(added.feeds)} feeds, {len(added.pages)} pages")


@source.command("list")
@click.pass_context
@_user_errors
def source_list(ctx: click.Context) -> None:
    """List the sources."""
    settings = load_sources(_home(ctx) / "sources.toml")
    for item in settings.sources.values():
        click.echo(
            f"{item.name}\t{len(item.feeds)} feeds\t{len(item.pages)} pages\t{item.rate:g}/min"
        )


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--id", "article_id", default="", help="Article id (default: from the file name).")
@click.option("--source", default="", help="Source name (default: guessed, else 'local').")
@click.option("--url", default="", help="The article's URL.")
@click.option("--observed", default="", help="When this text was seen (ISO 8601).")
@click.option("--note", default="", help="A note for the history.")
@click.option("--author", default="", help="Who made the change: 'Name <email>'.")
@click.pass_context
@_user_errors
def ingest(
    ctx: click.Context,
    file: Path,
    article_id: str,
    source: str,
    url: str,
    observed: str,
    note: str,
    author: str,
) -> None:
    """Archive FILE (.txt, .md or .html) as a revision."""
    vault = _vault(ctx)
    article = vault.read_file(file, article_id, source, url)
    moment = parse_time(observed, "--observed") if observed else None
    result = vault.save_revision(article, moment, note, author)
    click.echo(result.line())
    if result.status == "saved":
        _push_mirrors(vault)


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from handle


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_context
@_user_errors
def import_(ctx: click.Context, file: Path) -> None:
    """Bulk-import revisions from a JSONL file, one revision a line."""
    if not file.is_file():
        raise VaultError(f"{file}: no such file")
    vault = _vault(ctx)
    with file.open("rb") as handle:
        total = sum(1 for _ in handle)
    with click.progressbar(
        length=total, label="importing", file=sys.stderr, hidden=not sys.stderr.isatty()
    ) as bar:
        saved, unchanged = vault.import_records(_lines(file), progress=bar.update)
    click.echo(f"imported {saved} revisions ({unchanged} unchanged)")
    if saved:
        _push_mirrors(vault)


@main.command()
@click.argument("article_id")
@click.pass_context
@_user_errors
def log(ctx: click.Context, article_id: str) -> None:
    """List an article's revisions: number, date, words +/-, title, note."""
    for rev in _vault(ctx).history(article_id):
        note = f"  — {rev.note}" if rev.note else ""
        click.echo(
            f"{rev.number:>4}  {rev.commit[:12]}  {rev.archived[:16].replace('T', ' ')}  "
            f"+{rev.words_added:<5} -{rev.words_removed:<5} {rev.kind:<12} {rev.title}{note}"
        )


@main.command()
@click.argument("article_id")
@click.argument("rev", default="latest")
@click.pass_context
@_user_errors
def show(ctx: click.Context, article_id: str, rev: str) -> None:
    """Print the stored file of a revision (default: the latest)."""
    vault = _vault(ctx)
    click.echo(vault.stored_file(vault.revision(article_id, rev)), nl=False)


@main.command()
@click.argument("article_id")
@click.argument("old", default="first")
@click.argument("new", default="latest")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--color/--no-color", default=None, help="Colour the marks (default: on a terminal).")
@click.pass_context
@_user_errors
def diff(
    ctx: click.Context, article_id: str, old: str, new: str, fmt: str, color: bool | None
) -> None:
    """Word diff between two revisions (default: the Old Version to the current one)."""
    result = _vault(ctx).diff(article_id, old, new)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
        return
    use_color = sys.stdout.isatty() if color is None else color
    click.echo(
        f"{article_id}: revision {result.old.number} ({result.old.commit[:12]}) → "
        f"revision {result.new.number} ({result.new.commit[:12]}); {result.words.stats.summary()}"
    )
    click.echo(render_text(result.words, color=use_color), nl=False)


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
@click.pass_context
@_user_errors
def watch(ctx: click.Context, urls: tuple[str, ...], once: bool, interval: int) -> None:
    """Fetch feeds and pages, archive what changed; with URLs, only those."""
    import asyncio

    from .watch import Watcher

    for url in urls:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise VaultError(f"not an http(s) URL: {url}")
    with Watcher(_vault(ctx)) as watcher:
        if once:
            _print_round(watcher.run_once(urls))
            return
        try:
            asyncio.run(watcher.run_forever(interval, _print_round, targets=urls))
        except KeyboardInterrupt:
            click.echo("stopped", err=True)


@main.command()
@click.pass_context
@_user_errors
def reindex(ctx: click.Context) -> None:
    """Rebuild the index from git alone."""
    vault = _vault(ctx)
    count = vault.reindex()
    click.echo(f"indexed {count} revisions")


@main.command()
@click.pass_context
@_user_errors
def verify(ctx: click.Context) -> None:
    """Check every git object, and that git and the index agree."""
    vault = _vault(ctx)
    problems = vault.verify()
    for problem in problems:
        click.echo(problem, err=True)
    articles, revisions = vault.index.counts()
    if problems:
        _fail(f"{len(problems)} problems found")
    click.echo(f"ok: {articles} articles, {revisions} revisions; git and the index agree")


@main.command()
@click.option(
    "--bundle", type=click.Path(dir_okay=False, path_type=Path), help="Write a git bundle."
)
@click.option("--jsonl", type=click.Path(dir_okay=False, path_type=Path), help="Write JSONL.")
@click.pass_context
@_user_errors
def export(ctx: click.Context, bundle: Path | None, jsonl: Path | None) -> None:
    """Export the archive as a git bundle and/or JSONL in the import format."""
    if not bundle and not jsonl:
        raise click.UsageError("give --bundle FILE and/or --jsonl FILE")
    vault = _vault(ctx)
    if bundle:
        vault.store.write_bundle(bundle)
        click.echo(f"wrote {bundle}")
    if jsonl:
        tmp = jsonl.with_name(jsonl.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            for line in vault.export_jsonl():
                out.write(line + "\n")
        tmp.replace(jsonl)
        click.echo(f"wrote {jsonl}")


@main.group()
def editor() -> None:
    """Manage editors and their API tokens (editors.toml)."""


@editor.command("add")
@click.argument("name")
@click.pass_context
@_user_errors
def editor_add(ctx: click.Context, name: str) -> None:
    """Add an editor and print their new token (shown only this once)."""
    token = add_editor(_vault(ctx).home / "editors.toml", name)
    click.echo(f"editor {name} added; their token (stored only as a SHA-256 hash):")
    click.echo(token)


@editor.command("list")
@click.pass_context
@_user_errors
def editor_list(ctx: click.Context) -> None:
    """List editors and whether their token is active."""
    for item in load_editors(_home(ctx) / "editors.toml").values():
        state = f"revoked {item.revoked}" if item.revoked else "active"
        click.echo(f"{item.name}\tadded {item.added}\t{state}")


@editor.command("revoke")
@click.argument("name")
@click.pass_context
@_user_errors
def editor_revoke(ctx: click.Context, name: str) -> None:
    """Revoke an editor's token."""
    revoked = revoke_editor(_vault(ctx).home / "editors.toml", name)
    click.echo(f"editor {revoked.name} revoked at {revoked.revoked}")


@main.group()
def mirror() -> None:
    """Push the archive to other Git remotes."""


@mirror.command("push")
@click.argument("remote", required=False)
@click.pass_context
@_user_errors
def mirror_push(ctx: click.Context, remote: str | None) -> None:
    """Push main to REMOTE (a Git URL or a bare repository's path), or to every mirror."""
    vault = _vault(ctx)
    remotes = [remote] if remote else list(vault.sources.mirrors)
    if not remotes:
        raise VaultError("no mirrors configured: give a REMOTE or add one with `mirror add`")
    for target in remotes:
        vault.store.push(target)
        click.echo(f"pushed main {vault.store.tip()} to {target}")


@mirror.command("add")
@click.argument("remote")
@click.pass_context
@_user_errors
def mirror_add(ctx: click.Context, remote: str) -> None:
    """Add a mirror, pushed after every ingest, import and watch round that saved."""
    settings = add_mirror(_vault(ctx).home / "sources.toml", remote)
    click.echo(f"{len(settings.mirrors)} mirrors: {', '.join(settings.mirrors)}")


@mirror.command("list")
@click.pass_context
@_user_errors
def mirror_list(ctx: click.Context) -> None:
    """List the mirrors."""
    for remote in load_sources(_home(ctx) / "sources.toml").mirrors:
        click.echo(remote)


def _push_mirrors(vault: Vault) -> None:
    for failure in vault.push_mirrors():
        click.echo(f"warning: {failure}", err=True)


@main.command()
@click.pass_context
@_user_errors
def gc(ctx: click.Context) -> None:
    """Repack the repository with deltas (needs the git binary)."""
    vault = _vault(ctx)
    before = vault.store.size()
    vault.store.repack()
    after = vault.store.size()
    click.echo(f"repacked: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")


def build_demo(home: Path) -> Vault:
    """Fill an empty archive with the built-in samples; return it."""
    vault = Vault.init(home)
    if vault.index.counts()[1]:
        return vault
    samples = resources.files("versionvault") / "samples"
    with resources.as_file(samples) as folder:
        lines = [
            line
            for path in sorted(folder.glob("*.jsonl"))
            for line in path.read_text("utf-8").splitlines()
            if line.strip()
        ]
        # the histories interleaved in the order they happened, so archive order is time order
        lines.sort(key=lambda line: parse_time(json.loads(line)["observed"]))
        vault.import_records(lines)
        seed = folder / "newschina-xi-putin-talks.txt"
        vault.save_revision(vault.read_file(seed, source="newschina"))
    return vault


def _serve(vault: Vault, host: str, port: int) -> None:
    import uvicorn

    from .web import create_app

    click.echo(f"serving {vault.home} at http://{host}:{port}/ (Ctrl+C stops)")
    uvicorn.run(create_app(vault), host=host, port=port, log_level="info", proxy_headers=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--watch", "watching", is_flag=True, help="Also watch the sources, in this process.")
@click.option(
    "--interval", default=900, show_default=True, type=click.IntRange(min=1), help="Seconds."
)
@click.pass_context
@_user_errors
def serve(ctx: click.Context, host: str, port: int, watching: bool, interval: int) -> None:
    """Serve the reading site, the feeds and the JSON API (and watch with --watch)."""
    vault = _vault(ctx)
    if not watching:
        _serve(vault, host, port)
        return
    from .watch import watch_in_background

    halt = watch_in_background(vault, interval, _print_round)
    try:
        _serve(vault, host, port)
    finally:
        halt()


@main.command()
@click.option("--no-serve", is_flag=True, help="Build the demo archive and exit.")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
@_user_errors
def demo(ctx: click.Context, no_serve: bool, host: str, port: int) -> None:
    """Build an archive from the built-in samples, then serve it."""
    vault = build_demo(_home(ctx))
    ctx.call_on_close(vault.close)
    articles, revisions = vault.index.counts()
    click.echo(f"demo archive at {vault.home}: {articles} articles, {revisions} revisions")
    if no_serve:
        click.echo("try: versionvault log github-privacy-statement")
        click.echo("     versionvault diff github-privacy-statement")
        return
    _serve(vault, host, port)


if __name__ == "__main__":
    main()
