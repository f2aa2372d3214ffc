"""Editing in the browser: the edit form, "Show changes", the conflict view and restoring."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..archive import ArticleRow, Diff, Revision, SaveResult, StaleRevision, VaultError
from ..diff import Stats, compare
from ..text import Article, InvalidArticle, make_article
from .caching import is_full_sha
from .diffs import FieldChange, Fold, Para, body_items, field_changes
from .session import SignedIn, check_post, editor_of, read_form
from .site import Site, link

__all__ = ["ACTIONS", "Conflict", "Draft", "EditPage", "Preview", "editing_routes"]

ACTIONS = ("preview", "save")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Draft:
    """What the editor typed."""

    title: str
    byline: str
    body: str
    note: str


@dataclass(frozen=True)
class Preview:
    """The word diff of a draft against a revision, built as the diff page builds it."""

    against: Revision
    stats: Stats
    kind: str
    summary: str
    fields: tuple[FieldChange, ...]
    items: tuple[Para | Fold, ...]
    changes: int


@dataclass(frozen=True)
class Conflict:
    """Someone saved while you edited: their revision and the one you started from."""

    theirs: Revision
    started: Revision | None


@dataclass(frozen=True)
class EditPage:
    """What the edit form shows."""

    article: ArticleRow
    latest: Revision
    base: str
    draft: Draft
    editor: SignedIn
    error: str = ""
    preview: Preview | None = None
    conflict: Conflict | None = None


def _draft_of(form: dict[str, str]) -> Draft:
    draft = Draft(
        title=form.get("title", ""),
        byline=form.get("byline", ""),
        body=form.get("body", ""),
        note=form.get("note", "").strip(),
    )
    for name in ("title", "byline", "note"):
        if _LINE_CONTROL.search(getattr(draft, name).replace("\r\n", " ")):
            raise InvalidArticle(f"the {name} contains control characters", name)
    if _CONTROL.search(draft.body):
        raise InvalidArticle("the text contains control characters", "body")
    return draft


def _article_of(text: Article, draft: Draft) -> Article:
    values = {**vars(text), "title": draft.title, "byline": draft.byline, "body": draft.body}
    return make_article(**values)


def _preview(site: Site, old: Revision, old_text: Article, new: Article, editor: str) -> Preview:
    words = compare(old_text.fields(), old_text.body, new.fields(), new.body)
    draft = dataclasses.replace(
        old, number=old.number + 1, commit="", title=new.title, author=editor, editor=editor
    )
    fields = field_changes(Diff(old.article, old, draft, words, 0))
    items, changes, _ = body_items(words.body, site.settings.context, False, len(fields) + 1)
    total = changes + len(fields)
    return Preview(old, words.stats, words.kind, words.summary(), fields, items, total)


def editing_routes(site: Site) -> list[Route]:
    """Return the edit form and the restore action."""
    vault = site.vault

    def render(request: Request, page: EditPage, status: int = 200) -> Response:
        return site.render(request, "edit.html", page, status=status)

    def form_page(request: Request, article_id: str, signed: SignedIn) -> Response:
        article = vault.article(article_id)
        latest = vault.revision(article_id, "latest")
        text = vault.text(latest)
        draft = Draft(text.title, text.byline, text.body.rstrip("\n"), "")
        return render(request, EditPage(article, latest, latest.commit, draft, signed))

    def submit(request: Request, article_id: str, form: dict[str, str]) -> Response:
        signed = check_post(request, form)
        action = form.get("action", "")
        base = form.get("base", "").strip().lower()
        if action not in ACTIONS:
            raise HTTPException(400, "the form's action must be 'preview' or 'save'")
        if not is_full_sha(base):
            raise HTTPException(400, "the form lacks the commit it started from ('base')")
        article = vault.article(article_id)
        latest = vault.revision(article_id, "latest")
        page = EditPage(article, latest, latest.commit, Draft("", "", "", ""), signed)
        try:
            draft = _draft_of(form)
        except InvalidArticle as exc:
            raw = Draft(*(form.get(k, "") for k in ("title", "byline", "body", "note")))
            return render(request, dataclasses.replace(page, draft=raw, error=str(exc)), 422)
        page = dataclasses.replace(page, draft=draft)
        latest_text = vault.text(latest)
        try:
            edited = _article_of(latest_text, draft)
        except InvalidArticle as exc:
            return render(request, dataclasses.replace(page, error=str(exc)), 422)
        if base != latest.commit:
            return conflict(request, page, base, edited)
        preview = _preview(site, latest, latest_text, edited, signed.name)
        page = dataclasses.replace(page, preview=preview)
        if action == "preview":
            return render(request, page)
        if not draft.note:
            error = "a note is required: say what you changed and why"
            return render(request, dataclasses.replace(page, error=error), 422)
        try:
            result = vault.save_revision(
                edited, note=draft.note, author=signed.name, editor=signed.name, expected=base
            )
        except StaleRevision:
            return conflict(request, page, base, edited)
        except VaultError as exc:
            return render(request, dataclasses.replace(page, error=str(exc)), 422)
        if result.status == "unchanged":
            error = "nothing changed: the text is that of the latest revision, so none was saved"
            return render(request, dataclasses.replace(page, error=error), 422)
        return _saved(request, result)

    def conflict(request: Request, page: EditPage, base: str, edited: Article) -> Response:
        theirs = vault.revision(page.article.id, "latest")
        started = next((r for r in vault.history(page.article.id) if r.commit == base), None)
        preview = _preview(site, theirs, vault.text(theirs), edited, page.editor.name)
        clash = Conflict(theirs, started)
        model = dataclasses.replace(
            page, latest=theirs, base=theirs.commit, preview=preview, conflict=clash
        )
        return render(request, model, 409)

    async def edit(request: Request) -> Response:
        article_id = request.path_params["id"]
        signed = editor_of(request)
        if request.method == "GET":
            if signed is None:
                target = link(request, "edit", id=article_id)
                return RedirectResponse(link(request, "login", {"next": target}), 303)
            return await run_in_threadpool(form_page, request, article_id, signed)
        form = await read_form(request)
        return await run_in_threadpool(submit, request, article_id, form)

    def restore_revision(request: Request, article_id: str, form: dict[str, str]) -> Response:
        signed = check_post(request, form)
        number = form.get("revision", "")
        if not number.isascii() or not number.isdigit() or len(number) > 9:
            raise HTTPException(400, "say which revision to restore (its number)")
        old = vault.revision(article_id, int(number))
        note = f"restored revision {old.number}" + (f": {old.note}" if old.note else "")
        try:
            result = vault.save_revision(
                vault.text(old), note=note, author=signed.name, editor=signed.name
            )
        except VaultError as exc:  # e.g. a revision stored before control characters were refused
            raise HTTPException(422, str(exc)) from None
        if result.status == "unchanged":
            return RedirectResponse(link(request, "article", id=article_id), 303)
        return _saved(request, result)

    async def restore(request: Request) -> Response:
        form = await read_form(request)
        article_id = request.path_params["id"]
        return await run_in_threadpool(restore_revision, request, article_id, form)

    return [
        Route("/articles/{id}/edit", edit, methods=["GET", "POST"], name="edit"),
        Route("/articles/{id}/restore", restore, methods=["POST"], name="restore"),
    ]


def _saved(request: Request, result: SaveResult) -> Response:
    query = {"from": result.revision - 1, "to": result.revision}
    return RedirectResponse(link(request, "diff", query, id=result.article), 303)
