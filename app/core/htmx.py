"""htmx helpers: one template answers both full pages and fragments."""
from __future__ import annotations

from flask import make_response, redirect, request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def is_boosted() -> bool:
    return request.headers.get("HX-Boosted") == "true"


def redirect_to(url: str):
    """After a successful change: HX-Redirect for htmx, a 303 for plain forms."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)
