"""Write API: editors (and remote watchers) save revisions and events with a Bearer token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..archive import (
    EVENTS,
    ArticleNotFound,
    Editor,
    EditorError,
    InvalidInput,
    RevokedToken,
    StaleRevision,
    Vault,
    VaultError,
    authenticate,
    parse_time,
)
from ..text import InvalidArticle, InvalidJson, check_slug, load_json, make_article, shown

__all__ = ["MAX_BODY_BYTES", "edit_routes"]

MAX_BODY_BYTES = 2 * 1024 * 1024
_CLOCK_SKEW = timedelta(days=1)
_REQUIRED = ("title", "body")
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_OPTIONAL = (
    "source",
    "url",
    "byline",
    "section",
    "published",
    "updated",
    "summary",
    "note",
    "observed",
)


class _Refused(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


def _printable(value: Any) -> Any:
    """Return a string as UTF-8 can carry it (a lone surrogate escaped), anything else as is."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode()
    return value


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="versionvault"'} if status == 401 else None
    body = {key: _printable(value) for key, value in {"error": message, **extra}.items()}
    return JSONResponse(body, status_code=status, headers=headers)


_URL_TOKENS = ("access_token", "token", "bearer_token", "api_key")


def _editor(request: Request, editors_path: Path) -> Editor:
    if any(name in request.query_params for name in _URL_TOKENS):
        raise _Refused(
            400, "a token in the URL is refused (URLs end up in logs): send Authorization: Bearer"
        )
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
        data = load_json(bytes(raw))
    except InvalidJson as exc:
        raise _Refused(400, f"the body is refused: {exc}") from None
    if not isinstance(data, dict):
        raise _Refused(422, "the body must be a JSON object")
    return data


def _fields(
    data: dict[str, Any],
    required: tuple[str, ...] = _REQUIRED,
    optional: tuple[str, ...] = _OPTIONAL,
) -> dict[str, str]:
    for name in data:
        if name not in required + optional:
            raise _Refused(422, f"unknown field {shown(name)}", field=name[:100])
    for name in required:
        if name not in data:
            raise _Refused(422, f"field {name!r} is required", field=name)
    for name, value in data.items():
        if not isinstance(value, str):
            raise _Refused(422, f"field {name!r} must be a string", field=name)
        if _UNWRITABLE.search(value):
            raise _Refused(422, f"field {name!r} holds a control character", field=name)
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _expected(request: Request) -> str | None:
    """Return the If-Match sha, `*` (any current revision, RFC 9110), or None."""
    value = request.headers.get("if-match")
    if value is None:
        return None
    if value.strip() == "*":
        return "*"
    return value.strip().removeprefix("W/").strip('"').lower()


def _check_id(article_id: str) -> None:
    try:
        check_slug(article_id)
    except InvalidArticle as exc:
        raise _Refused(400, str(exc)) from None


def _observed(fields: dict[str, str]) -> datetime | None:
    text = fields.pop("observed", "")
    if not text:
        return None
    try:
        moment = parse_time(text, "observed")
    except InvalidArticle as exc:
        raise _Refused(422, str(exc), field="observed") from None
    if not 1970 <= moment.astimezone(UTC).year <= 2099:
        raise _Refused(422, "'observed' must be between 1970 and 2099", field="observed")
    if moment > datetime.now(UTC) + _CLOCK_SKEW:
        raise _Refused(422, "'observed' is in the future", field="observed")
    return moment


def _writable(vault: Vault) -> None:
    if vault.primary:
        message = f"this site is a read-only replica: send writes to its primary at {vault.primary}"
        raise _Refused(403, message, primary=vault.primary)


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
        observed = _observed(fields)
        try:
            article = make_article(id=article_id, source=source, **fields)
        except InvalidArticle as exc:
            raise _Refused(422, str(exc), field=exc.field) from None
        try:
            return vault.save_revision(
                article, observed, note, author=editor.name, editor=editor.name, expected=expected
            )
        except StaleRevision as exc:
            if expected == "*":
                raise _Refused(412, f"If-Match: * but there is no article {article_id}") from None
            raise _Refused(409, str(exc), current=exc.current) from None
        except InvalidInput as exc:
            raise _Refused(422, str(exc), field=exc.field) from None
        except VaultError as exc:
            raise _Refused(422, str(exc)) from None

    async def post_revision(request: Request) -> Response:
        article_id = request.path_params["article_id"]
        try:
            _writable(vault)
            editor = _editor(request, editors_path)
            _check_id(article_id)
            fields = _fields(await _json_body(request))
            result = await run_in_threadpool(save, article_id, fields, editor, _expected(request))
        except _Refused as refused:
            return _error(refused.status, str(refused), **refused.extra)
        body = {"status": result.status, "revision": result.revision, "commit": result.commit}
        if result.status == "unchanged":
            return JSONResponse(body, status_code=200)
        location = f"{request.url_for('api_post_revision', article_id=article_id)}/{result.commit}"
        return JSONResponse(body, status_code=201, headers={"Location": location})

    def record(article_id: str, fields: dict[str, str], editor: Editor) -> str:
        observed = _observed(fields)
        url, note = fields.get("url", ""), fields.get("note", "")
        try:
            return vault.record_event(article_id, fields["event"], observed, url, note, editor.name)
        except ArticleNotFound as exc:
            raise _Refused(404, str(exc)) from None
        except VaultError as exc:
            raise _Refused(422, str(exc)) from None

    async def post_event(request: Request) -> Response:
        article_id = request.path_params["article_id"]
        try:
            _writable(vault)
            editor = _editor(request, editors_path)
            _check_id(article_id)
            data = await _json_body(request)
            fields = _fields(data, ("event",), ("observed", "url", "note"))
            if fields["event"] not in EVENTS:
                raise _Refused(422, f"'event' must be one of {', '.join(EVENTS)}", field="event")
            commit = await run_in_threadpool(record, article_id, fields, editor)
        except _Refused as refused:
            return _error(refused.status, str(refused), **refused.extra)
        return JSONResponse(
            {"event": fields["event"], "article": article_id, "commit": commit}, status_code=201
        )

    return [
        Route(
            "/api/articles/{article_id}/revisions",
            post_revision,
            methods=["POST"],
            name="api_post_revision",
        ),
        Route(
            "/api/articles/{article_id}/events",
            post_event,
            methods=["POST"],
            name="api_post_event",
        ),
    ]
