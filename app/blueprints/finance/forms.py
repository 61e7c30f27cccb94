"""Finance forms: an account of the chart, the period close."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.blueprints.finance.models import ACCOUNT_TYPES

TYPE_LABELS = {"asset": _l("Asset"), "liability": _l("Liability"), "equity": _l("Equity"),
               "revenue": _l("Revenue"), "expense": _l("Expense")}


class AccountForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=80)])
    name_en = StringField(_l("English name"), validators=[DataRequired(), Length(max=80)])
    type = SelectField(_l("Type"), choices=[(t, TYPE_LABELS[t]) for t in ACCOUNT_TYPES])
    active = BooleanField(_l("In use"), default=True)


class CloseForm(FlaskForm):
    through = DateField(_l("Close the books through"), validators=[DataRequired()])
