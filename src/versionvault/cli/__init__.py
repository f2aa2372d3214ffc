"""Command line: `versionvault`, a click front end over the archive."""

from . import admin, articles, notify, replicas, serving
from .group import main
from .serving import build_demo

__all__ = ["admin", "articles", "build_demo", "main", "notify", "replicas", "serving"]
