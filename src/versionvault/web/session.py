"""Sessions: editors sign in with their token; signed cookies, CSRF tokens, sign-in limits."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..archive import DiskFull, EditorError, RevokedToken, authenticate, load_editors
from .site import Site, link

__all__ = [
    "COOKIE",
    "MAX_AGE",
    "SECRET_FILE",
    "LoginPage",
    "RateLimit",
    "SessionCookies",
    "Sessions",
    "SignedIn",
    "check_post",
    "editor_of",
    "read_form",
    "session_routes",
]

COOKIE = "vv_session"
SECRET_FILE = "session.key"
MAX_AGE = 8 * 3600
MAX_FORM_BYTES = 4 * 1024 * 1024
_FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class SignedIn:
    """The editor a request comes from, their session and its CSRF token."""

    name: str
    session: str
    csrf: str


class RateLimit:
    """Failed attempts per key within a sliding window; past the limit a key must wait."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Return the seconds `key` must wait before it may try again (0: it may now)."""
        with self._lock:
            times = self._recent(key)
            if len(times) < self.limit:
                return 0.0
            return max(0.0, times[0] + self.window - self.clock())

    def fail(self, key: str) -> None:
        """Count one failed attempt of `key`."""
        with self._lock:
            self._recent(key).append(self.clock())
            self._failures.move_to_end(key)
            while len(self._failures) > 10_000:
                self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        """Forget `key`'s failures (after it succeeded)."""
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[float]:
        times = self._failures.setdefault(key, deque(maxlen=self.limit))
        while times and times[0] <= self.clock() - self.window:
            times.popleft()
        return times


def _secret(path: Path) -> bytes:
    """Return the archive's session secret, created (readable by its owner only) if missing.

    It is written whole or not at all (an empty file, left by a full disk, counts as
    missing); when the disk is full this process makes do with a secret of its own, so
    its sign-ins last until a restart.
    """
    key = path.read_bytes().strip() if path.exists() else b""
    if key:
        if len(key) < 32:
            raise ValueError(f"{path} is too short to be a session secret")
        return key
    key = secrets.token_hex(32).encode()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            out.write(key + b"\n")
        if path.exists():
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # another process may have made one meanwhile: theirs wins
    except FileExistsError:
        return _secret(path)
    except OSError as exc:
        if DiskFull.of(exc) is None:
            raise
    finally:
        tmp.unlink(missing_ok=True)
    return key


class Sessions:
    """Issues and checks editors' session cookies; a revoked token ends its sessions."""

    def __init__(self, home: Path, max_age: int = MAX_AGE) -> None:
        self.editors = home / "editors.toml"
        self.max_age = max_age
        self._secret = _secret(home / SECRET_FILE)
        self._serializer = URLSafeTimedSerializer(self._secret, salt="versionvault-session")
        self.by_client = RateLimit(20, 900.0)
        self.by_name = RateLimit(5, 900.0)
        self._ended: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def _mac(self, purpose: str, value: str) -> str:
        message = f"{purpose}\0{value}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def issue(self, name: str, token_sha256: str) -> str:
        """Return a new session cookie's value for an editor."""
        session = secrets.token_urlsafe(16)
        return self._serializer.dumps(
            {"n": name, "s": session, "k": self._mac("token", token_sha256)}
        )

    def read(self, value: str) -> SignedIn | None:
        """Return who a cookie signs in, or None if it is forged, expired, ended or revoked."""
        try:
            data = self._serializer.loads(value, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in "nsk"):
            return None
        with self._lock:
            if data["s"] in self._ended:
                return None
        try:
            editor = load_editors(self.editors).get(data["n"])
        except EditorError:
            return None
        if editor is None or editor.revoked:
            return None
        if not hmac.compare_digest(self._mac("token", editor.token_sha256), data["k"]):
            return None
        return SignedIn(editor.name, data["s"], self._mac("csrf", data["s"]))

    def end(self, signed: SignedIn) -> None:
        """End a session before its cookie expires (signing out)."""
        now = time.time()
        with self._lock:
            self._ended[signed.session] = now + self.max_age
            while self._ended and next(iter(self._ended.values())) < now:
                self._ended.popitem(last=False)


