"""Invoice forms: the shopper's request, the issued invoice staff record."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional


class RequestForm(FlaskForm):
    kind = RadioField(_l("Invoice for"), choices=[("personal", _l("Personal")), ("company", _l("Company"))],
                      default="personal", validators=[DataRequired()])
    title = StringField(_l("Invoice title (your name or the company's name)"),
                        validators=[DataRequired(), Length(max=100)])
    tax_number = StringField(_l("Taxpayer number (company: unified social credit code)"),
                             validators=[Optional(), Length(max=24)])
    email = StringField(_l("Email for the e-invoice (optional)"), validators=[Optional(), Length(max=254)])


class IssuedForm(FlaskForm):
    invoice_number = StringField(_l("Invoice number"), validators=[DataRequired(), Length(max=40)])
    issued_on = DateField(_l("Issued on"), validators=[DataRequired()])
    pdf = FileField(_l("Invoice PDF (at most 5 MB)"))
