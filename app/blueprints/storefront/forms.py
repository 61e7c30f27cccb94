"""Shopper forms: sign-up and delivery addresses (field errors, input kept)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from app.core.phones import MainlandMobile
from app.core.regionfields import RegionFields, region_select
from app.core.security import MIN_PASSWORD_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class RegisterForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[_strip], validators=[
        DataRequired(), Length(max=254), Email(message=_l("Enter an email address like name@example.com."))],
        render_kw={"autocomplete": "email"})
    name = StringField(_l("Name"), filters=[_strip], validators=[
        Optional(), Length(max=40),
        Regexp(r"^[^\d<>@/\\]+$", message=_l("A name has no digits or symbols like @ < > /."))],
        render_kw={"autocomplete": "name"})
    phone = StringField(_l("Mobile number"), filters=[_strip], validators=[Optional(), Length(max=40), MainlandMobile()],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    password = PasswordField(_l("Password"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200,
                               message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH))],
        render_kw={"autocomplete": "new-password"})
    next = HiddenField()


class RegionForm(RegionFields, FlaskForm):
    """The picker alone, re-rendered on each change (a GET: no CSRF token needed)."""

    class Meta:
        csrf = False

    province = region_select(_l("Province"))
    city = region_select(_l("City"))
    district = region_select(_l("District"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_regions()


class AddressForm(RegionFields, FlaskForm):
    name = StringField(_l("Recipient"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), Length(max=40), MainlandMobile()],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    province = region_select(_l("Province"))
    city = region_select(_l("City"))
    district = region_select(_l("District"))
    street = StringField(_l("Street address"), validators=[DataRequired(), Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[Length(max=20)])
    is_default = BooleanField(_l("Use as default"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_regions()

    def values(self) -> dict:
        return {"name": self.name.data or "", "phone": self.phone.data or "", "region_code": self.region_code(),
                "street": self.street.data or "", "postcode": self.postcode.data or "",
                "is_default": bool(self.is_default.data)}
