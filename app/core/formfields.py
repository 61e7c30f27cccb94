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
