"""Decoding HTML bytes as browsers do: BOM, HTTP charset, <meta>, detection; and ingest of them."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from versionvault.text import charset_label, decode_html, html_encoding

from .conftest import run_cli

CORPUS = Path(__file__).resolve().parent / "extract_corpus"
TEXT = "Café Renée — “déjà vu” for €5"


def _page(charset_tag: str, text: str = TEXT) -> str:
    return f"<html><head>{charset_tag}<title>T</title></head><body><p>{text}</p></body></html>"


def test_labels_mean_what_they_mean_on_the_web() -> None:
    assert charset_label("ISO-8859-1") == "cp1252"
    assert charset_label("latin1") == "cp1252"
    assert charset_label("GB2312") == "gb18030"
    assert charset_label("Shift_JIS") == "cp932"
    assert charset_label(" 'utf-8' ") == "utf-8"
    assert charset_label("utf-16", in_page=True) == "utf-8"
    assert charset_label("utf-16") == "utf-16"
    for nonsense in ("", "rot13", "base64", "no-such-charset", "x-user-defined"):
        assert charset_label(nonsense) == ""


def test_the_order_is_bom_then_header_then_meta_then_detection() -> None:
    meta = _page('<meta charset="windows-1252">').encode("cp1252")
    assert html_encoding(meta) == ("cp1252", "meta")
    assert decode_html(meta) == _page('<meta charset="windows-1252">')
    assert html_encoding(meta, "utf-8") == ("utf-8", "header")
    assert html_encoding(codecs.BOM_UTF8 + meta, "iso-8859-2") == ("utf-8", "bom")
    equiv = _page('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">')
    assert html_encoding(equiv.encode("cp1252")) == ("cp1252", "meta")
    xml = '<?xml version="1.0" encoding="windows-1252"?>' + _page("")
    assert html_encoding(xml.encode("cp1252")) == ("cp1252", "meta")
    unknown = _page('<meta charset="klingon">').encode("utf-8")
    assert html_encoding(unknown) == ("utf-8", "detected")
    assert html_encoding(_page("", "plain ascii").encode()) == ("utf-8", "detected")


def test_a_bom_is_removed_and_utf16_pages_decode() -> None:
    page = _page('<meta charset="utf-8">')
    assert decode_html(codecs.BOM_UTF8 + page.encode()) == page
    assert decode_html(codecs.BOM_UTF16_LE + page.encode("utf-16-le")) == page
    assert decode_html(codecs.BOM_UTF16_BE + page.encode("utf-16-be")) == page


def test_undeclared_legacy_bytes_are_detected() -> None:
    data = (CORPUS / "sjis-undeclared.html").read_bytes()
    codec, how = html_encoding(data)
    assert how == "detected" and codec in ("cp932", "shift_jis", "shift_jis_2004")
    assert "潮見港に新しい図書館が開館" in decode_html(data)


@given(st.binary(max_size=2000), st.sampled_from(["", "utf-8", "latin1", "bogus", "utf-16"]))
def test_any_bytes_decode_to_text(data: bytes, header: str) -> None:
    assert isinstance(decode_html(data, header), str)


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("cp1252", "Café Renée reopens on Quay Street after the flood"),
        ("gbk", "临江大桥夜间封闭施工 三条公交线路临时调整"),
        ("sjis-undeclared", "潮見港に新しい図書館が開館 週末は親子連れでにぎわう"),
    ],
)
def test_ingest_takes_a_page_in_its_own_charset(
    home: Path, tmp_path: Path, name: str, title: str
) -> None:
    page = tmp_path / f"{name}.html"
    page.write_bytes((CORPUS / f"{name}.html").read_bytes())
    result = run_cli(home, "ingest", str(page), "--source", "corpus")
    assert result.exit_code == 0, result.output
    shown = run_cli(home, "show", name).output
    assert f"title: {title}\n" in shown and "\ufffd" not in shown


def test_text_and_markdown_files_must_still_be_utf8(home: Path, tmp_path: Path) -> None:
    for suffix in (".txt", ".md"):
        page = tmp_path / f"legacy{suffix}"
        page.write_bytes("---\ntitle: Café\n---\n\nDéjà vu.\n".encode("cp1252"))
        result = run_cli(home, "ingest", str(page))
        assert result.exit_code == 1
        assert "is not UTF-8 text" in result.output and "Traceback" not in result.output
    binary = tmp_path / "binary.html"
    binary.write_bytes(b"<html>\0\0\0</html>")
    assert "binary file" in run_cli(home, "ingest", str(binary)).output
