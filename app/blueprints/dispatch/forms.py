"""Dispatch forms: hold, re-route, pack, ship, settings and the bulk shipping file."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.blueprints.dispatch.models import STRATEGIES


class HoldForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class RerouteForm(FlaskForm):
    warehouse_id = SelectField(_l("Warehouse"), coerce=int, choices=[])


class PackForm(FlaskForm):
    weight_grams = IntegerField(_l("Parcel weight (g)"), validators=[DataRequired(), NumberRange(min=1, max=100_000)])


class ShipForm(FlaskForm):
    """Ship by hand. It sits on the notice page beside the pack and waybill forms, whose fields
    have the same names: its ids are its own (the posted names stay), so no two inputs share one."""
    carrier = SelectField(_l("Carrier"), choices=[], validators=[DataRequired()], id="ship-carrier")
    waybill_no = StringField(_l("Waybill number"), validators=[DataRequired(), Length(max=40)], id="ship-waybill_no")
    weight_grams = IntegerField(_l("Parcel weight (g)"), validators=[Optional(), NumberRange(min=1, max=100_000)],
                                id="ship-weight_grams")


class ShipWithWaybillForm(FlaskForm):
    """Ship with the electronic waybill the notice was issued; the weight when the scale gave one."""
    weight_grams = IntegerField(_l("Parcel weight (g)"), validators=[Optional(), NumberRange(min=1, max=100_000)])


class WaybillForm(FlaskForm):
    carrier = SelectField(_l("Carrier"), choices=[], validators=[DataRequired()])


class SettingsForm(FlaskForm):
    strategy = RadioField(_l("Routing strategy"), choices=list(zip(STRATEGIES, STRATEGIES)))
    default_carrier = SelectField(_l("Default carrier"), choices=[], validators=[Optional()])
    sender_name = StringField(_l("Sender name"), validators=[Length(max=80)])
    sender_phone = StringField(_l("Sender phone"), validators=[Length(max=40)])
    sender_address = StringField(_l("Sender address"), validators=[Length(max=300)])


class BulkShipForm(FlaskForm):
    file = FileField(_l("File (CSV or XLSX): order number, carrier, waybill number"))
