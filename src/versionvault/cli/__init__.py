"""Command line: `versionvault`, a click front end over the archive."""

from . import admin, articles, evidence, notify, replicas, serving
from .group import main
from .serving import build_demo

__all__ = [
    "admin",
    "articles",
    "build_demo",
    "evidence",
    "main",
    "notify",
    "replicas",
    "serving",
]
