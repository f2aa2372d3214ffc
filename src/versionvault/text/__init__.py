"""Text layer: the article file format and extraction from text and HTML pages (no I/O)."""

from .article import (
    FIELD_ORDER,
    Article,
    InvalidArticle,
    check_slug,
    content_key,
    format_article,
    make_article,
    normalize_body,
    normalize_line,
    parse_article,
    same_content,
    slugify,
)
from .extract import TextRules, parse_html, parse_text
from .selectors import InvalidSelector, css_to_xpath

__all__ = [
    "FIELD_ORDER",
    "Article",
    "InvalidArticle",
    "InvalidSelector",
    "TextRules",
    "check_slug",
    "content_key",
    "css_to_xpath",
    "format_article",
    "make_article",
    "normalize_body",
    "normalize_line",
    "parse_article",
    "parse_html",
    "parse_text",
    "same_content",
    "slugify",
]
