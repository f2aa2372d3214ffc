"""VersionVault: every version of a news article, kept in Git."""

__version__ = "0.1.0"
