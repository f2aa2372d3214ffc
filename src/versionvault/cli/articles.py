"""Article commands: init, sources, ingest, import, log, show and diff."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from ..archive import (
    EVENT_LABELS,
    Event,
    VaultError,
    add_source,
    load_sources,
    parse_time,
    with_returns,
)
from ..diff import render_text
from ..text import check_slug
from ..watch.warc_import import html_responses, import_warc
from .group import archive_home, main, open_vault, push_mirrors, user_errors


@main.command()
@click.pass_context
@user_errors
def init(ctx: click.Context) -> None:
    """Create an empty archive (does nothing if one exists)."""
    vault = open_vault(ctx, create=True)
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
@click.option("--drop", multiple=True, help="CSS selector of page parts to drop (repeatable).")
@click.pass_context
@user_errors
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
    drop: tuple[str, ...],
) -> None:
    """Add a source, or add feeds and pages to one (other options replace its settings)."""
    check_slug(name, "source name")
    vault = open_vault(ctx)
    options = {"rate": rate, "user_agent": user_agent, "selector": selector}
    added = add_source(
        vault.home / "sources.toml",
        name,
        feeds,
        pages,
        domains,
        furniture,
        drop,
        quiet_days=quiet_days,
        **options,
    )
    click.echo(f"source {added.name}: {len(added.feeds)} feeds, {len(added.pages)} pages")


@source.command("list")
@click.pass_context
@user_errors
def source_list(ctx: click.Context) -> None:
    """List the sources."""
    settings = load_sources(archive_home(ctx) / "sources.toml")
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
@user_errors
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
    vault = open_vault(ctx)
    read = vault.read_file(file, article_id, source, url)
    moment = parse_time(observed, "--observed") if observed else None
    result = vault.save_revision(read.article, moment, note, author, capture=read.page)
    click.echo(result.line())
    if result.status == "saved":
        push_mirrors(vault)


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from handle


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option(
    "--warc",
    type=click.Path(path_type=Path),
    help="A WARC file (.warc or .warc.gz): archive its HTML pages, oldest first.",
)
@click.option("--source", default="", help="With --warc: the source of every page.")
@click.option(
    "--archived",
    default="",
    help="Committer date of every commit (ISO 8601; default: now). Give an interrupted "
    "import's time to its re-run to end at the tip an uninterrupted run would.",
)
@click.pass_context
@user_errors
def import_(
    ctx: click.Context, file: Path | None, warc: Path | None, source: str, archived: str
) -> None:
    """Bulk-import revisions from a JSONL file, one revision a line, or from a WARC file.

    Lines already archived (the same text observed at the same time) are skipped, so a
    re-run of an interrupted import carries on where it stopped.
    """
    if (file is None) == (warc is None):
        raise click.UsageError("give FILE.jsonl or --warc FILE, not both")
    if source and warc is None:
        raise click.UsageError("--source goes with --warc (a JSONL line names its source)")
    if warc is not None:
        _import_warc(ctx, warc, source)
        return
    assert file is not None
    if not file.is_file():
        raise VaultError(f"{file}: no such file")
    moment = parse_time(archived, "--archived") if archived else None
    vault = open_vault(ctx)
    with file.open("rb") as handle:
        total = sum(1 for _ in handle)
    with click.progressbar(
        length=total,
        label="importing",
        file=sys.stderr,
        hidden=not sys.stderr.isatty(),
        show_pos=True,
        show_eta=True,
    ) as bar:
        saved, unchanged = vault.import_records(_lines(file), bar.update, archived=moment)
    click.echo(f"imported {saved} revisions ({unchanged} unchanged)")
    if saved:
        push_mirrors(vault)


def _import_warc(ctx: click.Context, warc: Path, source: str) -> None:
    if source:
        check_slug(source, "source name")
    vault = open_vault(ctx)
    pages = html_responses(warc)
    with click.progressbar(
        length=len(pages), label="importing", file=sys.stderr, hidden=not sys.stderr.isatty()
    ) as bar:
        result = import_warc(vault, warc, source, bar.update, pages)
    for url, reason in result.skipped:
        click.echo(f"skipped {url}: {reason}", err=True)
    click.echo(
        f"imported {result.saved} revisions from {result.pages} HTML pages "
        f"({result.unchanged} unchanged, {len(result.skipped)} skipped)"
    )
    if result.saved:
        push_mirrors(vault)


@main.command()
@click.argument("article_id")
@click.pass_context
@user_errors
def log(ctx: click.Context, article_id: str) -> None:
    """List an article's revisions and events: number, time seen, words +/-, title, note.

    Times are when each version was seen, in UTC, as the site shows them; a removal, a
    return or leaving a feed is a line of its own where it happened.
    """
    from ..web.site import format_time

    vault = open_vault(ctx)
    history = vault.history(article_id)
    events: dict[int, list[Event]] = {}
    for event in with_returns(vault.events(article_id), history):
        after = event.after_revision + (event.event == "returned")
        events.setdefault(after, []).append(event)
    for rev in history:
        for event in events.get(rev.number, []) if rev.number > 1 else []:
            if event.event == "returned":
                click.echo(_event_line(event, format_time(event.observed)))
        note = f"  — {rev.note}" if rev.note else ""
        click.echo(
            f"{rev.number:>4}  {rev.commit[:12]}  {format_time(rev.observed)}  "
            f"+{rev.words_added:<5} -{rev.words_removed:<5} {rev.kind:<12} {rev.title}{note}"
        )
        for event in events.get(rev.number, []):
            if event.event != "returned":
                click.echo(_event_line(event, format_time(event.observed)))


def _event_line(event: Event, when: str) -> str:
    note = f"  — {event.note}" if event.note else ""
    label = EVENT_LABELS.get(event.event, event.event)
    return f"{'':>4}  {event.commit[:12]}  {when}  {label.upper()}{note}"


@main.command()
@click.argument("article_id")
@click.argument("rev", default="latest")
@click.option("--capture", is_flag=True, help="Print the page it came from, byte for byte.")
@click.pass_context
@user_errors
def show(ctx: click.Context, article_id: str, rev: str, capture: bool) -> None:
    """Print the stored file of a revision (default: the latest), or its captured page."""
    vault = open_vault(ctx)
    revision = vault.revision(article_id, rev)
    if not capture:
        click.echo(vault.stored_file(revision), nl=False)
        return
    page = vault.capture(revision)
    if page is None:
        raise VaultError(f"revision {revision.number} of {article_id} has no captured page")
    sys.stdout.buffer.write(page)
    sys.stdout.buffer.flush()


@main.command()
@click.argument("article_id")
@click.argument("old", default="first")
@click.argument("new", default="latest")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--color/--no-color", default=None, help="Colour the marks (default: on a terminal).")
@click.pass_context
@user_errors
def diff(
    ctx: click.Context, article_id: str, old: str, new: str, fmt: str, color: bool | None
) -> None:
    """Word diff between two revisions (default: the Old Version to the current one)."""
    result = open_vault(ctx).diff(article_id, old, new)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
        return
    use_color = sys.stdout.isatty() if color is None else color
    click.echo(
        f"{article_id}: revision {result.old.number} ({result.old.commit[:12]}) → "
        f"revision {result.new.number} ({result.new.commit[:12]})"
        f"{' (newer → older)' if result.old.number > result.new.number else ''}; "
        f"{result.words.summary()}"
    )
    click.echo(render_text(result.words, color=use_color), nl=False)
