"""Cross-border forms: the store's setting with its customs registration, the export day and
the payer at checkout."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField
from wtforms.validators import DataRequired, Length, Optional


class SettingsForm(FlaskForm):
    enabled = BooleanField(_l("This store sells cross-border (every order is a cross-border retail import)"))
    ebp_code = StringField(_l("E-commerce platform customs code"), validators=[Length(max=18)])
    ebp_name = StringField(_l("E-commerce platform name"), validators=[Length(max=100)])
    ebc_code = StringField(_l("E-commerce enterprise customs code"), validators=[Length(max=18)])
    ebc_name = StringField(_l("E-commerce enterprise name"), validators=[Length(max=100)])
    pay_code = StringField(_l("Payment enterprise customs code"), validators=[Length(max=18)])
    pay_name = StringField(_l("Payment enterprise name"), validators=[Length(max=100)])
    logistics_code = StringField(_l("Logistics enterprise customs code"), validators=[Length(max=18)])
    logistics_name = StringField(_l("Logistics enterprise name"), validators=[Length(max=100)])
    dxp_id = StringField(_l("Data exchange ID (DXP)"), validators=[Length(max=30)])


class ExportForm(FlaskForm):
    day = DateField(_l("Day (store time zone)"), validators=[DataRequired()])


class PayerForm(FlaskForm):
    """The person who orders and pays, as customs needs them for a cross-border order."""

    payer_name = StringField(_l("Payer's real name"), validators=[Optional(), Length(max=60)])
    payer_id_number = StringField(_l("Payer's identity card number"), validators=[Optional(), Length(max=18)],
                                  description=_l("Customs checks it against the name; the yearly limit is per person."))
