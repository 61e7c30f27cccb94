"""After-sales forms: the shopper's request (one quantity per order line), staff answers,
the return waybill, inspection of each unit, rules, reasons and return addresses."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core.formfields import MoneyField


def request_form(order_lines, exchange_choices: dict | None = None, kinds=(), reasons=()) -> FlaskForm:
    """A request on an order: the kind, how many of each line (`qty_<line id>`), the SKU wanted
    instead for an exchange (`exchange_<line id>`), a reason, words and photos."""

    class RequestForm(FlaskForm):
        kind = SelectField(_l("What do you want?"), choices=list(kinds), validators=[DataRequired()])
        reason_id = SelectField(_l("Reason"), choices=list(reasons), coerce=int, validators=[DataRequired()])
        description = TextAreaField(_l("Describe the problem"), validators=[Length(max=1000)])
        images = MultipleFileField(_l("Photos (PNG, JPEG, GIF or WebP, up to 5 MB each, at most 6)"))

        def quantities(self) -> dict[int, int]:
            return {int(f.name[4:]): f.data for f in self if f.name.startswith("qty_") and f.data}

        def exchange(self) -> dict[int, int]:
            return {int(f.name[9:]): int(f.data) for f in self if f.name.startswith("exchange_") and f.data}

    for line in order_lines:
        setattr(RequestForm, f"qty_{line.id}", IntegerField(
            line.title, default=0, validators=[Optional(), NumberRange(min=0, max=line.quantity)],
            render_kw={"type": "number", "min": 0, "max": line.quantity}))
        choices = (exchange_choices or {}).get(line.id)
        if choices:
            setattr(RequestForm, f"exchange_{line.id}", SelectField(
                _l("Exchange %(sku)s for", sku=line.sku_code), choices=[("", "—"), *choices],
                validators=[Optional()]))
    return RequestForm()


class RejectForm(FlaskForm):
    reason = StringField(_l("Why (the shopper reads this)"), validators=[DataRequired(), Length(max=300)])


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Internal note"), validators=[DataRequired(), Length(max=500)])


class EscalateForm(FlaskForm):
    reason = StringField(_l("Why you disagree"), validators=[Length(max=300)])


class WaybillForm(FlaskForm):
    carrier = SelectField(_l("Carrier"), validators=[DataRequired()])
    waybill_no = StringField(_l("Waybill number"), validators=[DataRequired(), Length(max=40)])


class ReturnWaybillForm(FlaskForm):
    carrier = SelectField(_l("Carrier"), validators=[DataRequired()])


class SettingsForm(FlaskForm):
    auto_approve_unshipped = BooleanField(_l("Approve refunds before shipment automatically (and stop the parcel)"))
    auto_approve_under = MoneyField(_l("Approve automatically up to this amount (blank: never)"),
                                    validators=[Optional()])
    refund_shipping = SelectField(_l("Shipping refunded"))
    reply_hours = IntegerField(_l("Hours the store has to answer (then approved automatically)"),
                               validators=[InputRequired(), NumberRange(1, 720)])
    ship_back_days = IntegerField(_l("Days the shopper has to send goods back (then closed)"),
                                  validators=[InputRequired(), NumberRange(1, 60)])
    quarantine_warehouse_id = SelectField(_l("Quarantine warehouse for damaged returns"), coerce=lambda v: int(v) if v else None,
                                          validators=[Optional()])


class ReasonForm(FlaskForm):
    name = StringField(_l("Reason (Chinese)"), validators=[DataRequired(), Length(max=80)])
    name_en = StringField(_l("Reason (English)"), validators=[Length(max=80)])
    return_shipping_payer = SelectField(_l("Return shipping paid by"))
    position = IntegerField(_l("Position"), default=100, validators=[Optional(), NumberRange(0, 10000)])
    active = BooleanField(_l("Offered to shoppers"), default=True)


class ReturnAddressForm(FlaskForm):
    warehouse_id = SelectField(_l("Warehouse"), coerce=int)
    name = StringField(_l("Recipient"), validators=[Length(max=80)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=300)])


class ApproveForm(FlaskForm):
    reason = HiddenField()


def inspection_form(req, locations: list[str], inspected: set, formdata=_Auto) -> FlaskForm:
    """One row per returned unit not inspected yet: good or damaged, the bin for a good one, and
    quarantine or scrap for a damaged one (`cond_<line>_<unit>`, `bin_…`, `disp_…`)."""
    from app.blueprints.aftersales.services import CONDITION_LABELS, DISPOSITION_LABELS

    class InspectionForm(FlaskForm):
        def units(self) -> list[tuple]:
            out = []
            for line in req.lines:
                for unit in range(1, line.quantity + 1):
                    condition = getattr(self, f"cond_{line.id}_{unit}", None)
                    if condition is not None and condition.data:
                        out.append((line.id, unit, condition.data, getattr(self, f"bin_{line.id}_{unit}").data or "",
                                    getattr(self, f"disp_{line.id}_{unit}").data or ""))
            return out

        def rows(self) -> list[tuple]:
            return [(line, unit, getattr(self, f"cond_{line.id}_{unit}"), getattr(self, f"bin_{line.id}_{unit}"),
                     getattr(self, f"disp_{line.id}_{unit}")) for line in req.lines
                    for unit in range(1, line.quantity + 1) if hasattr(self, f"cond_{line.id}_{unit}")]

    bins = [("", "—"), *[(code, code) for code in locations]]
    for line in req.lines:
        for unit in range(1, line.quantity + 1):
            if (line.id, unit) in inspected:
                continue
            setattr(InspectionForm, f"cond_{line.id}_{unit}", SelectField(
                _l("Condition"), choices=[("", "—"), *[(k, v) for k, v in CONDITION_LABELS.items()]],
                validators=[Optional()]))
            setattr(InspectionForm, f"bin_{line.id}_{unit}", SelectField(_l("Bin"), choices=bins,
                                                                         validators=[Optional()]))
            setattr(InspectionForm, f"disp_{line.id}_{unit}", SelectField(
                _l("If damaged"), choices=[(k, DISPOSITION_LABELS[k]) for k in ("quarantine", "scrap")],
                validators=[Optional()]))
    return InspectionForm() if formdata is _Auto else InspectionForm(formdata=formdata)
