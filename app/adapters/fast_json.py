"""JSON text by orjson, where it writes what the json module would read back the same:
Socket.IO packets (app/web/packets.py) and JSON columns (the engines' serializer,
app/adapters/db/engine.py) use it, and fall back to the json module when it refuses."""

from __future__ import annotations

import json
from typing import Any

import orjson

# Types the json module refuses, orjson would write its own way: refuse them too, so the
# caller's usual encoder decides as before. (Subclasses of str, int, dict and list, such
# as the translated sentences of app/domain/text.py, write as their base type in both.)
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any) -> str | None:
    """Compact JSON text, or None where orjson refuses: bytes, a dict with keys that are not
    strings, an integer past 64 bits, a string that is not valid UTF-8, a datetime."""
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except TypeError:
        return None


def column_dumps(value: Any) -> str:
    """A JSON column's text (every engine's `json_serializer`): compact and UTF-8 rather than
    the json module's spaced, ASCII-escaped text, which reads back the same. The json
    module's writer was 2 % of a pick scan (the scan log's `parsed`)."""
    text = dumps(value)
    return json.dumps(value) if text is None else text
