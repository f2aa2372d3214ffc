"""Web layer: the Starlette reading site, Atom feeds and JSON read API over the vault."""

from __future__ import annotations

from .app import create_app
from .site import Settings, Site

__all__ = ["Settings", "Site", "create_app"]
