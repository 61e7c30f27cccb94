"""Form fields shared by the centers."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from app.core.money import to_decimal_text, to_minor


class MoneyField(StringField):
    """An amount typed as 12.34, held in `.data` as integer minor units of the store's currency
    (DESIGN rule 5); anything else is a field error. Shown back as the plain decimal text."""

    def __init__(self, label=None, validators=None, currency: str | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.currency = currency

    def _currency(self) -> str:
        if self.currency:
            return self.currency
        from app.core.tenancy import bound_store

        return getattr(bound_store(), "currency", None) or "CNY"

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip()
        if not raw:
            self.data = None
            return
        try:
            self.data = to_minor(raw, self._currency())
        except (ValueError, KeyError):
            self.data = None
            raise ValueError(str(_l("Write an amount like 12.00.")))
        if self.data < 0:
            raise ValueError(str(_l("Cannot be negative.")))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return to_decimal_text(self.data, self._currency()) if isinstance(self.data, int) else ""


class _SecretWidget:
    """A text area (rows > 1) or a password input, always empty."""

    def __call__(self, field, **kwargs):
        from markupsafe import Markup
        from wtforms.widgets import PasswordInput, html_params

        kwargs.setdefault("autocomplete", "off")
        if field.rows > 1:
            kwargs.setdefault("id", field.id)
            return Markup(f"<textarea {html_params(name=field.name, rows=field.rows, **kwargs)}></textarea>")
        return PasswordInput(hide_value=True)(field, **kwargs)


class SecretField(StringField):
    """A credential: typed in, never rendered back (not even after a refused save); blank keeps
    the stored one. `rows` > 1 draws a text area (PEM keys), else a password input."""

    widget = _SecretWidget()

    def __init__(self, label=None, validators=None, rows: int = 1, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.rows = rows

    def _value(self):
        return ""


def credentials_form(fields, enabled_label, *, masked: dict | None = None, stored: dict | None = None,
                     enabled: bool = False, id_prefix: str = "", secret_rows: int = 1, formdata=None):
    """The settings form of an outside account (a payment gateway, a carrier): one input per
    declared field (`name, label, secret, required, help`), secrets never shown back, plus the
    'use it' switch. Field names are the declared names; ids carry `id_prefix` so several
    accounts fit on one page. `formdata` is the posted form for the account being saved."""
    from flask_wtf import FlaskForm
    from wtforms import BooleanField
    from wtforms.validators import Length

    class CredentialsForm(FlaskForm):
        def values(self) -> dict:
            return {f.name: (self[f.name].data or "") for f in fields}

    masked, stored = masked or {}, stored or {}
    for f in fields:
        common = {"id": id_prefix + f.name, "description": f.help or "",
                  "validators": [Length(max=500 if secret_rows == 1 or not f.secret else 8000)]}
        if f.secret:
            field = SecretField(f.label, rows=secret_rows, render_kw={"placeholder": masked.get(f.name) or _l("not set")},
                                **common)
        else:
            field = StringField(f.label, default=stored.get(f.name, ""), render_kw={"maxlength": 500}, **common)
        setattr(CredentialsForm, f.name, field)
    CredentialsForm.enabled = BooleanField(enabled_label, default=enabled, id=id_prefix + "enabled")
    return CredentialsForm(formdata=formdata)


def typed(form, field) -> None:
    """First in a chain: input that is not a number (or a date) was said already; stop there
    instead of adding a 'required' or range message about the missing value."""
    from wtforms.validators import StopValidation

    if field.process_errors:
        raise StopValidation()


class LocalDateTimeField(StringField):
    """A time typed in the store's zone (a datetime-local input, or 2026-12-01 09:00), held in
    `.data` as a naive local datetime; blank is None; anything else says how to write it."""

    FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"type": "datetime-local"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        from datetime import datetime

        if not valuelist:
            return
        raw = (valuelist[0] or "").strip()
        self.data = None
        if not raw:
            return
        for fmt in self.FORMATS:
            try:
                self.data = datetime.strptime(raw, fmt)
                return
            except ValueError:
                continue
        raise ValueError(str(_l("Times look like 2026-12-01 09:00.")))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%Y-%m-%dT%H:%M") if self.data else ""
