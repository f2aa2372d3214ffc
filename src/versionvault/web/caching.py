"""HTTP caching: ETags on every page, immutable responses for what commit shas name."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["IMMUTABLE", "REVALIDATE", "Freshness", "freshness", "is_full_sha"]

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_FULL_SHA = re.compile(r"[0-9a-f]{40}")


def is_full_sha(value: str) -> bool:
    """Return whether `value` is a full 40-hex commit sha."""
    return bool(_FULL_SHA.fullmatch(value))


@dataclass(frozen=True)
class Freshness:
    """A response's validator and how long it may be cached."""

    etag: str
    immutable: bool

    def headers(self) -> dict[str, str]:
        """Return the ETag and Cache-Control headers."""
        return {"ETag": self.etag, "Cache-Control": IMMUTABLE if self.immutable else REVALIDATE}

    def not_modified(self, request: Request) -> Response | None:
        """Return a 304 response when the client already holds this representation."""
        header = request.headers.get("if-none-match", "")
        if not header:
            return None
        ours = self.etag.removeprefix("W/")
        tags = [t.strip().removeprefix("W/") for t in header.split(",")]
        if "*" in tags or ours in tags:
            return Response(status_code=304, headers=self.headers())
        return None


def freshness(request: Request, build: str, version: str | None) -> Freshness:
    """Return the validator of the page a request asks for.

    `build` names the code and templates; `version` is the archive's last commit, or None
    for a page that commit shas name completely (it never changes: strong and immutable).
    """
    query = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
    token = "\0".join([build, request.url.netloc, request.url.path, query, version or ""])
    digest = hashlib.sha256(token.encode()).hexdigest()[:32]
    if version is None:
        return Freshness(f'"{digest}"', True)
    return Freshness(f'W/"{digest}"', False)
