"""Logistics forms: a carrier or tracking-service account, the logistics settings, clearing a
shipment's flag."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from app.core.formfields import credentials_form, typed


def account_form(fields, masked: dict, stored: dict, enabled: bool, formdata=None) -> FlaskForm:
    """A carrier account: its declared fields (keys never shown back) and 'use it'."""
    return credentials_form(fields, _l("Use this account"), masked=masked, stored=stored, enabled=enabled,
                            formdata=formdata)


class SettingsForm(FlaskForm):
    stale_hours = IntegerField(_l("Flag a shipment for staff after this many hours without tracking movement"),
                               validators=[InputRequired(message=_l("Between 1 and 720 hours.")), typed,
                                           NumberRange(min=1, max=720, message=_l("Between 1 and 720 hours."))],
                               render_kw={"inputmode": "numeric"})
    default_carrier = SelectField(_l("Default carrier"), choices=[])
    ships_abroad = BooleanField(_l("Ship to other countries (shoppers may enter an address abroad)"))

    def __init__(self, *args, carriers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.default_carrier.choices = [("", _l("None")), *carriers]


class ClearFlagForm(FlaskForm):
    note = StringField(_l("What was done"), validators=[Length(max=300)])
