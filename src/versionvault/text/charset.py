"""Charset: decode an HTML page's bytes as a browser would (BOM, HTTP header, meta, detection)."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

__all__ = ["charset_label", "decode_html", "html_encoding", "web_label"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# <meta charset=...>, <meta http-equiv=Content-Type content="...; charset=...">, <?xml encoding?>
_DECLARED = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)
_PRESCAN = 8192
# The encodings of the web (WHATWG Encoding Standard), by Python's names; no other codec is used.
_WEB_CODECS = frozenset(
    {"utf-8", "utf-16", "utf-16-le", "utf-16-be", "cp866", "koi8-r", "koi8-u", "mac-roman"}
    | {"mac-cyrillic", "cp874", "gb18030", "big5hkscs", "euc_jp", "iso2022_jp", "cp932", "cp949"}
    | {f"cp{n}" for n in range(1250, 1259)}
    | {f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)}
)
# Where the web's labels (WHATWG Encoding Standard) mean a wider codec than Python's name.
_WIDER = {
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "chinese": "gb18030",
    "csgb2312": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "windows-949": "cp949",
    "big5": "big5hkscs",
}


def charset_label(label: str, in_page: bool = False) -> str:
    """Return the Python codec a charset label names, or "" if it names no text encoding.

    A page that declares UTF-16 about itself in ASCII bytes cannot be UTF-16, so there (in_page)
    the label means UTF-8, as browsers read it.
    """
    name = label.strip().strip("\"'").lower()
    if not name or name == "x-user-defined":
        return ""
    if in_page and name.startswith("utf-16"):
        return "utf-8"
    name = _WIDER.get(name.replace("_", "-"), name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return ""
    return codec if codec in _WEB_CODECS else ""


def _declared(data: bytes) -> str:
    for found in _DECLARED.finditer(data[:_PRESCAN]):
        label = (found.group(1) or found.group(2)).decode("ascii")
        if codec := charset_label(label, in_page=True):
            return codec
    return ""


def html_encoding(data: bytes, header: str = "") -> tuple[str, str]:
    """Return (codec, how it was found) for a page's bytes: "bom", "header", "meta" or "detected".

    The order is the browsers': a byte order mark, then the charset of the HTTP Content-Type
    header (`header`, when the page was fetched), then the page's own declaration (a <meta>
    charset or an XML declaration in its first 8 KB), then detection: UTF-8 if the bytes are
    valid UTF-8, else charset_normalizer's best guess, else windows-1252.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, "bom"
    if header and (codec := charset_label(header)):
        return codec, "header"
    if codec := _declared(data):
        return codec, "meta"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        guess = from_bytes(data[:262144]).best()
        return (charset_label(guess.encoding) if guess else "") or "cp1252", "detected"
    return "utf-8", "detected"


def decode_html(data: bytes, header: str = "") -> str:
    """Return a page's text decoded by `html_encoding` (bad bytes become U+FFFD), BOM removed."""
    codec, how = html_encoding(data, header)
    if how == "bom":
        data = data[len(next(b for b, c in _BOMS if c == codec)) :]
    return data.decode(codec, errors="replace")


# Python's names for the web's encodings, as the Encoding Standard labels them.
_LABELS = {
    "cp866": "ibm866",
    "mac-roman": "macintosh",
    "mac-cyrillic": "x-mac-cyrillic",
    "big5hkscs": "big5",
    "euc_jp": "euc-jp",
    "iso2022_jp": "iso-2022-jp",
    "cp932": "shift_jis",
    "cp949": "euc-kr",
    "utf-16-le": "utf-16le",
    "utf-16-be": "utf-16be",
}


def web_label(codec: str) -> str:
    """Return the charset label an HTTP header gives for one of `html_encoding`'s codecs."""
    if codec in _LABELS:
        return _LABELS[codec]
    if codec.startswith("cp") and codec[2:].isdigit():
        return f"windows-{codec[2:]}"
    if codec.startswith("iso8859-"):
        return f"iso-8859-{codec[8:]}"
    return codec
