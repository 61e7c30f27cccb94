"""The shared create/edit page: a center declares its form, how to load the object and
which service saves it. Field errors re-render the form with the user's input intact;
domain errors land on the field they name."""
from __future__ import annotations

from typing import Any, Callable

from flask import flash, render_template, request
from flask.views import View
from flask_babel import gettext as _

from app.core import permissions
from app.core.errors import DomainError
from app.core.htmx import is_htmx, redirect_to
from app.core.retry import in_transaction
from app.extensions import db


class Outcome:
    """What a committed service call gave: truthy when it went through (`.result`), else `.error`."""

    __slots__ = ("ok", "result", "error")

    def __init__(self, ok: bool, result: Any = None, error: DomainError | None = None):
        self.ok, self.result, self.error = ok, result, error

    def __bool__(self) -> bool:
        return self.ok


def commit(action: Callable[[], Any]) -> Outcome:
    """The request's one commit around its service call (run again if the database aborts it as
    a deadlock victim), or one rollback of everything when a business rule refused it."""
    try:
        return Outcome(True, in_transaction(action))
    except DomainError as err:
        db.session.rollback()
        return Outcome(False, error=err)


def committed(action: Callable[[], Any]) -> Any:
    """`commit` for a step whose failure the caller handles itself: the action's result once
    committed, or its error (a domain error, a gateway that did not answer) raised again after
    one rollback of everything."""
    try:
        return in_transaction(action)
    except Exception:
        db.session.rollback()
        raise


def commit_form(form, action: Callable[[], Any]) -> Outcome:
    """`commit` for a validated form: a refusal lands on the field it names (else on the form)."""
    outcome = commit(action)
    if not outcome:
        attach_error(form, outcome.error)
    return outcome


def perform(action: Callable[[], Any], success) -> bool:
    """One service call behind a POST button: commit and flash `success` (a string, or a
    function of the action's result), or roll back and flash the domain error."""
    outcome = commit(action)
    if not outcome:
        flash(outcome.error.message, "error")
        return False
    flash(success(outcome.result) if callable(success) else success, "success")
    return True


def _field(fields, name: str):
    """The field called `name`, looking into field lists and sub-forms (`lines-2-sku_code`)."""
    from wtforms import FieldList, FormField

    for field in fields:
        if field.name == name:
            return field
        children = field.entries if isinstance(field, FieldList) else field.form if isinstance(field, FormField) else None
        found = _field(children, name) if children is not None else None
        if found is not None:
            return found
    return None


def attach_error(form, err: DomainError) -> None:
    field = (getattr(form, err.field, None) or _field(form, err.field)) if err.field else None
    if field is not None:
        field.errors = [*field.errors, err.message] if isinstance(field.errors, list) else [err.message]
    else:
        form.form_errors.append(err.message)


class FormView(View):
    methods = ["GET", "POST"]
    realm = "store"
    permission: str | None = None
    form_class: Any = None
    title: Any = ""
    submit_label: Any = None
    template = "components/form_page.html"
    fragment_template = "components/_form.html"   # what an htmx submit with errors gets back
    cancel_endpoint: str | None = None

    @classmethod
    def register(cls, bp, rule: str, endpoint: str) -> None:
        bp.add_url_rule(rule, view_func=permissions.guard(cls.as_view(endpoint), cls.realm, cls.permission))

    def get_object(self, **kwargs):
        return None

    def make_form(self, obj):
        return self.form_class(obj=obj)

    def save(self, form, obj):
        raise NotImplementedError

    def success_url(self, result) -> str:
        raise NotImplementedError

    def success_message(self, result) -> str:
        return _("Saved.")

    def extra_context(self, obj) -> dict:
        return {}

    def dispatch_request(self, **kwargs):
        obj = self.get_object(**kwargs)
        form = self.make_form(obj)
        if form.validate_on_submit() and (done := commit_form(form, lambda: self.save(form, obj))):
            flash(self.success_message(done.result), "success")
            return redirect_to(self.success_url(done.result))
        status = 422 if request.method == "POST" else 200
        layout = "layouts/platform.html" if self.realm == "platform" else "layouts/store.html"
        context = {"form": form, "obj": obj, "view": self, "layout": layout, **self.extra_context(obj)}
        if is_htmx() and request.method == "POST":
            return render_template(self.fragment_template, **context), status
        return render_template(self.template, **context), status
