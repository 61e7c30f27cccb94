"""Shopper forms: sign-up and delivery addresses (field errors, input kept)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError

from app.core.phones import MainlandMobile
from app.core.regionfields import RegionFields, region_select
from app.core.security import MIN_PASSWORD_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


POINTS_MESSAGE = _l("Enter a whole number of points, 0 or more.")


class WholeNumberField(IntegerField):
    """An integer field whose one message for anything but a whole number is its own."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(POINTS_MESSAGE) from None


QUANTITY_MESSAGE = _l("Enter a whole number of items.")


class QuantityField(IntegerField):
    """A number of items: anything but a whole number (an empty box too) is refused with one
    message; not posted at all (a bare stepper button, an old client) it is 1."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(QUANTITY_MESSAGE) from None


class CartLineForm(FlaskForm):
    """Add to (mode=add) or set (mode=set; 0 removes) a cart line; `step` is the cart's
    steppers (-1, +1, remove), a button rather than something typed."""
    sku_id = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=2 ** 31 - 1)])
    quantity = QuantityField(_l("Quantity"), default=1, validators=[NumberRange(min=0, max=10_000,
                                                                                message=QUANTITY_MESSAGE)],
                             render_kw={"size": 3, "inputmode": "numeric", "pattern": "[0-9]*"})
    mode = HiddenField(default="add")
    step = HiddenField()

    @property
    def stepped(self) -> bool:
        return self.step.data in ("1", "-1", "remove")


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


class AbroadFields:
    """Where the store ships abroad: a country select above the region cascade; another country
    than the mainland swaps the cascade for free-form city and state fields (the picker
    re-renders itself on the change, as on a region's)."""

    country = SelectField(_l("Country or region"), choices=[], validate_choice=False, default="CN")
    town = StringField(_l("City"), filters=[_strip], validators=[Length(max=60)], render_kw={"autocomplete": "address-level2"})
    state = StringField(_l("State, province or region"), filters=[_strip], validators=[Length(max=60)],
                        render_kw={"autocomplete": "address-level1"})

    def setup_abroad(self) -> None:
        from app.blueprints.logistics import queries as logistics
        from app.core import countries

        self.abroad_allowed = logistics.ships_abroad()
        if not self.abroad_allowed or not self.country.data:
            self.country.data = countries.MAINLAND
        self.country.choices = countries.choices() if self.abroad_allowed else []
        self.country.render_kw = {**self.province.render_kw, "autocomplete": "country"}

    @property
    def abroad(self) -> bool:
        return self.abroad_allowed and self.country.data != "CN"

    def validate_country(self, field):
        from app.core import countries

        if field.data not in countries.codes():
            raise ValidationError(_l("Choose a country from the list."))

    def validate_town(self, field):
        if self.abroad and not field.data:
            raise ValidationError(_l("This field is required."))

    # the cascade is asked for in the mainland only
    def validate_province(self, field):
        if not self.abroad:
            RegionFields.validate_province(self, field)

    def validate_city(self, field):
        if not self.abroad:
            RegionFields.validate_city(self, field)

    def validate_district(self, field):
        if not self.abroad:
            RegionFields.validate_district(self, field)


class RegionForm(AbroadFields, RegionFields, FlaskForm):
    """The picker alone, re-rendered on each change (a GET: no CSRF token needed)."""

    class Meta:
        csrf = False

    province = region_select(_l("Province"))
    city = region_select(_l("City"))
    district = region_select(_l("District"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_regions()
        self.setup_abroad()


class AddressForm(AbroadFields, RegionFields, FlaskForm):
    name = StringField(_l("Recipient"), validators=[DataRequired(), Length(max=120)])
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), Length(max=40)],
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
        self.setup_abroad()

    def validate_phone(self, field):
        """A mainland mobile number (kept as 11 digits), or abroad a number valid in that country."""
        from app.core import countries, phones

        if not self.abroad:
            return MainlandMobile()(self, field)
        number = phones.international(field.data, self.country.data)
        if number is None:
            raise ValidationError(_l("Enter a phone number of %(country)s (with its +country code if it is another "
                                     "country's).", country=countries.name(self.country.data)))
        field.data = number

    def values(self) -> dict:
        base = {"name": self.name.data or "", "phone": self.phone.data or "", "street": self.street.data or "",
                "postcode": self.postcode.data or "", "is_default": bool(self.is_default.data)}
        if self.abroad:
            return {**base, "country": self.country.data, "city": self.town.data or "", "province": self.state.data or ""}
        return {**base, "country": "CN", "region_code": self.region_code()}


class CheckoutForm(AddressForm):
    """The checkout page: one of the shopper's saved addresses (`address_id`) or a new one
    ("new": the address fields above, validated only then), the delivery method and a note.
    `addresses` are the shopper's address book; a choice outside it is a field error."""

    address_id = StringField(_l("Deliver to"))
    delivery = SelectField(_l("Delivery"), default="express", validate_choice=False,
                           choices=[("express", _l("Express delivery")), ("pickup", _l("Pick up"))])
    note = StringField(_l("Note to the shop"), filters=[_strip], validators=[Length(max=500)])
    points = WholeNumberField(_l("Pay with points"), validators=[Optional()],
        render_kw={"inputmode": "numeric"})
    idempotency_key = HiddenField()
    refresh = HiddenField()   # the no-JavaScript buttons: show the next region level / the freight

    ADDRESS_FIELDS = ("name", "phone", "country", "town", "state", "province", "city", "district", "street", "postcode",
                      "is_default")

    def __init__(self, *args, addresses=(), points_balance: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.addresses = list(addresses)
        self.points_balance = points_balance
        if not self.address_id.data:   # nothing chosen yet: the default address, else a new one
            self.address_id.data = next((str(a.id) for a in self.addresses if a.is_default), "") \
                or ("new" if not self.addresses else "")

    @property
    def new_address(self) -> bool:
        return self.address_id.data == "new"

    def chosen_address(self):
        """The saved address chosen, or None (a new address, or nothing valid chosen)."""
        return next((a for a in self.addresses if str(a.id) == self.address_id.data), None)

    def validate_delivery(self, field):
        if field.data not in dict(field.choices):
            raise ValidationError(_l("Choose express delivery or pickup."))

    def validate_points(self, field):
        if field.data is not None and field.data < 0:
            raise ValidationError(POINTS_MESSAGE)
        if field.data and field.data > self.points_balance:
            raise ValidationError(_l("You have %(n)d points.", n=self.points_balance))

    def points_asked(self) -> int:
        """The points the shopper asked to pay with (0 when none, or when the entry is not valid)."""
        value = self.points.data
        return value if isinstance(value, int) and 0 < value <= self.points_balance else 0

    def validate_address_id(self, field):
        if not self.new_address and self.chosen_address() is None:
            raise ValidationError(_l("Choose a delivery address (or enter a new one)."))

    def validate(self, extra_validators=None):
        if self.new_address:
            return super().validate(extra_validators)
        ok = True   # a saved address: the new-address fields are not asked for
        for name, field in self._fields.items():
            if name in self.ADDRESS_FIELDS:
                continue
            inline = getattr(self.__class__, f"validate_{name}", None)
            chain = [*(extra_validators or {}).get(name, []), *([inline] if inline else [])]
            ok = field.validate(self, chain) and ok
        return ok


class PhoneSignInForm(FlaskForm):
    """Sign in with a code sent by SMS: the first button sends the code, the second signs in."""

    phone = StringField(_l("Mobile number"), filters=[_strip], validators=[DataRequired(), Length(max=40),
                                                                           MainlandMobile()],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    code = StringField(_l("Code from the SMS"), filters=[_strip], validators=[
        Optional(), Regexp(r"^\d{6}$", message=_l("The code is the 6 digits in the SMS."))],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6})
    next = HiddenField()


class GuestCheckoutForm(CheckoutForm):
    """Checkout without an account: always a new address; an email for the order's news is optional."""

    email = EmailField(_l("Email (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=254), Email(message=_l("Enter an email address like name@example.com."))],
        render_kw={"autocomplete": "email"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, addresses=(), **kwargs)
        self.address_id.data = "new"


class OrderLookupForm(FlaskForm):
    number = StringField(_l("Order number"), filters=[_strip], validators=[DataRequired(), Length(max=40)])
    phone = StringField(_l("Mobile number"), filters=[_strip], validators=[DataRequired(), Length(max=40)],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})


class RedeemCodeForm(FlaskForm):
    """A coupon code the shopper was given (a printed card, a message from the store)."""
    code = StringField(_l("Have a code?"), filters=[_strip], validators=[DataRequired(), Length(max=40)],
                       render_kw={"size": 14, "autocomplete": "off"})
