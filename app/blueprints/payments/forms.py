"""Payment forms."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core.formfields import MoneyField, credentials_form


class RefundForm(FlaskForm):
    """A refund by amount; the request id makes a double submit one refund."""

    request_id = HiddenField(validators=[DataRequired(), Length(max=64)])
    amount = MoneyField(_l("Amount"), validators=[InputRequired()], render_kw={"size": 8})
    reason = StringField(_l("Reason"), validators=[Length(max=300)])


def refund_lines_form(order_lines, formdata=_Auto, request_id: str | None = None) -> FlaskForm:
    """A refund by order lines: how many of each line (`qty_<line id>`, blank or 0 for none)."""

    class RefundLinesForm(FlaskForm):
        by = HiddenField(default="lines")
        request_id = HiddenField(validators=[DataRequired(), Length(max=64)])
        reason = StringField(_l("Reason"), validators=[Length(max=300)], id="lines-reason")

        def quantities(self) -> dict[int, int]:
            return {int(f.name[4:]): f.data for f in self if f.name.startswith("qty_") and f.data}

        def validate(self, extra_validators=None) -> bool:
            if not super().validate(extra_validators):
                return False
            if not self.quantities():
                self.form_errors.append(_l("Say how many of a line to refund."))
                return False
            return True

    for line in order_lines:
        setattr(RefundLinesForm, f"qty_{line.id}", IntegerField(
            _l("Quantity"), default=0, validators=[Optional(), NumberRange(min=0, max=line.quantity)],
            render_kw={"type": "number", "min": 0, "max": line.quantity}))
    if formdata is _Auto:
        return RefundLinesForm()
    return RefundLinesForm(formdata=formdata, request_id=request_id)


class OptionsForm(FlaskForm):
    """What happens to a payment that arrives after its order was cancelled."""

    late_payment = RadioField(_l("Payments that arrive after the order was cancelled"), choices=[
        ("refund", _l("Refund them automatically")), ("flag", _l("Flag them for staff to decide"))],
        validators=[InputRequired(message=_l("Choose what happens to a late payment."))])


def gateway_form(cls, masked: dict, stored: dict, enabled: bool, formdata=None) -> FlaskForm:
    """A gateway's settings: its declared fields (keys as text areas, never shown back) and 'on'."""
    return credentials_form(cls.fields, _l("Shoppers can pay with it"), masked=masked, stored=stored, enabled=enabled,
                            id_prefix=f"{cls.name}-", secret_rows=2, formdata=formdata)


class ReconcileForm(FlaskForm):
    """Reconcile one gateway's statement for one day, by hand."""

    gateway = SelectField(_l("Gateway"), choices=[], validate_choice=False)
    day = StringField(_l("Day"), validators=[DataRequired(message=_l("Give the day as YYYY-MM-DD."))],
                      render_kw={"size": 10, "placeholder": "2026-01-31"})

    def __init__(self, *args, gateways=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.gateway.choices = list(gateways)

    def validate_gateway(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose an enabled gateway."))

    def validate_day(self, field):
        try:
            self.day_value = date.fromisoformat((field.data or "").strip())
        except ValueError:
            raise ValidationError(_l("Give the day as YYYY-MM-DD.")) from None


class ResolveForm(FlaskForm):
    """Close a reconciliation difference with what was done about it."""

    note = StringField(_l("What was done"), validators=[DataRequired(message=_l("Say how this difference was settled.")),
                                                        Length(max=2000)])
