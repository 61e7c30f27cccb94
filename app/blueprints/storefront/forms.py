"""Shopper forms: sign-up and delivery addresses (field errors, input kept)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from app.core import regions
from app.core.phones import MainlandMobile
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


class RegionFields:
    """Province -> city -> district selects: each offers the children of the one above it, so
    the form posted (or re-rendered by htmx or the no-JS "update" button) shows the next level.
    `region_code()` is the deepest code chosen; validation asks for every level that exists.
    A form using it declares `province`, `city` and `district` with `region_select`."""

    picker_endpoint = "storefront.region_picker"

    def setup_regions(self) -> None:
        from flask import url_for

        attrs = {"hx-get": url_for(self.picker_endpoint), "hx-trigger": "change", "hx-swap": "outerHTML",
                 "hx-target": "closest .region-picker", "hx-include": "closest .region-picker",
                 "autocomplete": "off"}
        for field in (self.province, self.city, self.district):
            field.render_kw = attrs
        province, city = self.province.data or "", self.city.data or ""
        if regions.get(province) is None or regions.get(province).level != 1:
            province = self.province.data = ""
        if not regions.within(city, province) or regions.get(city).level != 2:
            city = self.city.data = ""
        if not regions.within(self.district.data, city) or regions.get(self.district.data).level != 3:
            self.district.data = ""
        self.province.choices = [("", _l("Choose…"))] + [(r.code, r.name()) for r in regions.provinces()]
        self.city.choices = [("", _l("Choose…"))] + [(r.code, r.name()) for r in regions.children(province)] \
            if province else [("", "—")]
        self.district.choices = [("", _l("Choose…"))] + [(r.code, r.name()) for r in regions.children(city)] \
            if city else [("", "—")]

    def region_code(self) -> str:
        return self.district.data or self.city.data or self.province.data or ""

    def validate_province(self, field):
        if not field.data:
            raise ValidationError(_l("Choose the province."))

    def validate_city(self, field):
        if self.province.data and not field.data and regions.children(self.province.data):
            raise ValidationError(_l("Choose the city."))

    def validate_district(self, field):
        if self.city.data and not field.data and regions.children(self.city.data):
            raise ValidationError(_l("Choose the district."))


def region_select(label):
    return SelectField(label, choices=[], validate_choice=False, default="")


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
