"""Request input that Python or PostgreSQL cannot take is refused with 400 before a view sees it."""
from __future__ import annotations

import json

from flask.json.provider import DefaultJSONProvider

MAX_JSON_DEPTH = 32


def _depth_ok(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


class SafeJSONProvider(DefaultJSONProvider):
    """Request bodies: nesting deeper than MAX_JSON_DEPTH (Python's parser would overflow its
    stack on a few thousand levels) and lone surrogates such as "\\ud800" (no UTF-8 form, so
    PostgreSQL cannot store them) are a ValueError, which Flask answers with 400."""

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError as err:
            raise ValueError("JSON nested too deeply") from err
        if not _depth_ok(value, MAX_JSON_DEPTH):
            raise ValueError("JSON nested too deeply")
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as err:
            raise ValueError("JSON text holds a lone surrogate") from err
        return value
