"""Command line: `versionvault`, a click front end over the archive."""

from . import admin, articles, blame, evidence, notify, replicas, serving
from .group import main
from .serving import build_demo

__all__ = [
    "admin",
    "articles",
    "blame",
    "build_demo",
    "evidence",
    "main",
    "notify",
    "replicas",
    "serving",
]
