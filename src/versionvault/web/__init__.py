"""Web layer: the Starlette reading site, Atom feeds and JSON read API over the vault."""

from __future__ import annotations

from .app import create_app
from .limits import PromptH11Protocol, RequestLimits
from .site import Settings, Site

__all__ = ["PromptH11Protocol", "RequestLimits", "Settings", "Site", "create_app"]
