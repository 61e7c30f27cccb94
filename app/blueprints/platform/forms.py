from flask_babel import lazy_gettext as _l, lazy_pgettext as _lp
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.blueprints.store.forms import CURRENCY_CHOICES, LANGUAGE_CHOICES


class StoreForm(FlaskForm):
    slug = StringField(_lp("web address of a store", "Address"), validators=[DataRequired(), Length(max=40)],
                       description=_l("3–40 lower-case letters, digits and hyphens; the store lives at /store/<address>."))
    name = StringField(_l("Store name"), validators=[DataRequired(), Length(max=120)])
    owner_email = EmailField(_l("Owner email"), validators=[DataRequired(), Email(), Length(max=254)])
    owner_name = StringField(_l("Owner name"), validators=[Optional(), Length(max=120)])
    owner_password = PasswordField(_l("Owner password"), validators=[Optional(), Length(max=200)],
                                   description=_l("Leave empty to email the owner an invitation instead."))
    plan = SelectField(_l("Plan"), choices=[])
    default_locale = SelectField(_l("Default language"), choices=LANGUAGE_CHOICES)
    currency = SelectField(_l("Currency"), choices=CURRENCY_CHOICES)


class SuspendForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=500)])


class DeleteForm(FlaskForm):
    confirmation = StringField(_l("Type the store address to confirm"), validators=[DataRequired()])


class PlatformUserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class SupplierAccountForm(PlatformUserForm):
    company = StringField(_l("Company"), validators=[Optional(), Length(max=200)])


class SupplierLinkForm(FlaskForm):
    store_slug = StringField(_l("Store address"), validators=[DataRequired(), Length(max=40)])
    supplier_code = StringField(_l("Supplier code in that store"), validators=[DataRequired(), Length(max=40)])
