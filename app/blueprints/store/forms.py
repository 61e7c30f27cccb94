from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, HiddenField, PasswordField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, Email, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.security import MIN_PASSWORD_LENGTH

LANGUAGE_CHOICES = [("zh_CN", "中文"), ("en", "English")]
CURRENCY_CHOICES = [(c, c) for c in ("CNY", "USD", "EUR", "HKD", "JPY")]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class InviteStaffForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=120)])
    role_id = SelectField(_l("Role"), coerce=int, validators=[DataRequired()])


class EditStaffForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role_id = SelectField(_l("Role"), coerce=int, validators=[DataRequired()])


class RoleForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(_l("Description"), validators=[Length(max=300)])
    permissions = MultiCheckboxField(_l("Permissions"))


class SettingsForm(FlaskForm):
    name = StringField(_l("Store name"), validators=[DataRequired(), Length(max=120)])
    default_locale = SelectField(_l("Default language"), choices=LANGUAGE_CHOICES)
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)],
                           description=_l("For example Asia/Shanghai. Times are shown in this zone."))
    currency = SelectField(_l("Currency"), choices=CURRENCY_CHOICES)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200,
                               message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH))])
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class WebhookForm(FlaskForm):
    url = StringField(_l("Receiver URL"), validators=[DataRequired(), Length(max=500)],
                      description=_l("We POST JSON here, signed with the endpoint's secret."))
    description = StringField(_l("Description"), validators=[Length(max=200)])
    topics = MultiCheckboxField(_l("Topics"))
    active = BooleanField(_l("Active"), default=True)


class SavedFilterForm(FlaskForm):
    """Save a list's current filters under a name (the list page posts it; a refused name comes
    back on a page of its own with the filters kept)."""
    name = StringField(_l("Name these filters"), validators=[DataRequired(), Length(max=60)])
    view = HiddenField(validators=[Length(max=80)])
    query = HiddenField(validators=[Length(max=1000)])
    next = HiddenField()
