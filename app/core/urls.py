"""Where a redirect may go: one helper for every `next=` value and Referer-based redirect."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import request


def same_origin_path(target: str | None, fallback: str, prefix: str = "/") -> str:
    """`target` as a path on this site under `prefix`, else `fallback`.

    A full URL counts only when it names this host (a browser's Referer); anything a
    browser could read as another host is refused: `//evil`, `/\\evil`, `https://evil`,
    and tabs or newlines (`/%09/evil`), which browsers strip before resolving the URL."""
    if not target:
        return fallback
    if any(ch in target for ch in "\\") or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return fallback
    try:
        parts = urlsplit(target)
    except ValueError:
        return fallback
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return fallback
    path = parts.path or "/"
    decoded = unquote(path)
    if not path.startswith("/") or path.startswith("//") or decoded.startswith("//") or "\\" in decoded \
            or any(ord(ch) < 0x21 for ch in decoded):
        return fallback
    if not (path == prefix.rstrip("/") or path.startswith(prefix.rstrip("/") + "/")):
        return fallback
    return path + (f"?{parts.query}" if parts.query else "")


def back(fallback: str, prefix: str = "/") -> str:
    """Back to the page that sent the request (form field `next`, else the Referer)."""
    return same_origin_path(request.form.get("next") or request.referrer, fallback, prefix)
