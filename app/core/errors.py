"""Domain errors and the error pages (400, 403, 404, 429, 500, 503) in both languages."""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from app.core.htmx import is_htmx
from app.core.permissions import REGISTRY, MissingPermission
from app.core.tenancy import StoreSuspended, bound_store

log = logging.getLogger(__name__)


def _redis_unavailable_errors() -> tuple[type[BaseException], ...]:
    """What Redis raises when it is down, unreachable or full (it runs `noeviction`)."""
    from redis import exceptions

    found = [exceptions.ConnectionError, exceptions.TimeoutError, exceptions.BusyLoadingError]
    if hasattr(exceptions, "OutOfMemoryError"):
        found.append(exceptions.OutOfMemoryError)
    return tuple(found)


REDIS_UNAVAILABLE = _redis_unavailable_errors()


class DomainError(Exception):
    """A business rule refused the operation; `field` names the form field it concerns."""

    field: str | None = None

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class NotFound(DomainError):
    pass


class DuplicateCode(DomainError):
    pass


class IllegalTransition(DomainError):
    pass


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _layout() -> str:
    path = request.path
    if path.startswith("/store/") and bound_store() is not None:
        return "layouts/store.html"
    if path.startswith("/platform"):
        return "layouts/platform.html"
    return "layouts/bare.html"


ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 429: "rate_limited", 500: "server_error",
               503: "unavailable"}


def render_error(status: int, title: str, message: str, code: str | None = None, **extra):
    """The error page, or for the API (and clients asking for JSON) the documented body
    {"error": {"code", "message", "field", "status", "title", ...}}."""
    if _wants_json():
        return jsonify(error={"code": code or ERROR_CODES.get(status, "error"), "message": message, "field": None,
                              "status": status, "title": title, **extra}), status
    template = "errors/fragment.html" if is_htmx() else "errors/page.html"
    return render_template(template, status=status, title=title, message=message,
                           layout=_layout(), **extra), status


def retry_after(err=None) -> int:
    """Seconds until the limit that answered 429 (`err.limit`, Flask-Limiter's) lets requests
    through again: what every 429 sends as Retry-After, page or API."""
    import math
    import time

    from app.extensions import limiter

    limit = getattr(err, "limit", None)
    window = int(limit.limit.get_expiry()) if limit is not None else 60
    current = getattr(limiter, "current_limit", None)
    if current is not None and getattr(current, "reset_at", None):   # reset_at is rounded up to a second
        return max(1, min(window, math.ceil(current.reset_at - time.time())))
    return max(1, window)


def too_many_attempts(err=None):
    """The page for a limit that was hit (sign-in attempts and the like), with Retry-After."""
    body, status = render_error(429, _("Too many attempts"),
                                _("Too many attempts in a short time. Wait a few minutes and try again, "
                                  "or reset your password."))
    return body, status, {"Retry-After": str(retry_after(err))}


def register_error_pages(app) -> None:
    @app.errorhandler(400)
    def bad_request(err):
        return render_error(400, _("Bad request"), _("The request could not be understood. Go back and try again."))

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return render_error(400, _("Form expired"),
                            _("The security token was missing or has expired. Reload the page and submit again."),
                            code="csrf_failed")

    @app.errorhandler(DomainError)
    def domain_error(err):
        """A rule refused what a view did not expect to be refused: say so, change nothing."""
        from app.extensions import db

        db.session.rollback()
        return render_error(422, _("Not accepted"), err.message, field=err.field)

    @app.errorhandler(403)
    def forbidden(err):
        return render_error(403, _("Not allowed"), _("You do not have access to this page."))

    @app.errorhandler(MissingPermission)
    def missing_permission(err):
        perm = REGISTRY.get(err.permission)
        label = f"{perm.label} ({perm.code})" if perm else err.permission
        return render_error(403, _("Not allowed"),
                            _("Your role lacks the permission “%(perm)s”. Ask the store owner to grant it.",
                              perm=label), code="missing_permission", permission=err.permission)

    @app.errorhandler(StoreSuspended)
    def suspended(err):
        return render_error(403, _("Store suspended"),
                            _("The store “%(name)s” is suspended. Its data is kept; contact the platform "
                              "operator to reactivate it.", name=err.store.name), code="store_suspended", suspended=True)

    @app.errorhandler(404)
    def not_found(err):
        return render_error(404, _("Not found"), _("This page or record does not exist. Check the address or go back."))

    @app.errorhandler(405)
    def method_not_allowed(err):
        return render_error(405, _("Method not allowed"), _("This address does not accept that kind of request."))

    app.register_error_handler(429, too_many_attempts)

    def unavailable_page():
        from app.extensions import db

        db.session.rollback()           # nothing the request did is kept
        response, status = render_error(503, _("Briefly unavailable"),
                                         _("The service is briefly unavailable and nothing was changed. "
                                           "Try again in a minute."))
        response = app.make_response((response, status))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(503)
    def service_unavailable(err):
        return unavailable_page()

    for error_class in REDIS_UNAVAILABLE:
        @app.errorhandler(error_class)
        def redis_unavailable(err):
            log.warning("Redis is unavailable: %s", err)
            return unavailable_page()

    @app.errorhandler(500)
    def server_error(err):
        if isinstance(getattr(err, "original_exception", None), REDIS_UNAVAILABLE):
            log.warning("Redis is unavailable: %s", err.original_exception)
            return unavailable_page()
        return render_error(500, _("Something went wrong"),
                            _("The error was logged. Try again in a moment; if it keeps happening, tell support."))
