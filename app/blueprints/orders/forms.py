"""Order forms: the staff-entered order and the per-type settings (field errors, input kept)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core.formfields import MoneyField


class LineForm(Form):
    sku_code = StringField(_l("SKU code"), validators=[Optional(), Length(max=64)])
    quantity = IntegerField(_l("Quantity"), validators=[Optional(), NumberRange(min=1, max=9999)])


class OrderForm(FlaskForm):
    lines = FieldList(FormField(LineForm), min_entries=5, max_entries=50)
    shopper_name = StringField(_l("Shopper name"), validators=[Length(max=120)])
    shopper_email = StringField(_l("Shopper email"), validators=[Length(max=120)])
    shopper_phone = StringField(_l("Shopper phone"), validators=[Length(max=120)])
    address_name = StringField(_l("Recipient"), validators=[DataRequired(), Length(max=120)])
    address_phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=120)])
    address_province = StringField(_l("Province"), validators=[Length(max=120)])
    address_city = StringField(_l("City"), validators=[DataRequired(), Length(max=120)])
    address_district = StringField(_l("District"), validators=[Length(max=120)])
    address_street = StringField(_l("Street address"), validators=[DataRequired(), Length(max=120)])
    address_postcode = StringField(_l("Postcode"), validators=[Length(max=120)])
    note = StringField(_l("Note"), validators=[Length(max=500)])
    idempotency_key = HiddenField()

    def address(self) -> dict:
        return {name[8:]: field.data or "" for name, field in self._fields.items() if name.startswith("address_")}

    def shopper(self) -> dict:
        return {"name": self.shopper_name.data, "email": self.shopper_email.data, "phone": self.shopper_phone.data}


SETTINGS_FIELDS = ("payment_timeout_minutes", "auto_confirm_days", "after_sales_days", "shipping_fee",
                   "free_shipping_over", "max_quantity_per_line", "guest_checkout")


class SettingsForm(FlaskForm):
    """One order type's row on the settings page."""

    order_type = HiddenField()
    payment_timeout_minutes = IntegerField(_l("Payment timeout (minutes)"),
                                           validators=[InputRequired(), NumberRange(1, 7 * 24 * 60)])
    auto_confirm_days = IntegerField(_l("Confirm receipt after (days)"), validators=[InputRequired(), NumberRange(1, 60)])
    after_sales_days = IntegerField(_l("After-sales window (days)"), validators=[InputRequired(), NumberRange(0, 365)])
    shipping_fee = MoneyField(_l("Shipping fee"), validators=[Optional()])
    free_shipping_over = MoneyField(_l("Free shipping from"), validators=[Optional()])
    max_quantity_per_line = IntegerField(_l("Max quantity per line"), validators=[InputRequired(), NumberRange(1, 9999)])
    guest_checkout = BooleanField(_l("Guest checkout (no account; the order is found by its number and phone)"))

    def values(self) -> dict:
        values = {name: self[name].data for name in SETTINGS_FIELDS}
        values["shipping_fee"] = values["shipping_fee"] or 0
        return values


# --- the action forms on an order's page (each re-renders the page with its field error) -------

class NoteForm(FlaskForm):
    note = StringField(_l("Internal note"), validators=[DataRequired(), Length(max=500)], id="order-note",
                       render_kw={"size": 30})


class AddressChangeForm(FlaskForm):
    """The delivery address of an order that has not shipped (the staff order's address fields)."""

    address_name = OrderForm.address_name
    address_phone = OrderForm.address_phone
    address_province = OrderForm.address_province
    address_city = OrderForm.address_city
    address_district = OrderForm.address_district
    address_street = OrderForm.address_street
    address_postcode = OrderForm.address_postcode

    address = OrderForm.address

    @classmethod
    def of(cls, order) -> "AddressChangeForm":
        return cls(formdata=None, data={f"address_{k}": v for k, v in (order.address or {}).items()})


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason for cancelling"), validators=[DataRequired(), Length(max=300)], id="cancel-reason")


class CloseForm(FlaskForm):
    reason = StringField(_l("Reason for closing"), validators=[DataRequired(), Length(max=300)], id="close-reason")


class OfflinePaymentForm(FlaskForm):
    reference = StringField(_l("Payment reference"), validators=[DataRequired(), Length(max=80)],
                            description=_l("Bank transfer or receipt number."))
