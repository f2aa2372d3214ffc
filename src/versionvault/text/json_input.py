"""JSON input: untrusted JSON parsed with bounds on nesting and number size, one-line errors."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "MAX_NUMBER_DIGITS", "InvalidJson", "load_json"]

MAX_JSON_DEPTH = 20
MAX_NUMBER_DIGITS = 20

# A string (skipped whole, escapes and all) or a bracket; brackets inside strings don't count.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class InvalidJson(ValueError):
    """The input is not JSON, or is JSON nested too deep or with numbers too long."""


def _depth(data: bytes | str) -> int:
    """Return how deep brackets nest in `data`, strings skipped (an upper bound if malformed)."""
    if isinstance(data, bytes):
        opening = data.count(b"[") + data.count(b"{")
        text = data.decode("latin-1") if opening > 1 else ""  # brackets are ASCII either way
    else:
        opening, text = data.count("[") + data.count("{"), data
    if opening <= 1:
        return opening
    depth = deepest = 0
    for token in _TOKEN.finditer(text):
        mark = token.group()
        if mark in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif mark in ("]", "}"):
            depth -= 1
    return deepest


def _number(max_digits: int) -> Any:
    def parse(literal: str) -> int | float:
        digits = sum(c.isdigit() for c in literal)
        if digits > max_digits:
            raise InvalidJson(f"a number has {digits} digits; at most {max_digits} are accepted")
        return int(literal) if literal.lstrip("-").isdigit() else float(literal)

    return parse


def _constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not a JSON value")


def load_json(
    raw: bytes | str, max_depth: int = MAX_JSON_DEPTH, max_digits: int = MAX_NUMBER_DIGITS
) -> Any:
    """Parse JSON text; refuse nesting deeper than `max_depth` and numbers over `max_digits`.

    Raises InvalidJson with a one-line message; never RecursionError or a bare ValueError.
    """
    data = raw if isinstance(raw, str) else bytes(raw)
    deepest = _depth(data)
    if deepest > max_depth:
        raise InvalidJson(f"nested {deepest} deep; at most {max_depth} levels are accepted")
    number = _number(max_digits)
    try:
        return json.loads(data, parse_int=number, parse_float=number, parse_constant=_constant)
    except UnicodeDecodeError:
        raise InvalidJson("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise InvalidJson(f"not valid JSON ({exc.msg}: {where})") from None
    except RecursionError:
        raise InvalidJson("nested too deep") from None
