"""Selectors: CSS selectors checked and translated to XPath (cssselect), for page rules."""

from __future__ import annotations

from cssselect import GenericTranslator, SelectorError

__all__ = ["InvalidSelector", "css_to_xpath"]


class InvalidSelector(ValueError):
    """A CSS selector that is not valid CSS."""


def css_to_xpath(selector: str) -> str:
    """Translate a CSS selector to XPath; raise InvalidSelector if it is not valid CSS."""
    try:
        return str(GenericTranslator().css_to_xpath(selector))
    except SelectorError as exc:
        raise InvalidSelector(f"invalid CSS selector {selector!r}: {exc}") from None
