"""Text layer: the article file format, its body blocks, extraction from text and HTML (no I/O)."""

from .article import (
    FIELD_ORDER,
    Article,
    InvalidArticle,
    check_line,
    check_slug,
    content_key,
    format_article,
    make_article,
    normalize_body,
    normalize_line,
    parse_article,
    same_content,
    shown,
    slugify,
)
from .blocks import (
    Block,
    block_words,
    format_heading,
    format_list,
    format_quote,
    format_table,
    parse_blocks,
)
from .charset import charset_label, decode_html, html_encoding, web_label
from .extract import HtmlRules, TextRules, parse_html, parse_text
from .json_input import InvalidJson, load_json
from .language import (
    CJK_RUN,
    cjk_tokens,
    detect_language,
    language_of,
    word_tokens,
)
from .metadata import repeated_affixes, strip_site_names
from .selectors import InvalidSelector, css_to_xpath

__all__ = [
    "CJK_RUN",
    "FIELD_ORDER",
    "Article",
    "Block",
    "HtmlRules",
    "InvalidArticle",
    "InvalidJson",
    "InvalidSelector",
    "TextRules",
    "block_words",
    "charset_label",
    "check_line",
    "check_slug",
    "cjk_tokens",
    "content_key",
    "css_to_xpath",
    "decode_html",
    "detect_language",
    "format_article",
    "format_heading",
    "format_list",
    "format_quote",
    "format_table",
    "html_encoding",
    "language_of",
    "load_json",
    "make_article",
    "normalize_body",
    "normalize_line",
    "parse_article",
    "parse_blocks",
    "parse_html",
    "parse_text",
    "repeated_affixes",
    "same_content",
    "shown",
    "slugify",
    "strip_site_names",
    "web_label",
    "word_tokens",
]