class SessionCookies:
    """ASGI middleware: put the signed-in editor (or None) on `request.state.editor`.

    Pages shown to a signed-in editor carry their controls and CSRF token, so they are
    never stored and never answered with 304 from what an anonymous visit cached.
    """

    def __init__(self, app: ASGIApp, sessions: Sessions) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        value = Request(scope).cookies.get(COOKIE, "")
        signed = self.sessions.read(value) if value else None
        scope.setdefault("state", {})["editor"] = signed
        if signed is not None:
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"if-none-match"]

        async def send_private(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if signed is not None:
                    headers["cache-control"] = "private, no-store"
                    del headers["etag"]
                headers.add_vary_header("Cookie")
            await send(message)

        await self.app(scope, receive, send_private)


def editor_of(request: Request) -> SignedIn | None:
    """Return the signed-in editor of a request, or None."""
    signed = request.scope.get("state", {}).get("editor")
    return signed if isinstance(signed, SignedIn) else None


def check_post(request: Request, form: dict[str, str]) -> SignedIn:
    """Return the editor of a form post; 403 without a session or a valid CSRF token."""
    signed = editor_of(request)
    if signed is None:
        raise HTTPException(403, "sign in first: this needs an editor's session")
    if not hmac.compare_digest(form.get("csrf", "").encode(), signed.csrf.encode()):
        raise HTTPException(403, "this form has expired or did not come from this site")
    return signed


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


async def read_form(request: Request) -> dict[str, str]:
    """Return a posted form's fields (the first of each name); 4xx for anything else."""
    if not _same_origin(request):
        raise HTTPException(403, "this form did not come from this site")
    raw = bytearray()
    async for part in request.stream():
        raw.extend(part)
        if len(raw) > MAX_FORM_BYTES:
            raise HTTPException(413, f"the form is larger than {MAX_FORM_BYTES} bytes")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if raw and media != _FORM_TYPE:
        raise HTTPException(415, f"send the form as {_FORM_TYPE}")
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=100, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "the form is not valid UTF-8 form data") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields


def _local(path: str) -> str:
    """Return `path` if it is a path on this site, else '/' (no open redirects)."""
    ok = path.startswith("/") and not path.startswith("//") and "\\" not in path
    return path if ok and path.isprintable() else "/"


@dataclass(frozen=True)
class LoginPage:
    """What the sign-in page shows."""

    editor: SignedIn | None
    name: str
    next: str
    error: str
    signing_out: bool = False


def session_routes(site: Site, sessions: Sessions) -> list[Route]:
    """Return /login and /logout."""

    def page(request: Request, model: LoginPage, status: int = 200) -> Response:
        return site.render(request, "login.html", model, status=status)

    async def login(request: Request) -> Response:
        target = _local(request.query_params.get("next", "/"))
        if request.method == "GET":
            return page(request, LoginPage(editor_of(request), "", target, ""))
        form = await read_form(request)
        target = _local(form.get("next", "/"))
        name, token = form.get("name", "").strip()[:100], form.get("token", "").strip()[:200]
        client = request.client.host if request.client else "unknown"
        wait = max(sessions.by_client.wait(client), sessions.by_name.wait(name))
        if wait:
            minutes = max(1, round(wait / 60))
            message = f"too many failed attempts: try again in about {minutes} minutes"
            headers = {"Retry-After": str(int(wait) + 1)}
            response = page(request, LoginPage(None, name, target, message), 429)
            response.headers.update(headers)
            return response
        try:
            editor = authenticate(sessions.editors, token) if token else None
        except RevokedToken:
            editor, refused = None, "this token was revoked"
        except EditorError:
            editor, refused = None, "wrong name or token"
        else:
            refused = "wrong name or token"
        if editor is None or editor.name != name:
            sessions.by_client.fail(client)
            sessions.by_name.fail(name)
            return page(request, LoginPage(None, name, target, refused), 401)
        sessions.by_name.clear(name)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            sessions.issue(editor.name, editor.token_sha256),
            max_age=sessions.max_age,
            path="/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return response

    async def logout(request: Request) -> Response:
        signed = editor_of(request)
        if request.method == "GET":
            if signed is None:
                return RedirectResponse(link(request, "login"), status_code=303)
            return page(request, LoginPage(signed, signed.name, "/", "", signing_out=True))
        form = await read_form(request)
        if signed is not None:
            sessions.end(check_post(request, form))
        response = RedirectResponse(link(request, "recent"), status_code=303)
        response.delete_cookie(
            COOKIE, path="/", secure=request.url.scheme == "https", httponly=True, samesite="strict"
        )
        return response

    return [
        Route("/login", login, methods=["GET", "POST"], name="login"),
        Route("/logout", logout, methods=["GET", "POST"], name="logout"),
    ]
