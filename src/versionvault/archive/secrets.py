"""Secrets: credentials in URLs redacted wherever a URL is printed, logged or served."""

from __future__ import annotations

import logging
import re

__all__ = ["REDACTED", "RedactFilter", "has_credentials", "redact"]

REDACTED = "***"

# scheme://userinfo@ : the userinfo runs to the last '@' before the host
_USERINFO = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#\s@]*(?:@[^/?#\s@]*)*)@"
)

# ?access_token=... and its kin, in a URL's query or in any text quoting one
_SECRET_NAME = (
    r"(?:[A-Za-z0-9_.-]*(?:token|secret|password|passwd|api[_-]?key|signature|credential)"
    r"|key|auth|authorization|sig|signature)"
)
_QUERY_SECRET = re.compile(rf"(?P<key>[?&;]{_SECRET_NAME}=)(?P<value>[^&;#\s'\"]*)", re.IGNORECASE)


def _userinfo(match: re.Match[str]) -> str:
    scheme, userinfo = match.group("scheme"), match.group("userinfo")
    user, colon, _ = userinfo.partition(":")
    if colon:
        return f"{scheme}{user}:{REDACTED}@"
    if scheme.lower().startswith("http"):  # a bare user in an http(s) URL is often a token
        return f"{scheme}{REDACTED}@"
    return match.group()  # ssh://git@host: a user name, no secret


def redact(text: str) -> str:
    """Return `text` with the passwords and tokens of any URLs in it replaced by `***`.

    `https://user:TOKEN@host/x.git` becomes `https://user:***@host/x.git`, a bare
    `https://TOKEN@host/` becomes `https://***@host/`, and `?access_token=T` (any query
    parameter named like a token, password, secret or key) becomes `?access_token=***`.
    """
    if "@" in text:
        text = _USERINFO.sub(_userinfo, text)
    if "=" in text:
        text = _QUERY_SECRET.sub(lambda m: m.group("key") + REDACTED, text)
    return text


def has_credentials(url: str) -> bool:
    """Return True if `url` carries something `redact` would hide."""
    return redact(url) != url


class RedactFilter(logging.Filter):
    """A logging filter that redacts credentials in a record's message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; keep it."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
