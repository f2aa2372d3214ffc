"""Entry point for `python -m versionvault`."""

from .cli import main

main()
