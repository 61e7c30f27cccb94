"""Purchasing and supplier portal forms."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (BooleanField, DateField, DecimalField, FieldList, Form, FormField, HiddenField, IntegerField,
                     PasswordField, RadioField, SelectField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp

from app.blueprints.purchasing.models import DOCUMENT_KINDS, SUPPLIER_STATUSES
from app.core.formfields import MoneyField

STATUS_LABELS = {"active": _l("Active"), "suspended": _l("Suspended"), "archived": _l("Archived")}
DOCUMENT_LABELS = {"licence": _l("Business licence"), "contract": _l("Contract"), "certificate": _l("Certificate"),
                   "other": _l("Other")}
ROLE_LABELS = {"admin": _l("Admin"), "sales": _l("Sales"), "warehouse": _l("Warehouse")}


def basis_points(value: Decimal | None) -> int | None:
    """13.5 (percent) -> 1350 basis points."""
    return None if value is None else int(value * 100)


class SupplierForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    credit_code = StringField(_l("Unified social credit code"), validators=[Optional(), Length(max=18)])
    status = SelectField(_l("Status"), choices=[(s, STATUS_LABELS[s]) for s in SUPPLIER_STATUSES])
    rating = IntegerField(_l("Rating (0-5)"), default=0, validators=[Optional(), NumberRange(min=0, max=5)])
    categories = StringField(_l("Categories supplied"), description=_l("Separate them with commas."),
                             validators=[Length(max=800)])
    email = StringField(_l("Email for purchase orders"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    bank_name = StringField(_l("Bank"), validators=[Length(max=120)])
    bank_account = StringField(_l("Bank account"), validators=[Length(max=40)])
    bank_holder = StringField(_l("Account holder"), validators=[Length(max=200)])
    lead_time_days = IntegerField(_l("Lead time (days)"), default=7, validators=[DataRequired(), NumberRange(min=0, max=365)])
    payment_terms_days = IntegerField(_l("Payment terms (days)"), default=30,
                                      description=_l("A matched invoice is due this many days after its date."),
                                      validators=[Optional(), NumberRange(min=0, max=365)])


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    title = StringField(_l("Position"), validators=[Length(max=80)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    email = StringField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[(k, DOCUMENT_LABELS[k]) for k in DOCUMENT_KINDS])
    file = FileField(_l("File (PDF, PNG or JPEG, up to 10 MB)"))
    expires_on = DateField(_l("Valid until"), validators=[Optional()])


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=4000)])


class InviteForm(FlaskForm):
    email = StringField(_l("Supplier's email"), validators=[DataRequired(), Email(), Length(max=254)])


class ApproveForm(FlaskForm):
    code = StringField(_l("Supplier code in this store"), validators=[DataRequired(), Length(max=40)])


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class CloseForm(FlaskForm):
    reason = StringField(_l("Why close before everything arrived?"), validators=[Optional(), Length(max=500)])


class SupplierSkuForm(FlaskForm):
    supplier_id = SelectField(_l("Supplier"), coerce=int, choices=[])
    sku_code = StringField(_l("SKU code"), validators=[DataRequired(), Length(max=64)])
    supplier_code = StringField(_l("Supplier's code"), validators=[Length(max=64)])
    price = MoneyField(_l("Purchase price (excluding tax)"), validators=[DataRequired()])
    moq = IntegerField(_l("Minimum order quantity"), default=1, validators=[DataRequired(), NumberRange(min=1, max=1_000_000)])
    pack_size = IntegerField(_l("Pack size"), default=1, validators=[DataRequired(), NumberRange(min=1, max=100_000)])
    lead_time_days = IntegerField(_l("Lead time (days)"), validators=[Optional(), NumberRange(min=0, max=365)])
    preferred = BooleanField(_l("Preferred supplier of this SKU"))


class SettingsForm(FlaskForm):
    open_to_applications = BooleanField(_l("Open to supplier applications"))
    approval_threshold = MoneyField(_l("Purchase orders above this total need approval"), validators=[DataRequired()])
    over_tolerance_pct = IntegerField(_l("Over-delivery tolerance (%)"), validators=[NumberRange(min=0, max=100)])
    under_tolerance_pct = IntegerField(_l("Under-delivery tolerance (%)"), validators=[NumberRange(min=0, max=100)])
    velocity_days = IntegerField(_l("Average daily sales over (days)"), validators=[DataRequired(), NumberRange(min=1, max=365)])
    cover_days = IntegerField(_l("Days of sales to buy beyond the lead time"),
                              validators=[NumberRange(min=0, max=365)])
    default_tax_rate = DecimalField(_l("Default tax rate (%)"), places=2, validators=[NumberRange(min=0, max=100)])
    price_tolerance_pct = IntegerField(_l("Invoice price tolerance (%)"),
                                       description=_l("How far above the order's price an invoice may bill and still match."),
                                       validators=[Optional(), NumberRange(min=0, max=100)])
    quantity_tolerance_pct = IntegerField(_l("Invoice quantity tolerance (%)"),
                                          description=_l("How far beyond the quantity received an invoice may bill and "
                                                         "still match."),
                                          validators=[Optional(), NumberRange(min=0, max=100)])


class OrderForm(FlaskForm):
    supplier_id = SelectField(_l("Supplier"), coerce=int, choices=[])
    warehouse_id = SelectField(_l("Deliver to warehouse"), coerce=int, choices=[])
    expected_date = DateField(_l("Wanted by"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Length(max=500)])


class LineForm(FlaskForm):
    sku_code = StringField(_l("SKU code"), validators=[DataRequired(), Length(max=64)])
    quantity = IntegerField(_l("Quantity"), validators=[DataRequired(), NumberRange(min=1, max=1_000_000)])
    unit_price = MoneyField(_l("Unit price (excluding tax)"), description=_l("Empty: the supplier's price."),
                            validators=[Optional()])
    tax_rate = DecimalField(_l("Tax rate (%)"), places=2, validators=[Optional(), NumberRange(min=0, max=100)])


# --- per-line grids: one sub-form per line, its errors under its own field ----------------------------------

class GridLine(Form):
    line_id = HiddenField()

    @property
    def id_value(self) -> int:
        return int(self.line_id.data) if str(self.line_id.data or "").isdigit() else 0


def fill_grid(field_list, rows: list[dict]) -> None:
    """A grid's lines for a page shown for the first time: one entry per row of defaults."""
    while field_list.entries:
        field_list.pop_entry()
    for row in rows:
        field_list.append_entry(row)


