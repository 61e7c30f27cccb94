"""Shopper forms: sign-up and delivery addresses (field errors, input kept)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class RegisterForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class AddressForm(FlaskForm):
    name = StringField(_l("Recipient"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=200)])
    province = StringField(_l("Province"), validators=[Length(max=200)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=200)])
    district = StringField(_l("District"), validators=[Length(max=200)])
    street = StringField(_l("Street address"), validators=[DataRequired(), Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[Length(max=200)])
    is_default = BooleanField(_l("Use as default"))

    def values(self) -> dict:
        return {name: field.data or "" for name, field in self._fields.items() if name != "csrf_token"}

