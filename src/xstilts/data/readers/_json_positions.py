"""Find the line of a value deep inside a JSON document, for error messages.

json.loads keeps no positions. This decoder swaps in the standard library's pure-Python
scanner (the C scanner ignores a custom `parse_object`) and wraps each JSON object in a dict
that remembers where its braces are. It is several times slower than json.loads, so readers
parse with json.loads and call this only once they already know something is wrong.
"""

from __future__ import annotations

import json
from json.decoder import JSONObject
from json.scanner import py_make_scanner
from typing import Any, Sequence


class PositionedDict(dict):
    """A decoded JSON object plus the offsets of its opening and one past its closing brace."""

    start: int = 0
    end: int = 0


class _PositionDecoder(json.JSONDecoder):
    def __init__(self) -> None:
        super().__init__()
        self.parse_object = self._parse_object
        self.scan_once = py_make_scanner(self)

    @staticmethod
    def _parse_object(string_and_index, *args) -> tuple[PositionedDict, int]:
        decoded, end = JSONObject(string_and_index, *args)
        positioned = PositionedDict(decoded)
        positioned.start = string_and_index[1] - 1  # the scanner hands over the index after '{'
        positioned.end = end
        return positioned, end


def line_of(text: str, where: Sequence[str | int], key: str | None = None) -> int:
    """1-based line of the value reached by following `where` from the root of `text`.

    With `key`, the line of that key inside the object (first occurrence of its quoted name
    between the object's braces), else the line of the object's opening brace. A value that
    is not an object is placed at its nearest enclosing object. `text` must be valid JSON and
    `where` must exist in it.
    """
    node: Any = _PositionDecoder().decode(text)
    enclosing = node if isinstance(node, PositionedDict) else None
    for step in where:
        node = node[step]
        if isinstance(node, PositionedDict):
            enclosing = node
    if enclosing is None:
        return 1
    offset = enclosing.start
    if key is not None and enclosing is node:
        found = text.find(json.dumps(key), enclosing.start, enclosing.end)
        offset = found if found >= 0 else enclosing.start
    return text.count("\n", 0, offset) + 1
