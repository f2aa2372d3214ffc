"""Write API: editors submit revisions with a Bearer token (`POST /api/articles/{id}/revisions`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..archive import (
    ArticleNotFound,
    Editor,
    EditorError,
    RevokedToken,
    StaleRevision,
    Vault,
    VaultError,
    authenticate,
)
from ..text import InvalidArticle, check_slug, make_article

__all__ = ["MAX_BODY_BYTES", "edit_routes"]

MAX_BODY_BYTES = 2 * 1024 * 1024
_REQUIRED = ("title", "body")
_OPTIONAL = ("source", "url", "byline", "section", "published", "updated", "summary", "note")


class _Refused(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="versionvault"'} if status == 401 else None
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def _editor(request: Request, editors_path: Path) -> Editor:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _Refused(401, "an editor's token is required: Authorization: Bearer TOKEN")
    try:
        return authenticate(editors_path, token.strip())
    except RevokedToken as exc:
        raise _Refused(403, str(exc)) from None
    except EditorError:
        raise _Refused(401, "unknown token") from None


async def _json_body(request: Request) -> dict[str, Any]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise _Refused(415, "send the revision as JSON (Content-Type: application/json)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _Refused(413, f"the request is larger than {MAX_BODY_BYTES} bytes")
    raw = bytearray()
    async for part in request.stream():
        raw.extend(part)
        if len(raw) > MAX_BODY_BYTES:
            raise _Refused(413, f"the request is larger than {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _Refused(400, f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _Refused(422, "the body must be a JSON object")
    return data


def _fields(data: dict[str, Any]) -> dict[str, str]:
    for name in data:
        if name not in _REQUIRED + _OPTIONAL:
            raise _Refused(422, f"unknown field {name!r}", field=name)
    for name in _REQUIRED:
        if name not in data:
            raise _Refused(422, f"field {name!r} is required", field=name)
    for name, value in data.items():
        if not isinstance(value, str):
            raise _Refused(422, f"field {name!r} must be a string", field=name)
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _expected(request: Request) -> str | None:
    value = request.headers.get("if-match")
    if value is None:
        return None
    return value.strip().removeprefix("W/").strip('"').lower()


def edit_routes(vault: Vault) -> list[Route]:
    """Return the routes of the write API over `vault`."""
    editors_path = vault.home / "editors.toml"

    def save(article_id: str, fields: dict[str, str], editor: Editor, expected: str | None) -> Any:
        source = fields.pop("source", "")
        if not source:
            try:
                source = vault.article(article_id).source
            except ArticleNotFound:
                message = "field 'source' is required for a new article"
                raise _Refused(422, message, field="source") from None
        note = fields.pop("note", "")
        try:
            article = make_article(id=article_id, source=source, **fields)
        except InvalidArticle as exc:
            raise _Refused(422, str(exc), field=exc.field) from None
        try:
            return vault.save_revision(
                article, note=note, author=editor.name, editor=editor.name, expected=expected
            )
        except StaleRevision as exc:
            raise _Refused(409, str(exc), current=exc.current) from None
        except VaultError as exc:
            raise _Refused(422, str(exc)) from None

    async def post_revision(request: Request) -> Response:
        article_id = request.path_params["article_id"]
        try:
            editor = _editor(request, editors_path)
            try:
                check_slug(article_id)
            except InvalidArticle as exc:
                raise _Refused(400, str(exc)) from None
            fields = _fields(await _json_body(request))
            result = await run_in_threadpool(save, article_id, fields, editor, _expected(request))
        except _Refused as refused:
            return _error(refused.status, str(refused), **refused.extra)
        body = {"status": result.status, "revision": result.revision, "commit": result.commit}
        if result.status == "unchanged":
            return JSONResponse(body, status_code=200)
        location = f"{request.url_for('api_post_revision', article_id=article_id)}/{result.commit}"
        return JSONResponse(body, status_code=201, headers={"Location": location})

    return [
        Route(
            "/api/articles/{article_id}/revisions",
            post_revision,
            methods=["POST"],
            name="api_post_revision",
        )
    ]
