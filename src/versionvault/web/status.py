"""The watcher's status page and its JSON twin: the last round, sources and warnings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..archive.alerts import alert_status
from ..watch import status
from .site import Site

__all__ = ["StatusPage", "api", "page"]


@dataclass(frozen=True)
class StatusPage:
    """What the status page shows (the data of `watch.status`)."""

    last_round: dict[str, Any] | None
    next_check: str | None
    sources: tuple[dict[str, Any], ...]
    warnings: tuple[dict[str, Any], ...]
    alerts: dict[str, Any]


def page(site: Site, request: Request) -> Response:
    """GET /status: what the watcher did last and what went wrong."""
    data = status(site.vault)
    model = StatusPage(
        last_round=data["last_round"],
        next_check=data["next_check"],
        sources=tuple(data["sources"]),
        warnings=tuple(data["warnings"]),
        alerts=alert_status(site.vault.home),
    )
    return site.render(request, "status.html", model)


def api(site: Site, request: Request) -> Response:
    """GET /api/status: the watcher's status as JSON."""
    data = {**status(site.vault), "alerts": alert_status(site.vault.home)}
    return JSONResponse(data, headers={"Cache-Control": "no-store"})