def grid_entries(field_list) -> dict[int, Form]:
    """The grid's sub-forms by the line id each names."""
    return {entry.form.id_value: entry.form for entry in field_list.entries}


def grid_error(form, field_list, err) -> None:
    """A refusal naming `<field>_<line id>` goes under that field of that line; others as usual."""
    import re

    from app.core.formview import attach_error

    match = re.fullmatch(r"([a-z]+)_(\d+)", err.field or "")
    entry = grid_entries(field_list).get(int(match.group(2))) if match else None
    target = getattr(entry, match.group(1), None) if entry is not None else None
    if target is not None:
        target.errors = [*target.errors, err.message] if isinstance(target.errors, list) else [err.message]
    elif err.field == field_list.short_name or match:
        form.form_errors.append(err.message)
    else:
        attach_error(form, err)


def invoice_rows(po) -> list[dict]:
    """The invoice grid's first look: what was received and not billed yet, at the PO's price."""
    return [{"line_id": line.id, "quantity": max(0, line.received - line.returned - line.billed),
             "unit_price": line.unit_price} for line in po.lines if line.status != "rejected"]


class BillLine(GridLine):
    quantity = IntegerField(_l("Bill now"), validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    unit_price = MoneyField(_l("Unit price billed"), validators=[Optional()])


class InvoiceForm(FlaskForm):
    number = StringField(_l("Invoice number"), validators=[DataRequired(), Length(max=40)])
    invoice_date = DateField(_l("Invoice date"), validators=[DataRequired()])
    file = FileField(_l("Invoice PDF"))
    lines = FieldList(FormField(BillLine), max_entries=500)

    def quantities(self) -> dict[int, int]:
        return {entry.form.id_value: entry.form.quantity.data or 0 for entry in self.lines.entries}

    def prices(self) -> dict[int, int]:
        return {entry.form.id_value: entry.form.unit_price.data for entry in self.lines.entries
                if entry.form.unit_price.data is not None}


class ConfirmLine(GridLine):
    answer = RadioField(_l("Your answer"), choices=[("confirm", _l("Confirm")), ("reject", _l("Reject"))],
                        validators=[Optional()])
    quantity = IntegerField(_l("Quantity"), validators=[Optional(), NumberRange(min=1, max=1_000_000)])
    date = DateField(_l("Arrives on"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Length(max=300)])


class ConfirmForm(FlaskForm):
    lines = FieldList(FormField(ConfirmLine), max_entries=500)

    def answers(self) -> dict[int, tuple]:
        out = {}
        for entry in self.lines.entries:
            line = entry.form
            if line.answer.data == "reject":
                out[line.id_value] = ("reject", line.reason.data or "")
            elif line.answer.data == "confirm":
                out[line.id_value] = ("confirm", line.quantity.data, line.date.data)
        return out


class ReceiveLine(GridLine):
    counted = IntegerField(_l("Counted"), validators=[InputRequired(), NumberRange(min=0, max=1_000_000)])
    rejected = IntegerField(_l("Rejected at the quality check"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    location = StringField(_l("Put away in"), validators=[Length(max=40)])


class ReceiveForm(FlaskForm):
    lines = FieldList(FormField(ReceiveLine), max_entries=500)
    accept_short = BooleanField(_l("Accept a delivery shorter than the tolerance"))

    def counts(self) -> dict[int, tuple[int, int, str]]:
        return {e.form.id_value: (e.form.counted.data or 0, e.form.rejected.data or 0, e.form.location.data or "")
                for e in self.lines.entries}


def return_rows(po) -> list[dict]:
    """The return grid's first look: each line with goods in stock to send back, nothing chosen."""
    return [{"line_id": line.id, "quantity": 0} for line in po.lines if line.returnable_quantity > 0]


class ReturnLine(GridLine):
    quantity = IntegerField(_l("Return"), default=0, validators=[Optional(), NumberRange(min=0, max=1_000_000)])


class ReturnForm(FlaskForm):
    lines = FieldList(FormField(ReturnLine), max_entries=500)
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])

    def quantities(self) -> dict[int, int]:
        return {e.form.id_value: e.form.quantity.data or 0 for e in self.lines.entries}


class ShipLine(GridLine):
    quantity = IntegerField(_l("Ship now"), validators=[Optional(), NumberRange(min=0, max=1_000_000)])


class AcceptForm(FlaskForm):
    note = StringField(_l("Why the difference is accepted"), validators=[DataRequired(), Length(max=300)])


class PaymentForm(FlaskForm):
    amount = MoneyField(_l("Amount paid"), validators=[DataRequired()])
    paid_on = DateField(_l("Date paid"), validators=[DataRequired()])
    method = SelectField(_l("Payment method"), choices=[])
    reference = StringField(_l("Bank reference"), validators=[Length(max=80)])

    def __init__(self, *args, **kwargs):
        from app.blueprints.purchasing.payables import METHOD_LABELS

        super().__init__(*args, **kwargs)
        self.method.choices = [(k, str(v)) for k, v in METHOD_LABELS.items()]


class AsnForm(FlaskForm):
    ship_date = DateField(_l("Ship date"), validators=[DataRequired()])
    carrier = StringField(_l("Carrier"), validators=[Length(max=80)])
    waybill = StringField(_l("Waybill number"), validators=[Length(max=60)])
    boxes = IntegerField(_l("Boxes"), default=1, validators=[DataRequired(), NumberRange(min=1, max=999)])
    lines = FieldList(FormField(ShipLine), max_entries=500)

    def quantities(self) -> dict[int, int]:
        return {e.form.id_value: e.form.quantity.data for e in self.lines.entries if e.form.quantity.data}


def _store_slug(value: str | None) -> str:
    """A store's address as pasted (`https://…/store/demo/`, `demo`) → its slug."""
    return (value or "").strip().lower().rstrip("/").rpartition("/")[2]


class ApplyToForm(FlaskForm):
    slug = StringField(_l("The store's address (from its invitation)"), filters=[_store_slug], validators=[
        DataRequired(_l("Give the store's address.")), Length(max=40),
        Regexp(r"^[a-z0-9-]{3,40}$", message=_l("This is not a store's address: paste the address from the invitation."))])


class ApplicationForm(FlaskForm):
    company = StringField(_l("Company (registered name)"), validators=[DataRequired(), Length(max=200)])
    credit_code = StringField(_l("Unified social credit code"), validators=[DataRequired(), Length(max=18)])
    contact_name = StringField(_l("Contact name"), validators=[DataRequired(), Length(max=120)])
    contact_email = StringField(_l("Contact email"), validators=[DataRequired(), Email(), Length(max=254)])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=40)])
    bank_name = StringField(_l("Bank"), validators=[Length(max=120)])
    bank_account = StringField(_l("Bank account"), validators=[Length(max=40)])
    bank_holder = StringField(_l("Account holder"), validators=[Length(max=200)])
    categories = StringField(_l("Categories you supply"), description=_l("Separate them with commas."),
                             validators=[Length(max=800)])
    files = MultipleFileField(_l("Business licence and other papers (PDF, PNG or JPEG, up to 10 MB each)"))


class RegisterForm(FlaskForm):
    company = StringField(_l("Company (registered name)"), validators=[DataRequired(), Length(max=200)])
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])


class SupplierUserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[(k, v) for k, v in ROLE_LABELS.items()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])


class SupplierUserEditForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[(k, v) for k, v in ROLE_LABELS.items()])
    active = BooleanField(_l("Can sign in"))
