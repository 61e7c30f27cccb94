"""Payment forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from wtforms import HiddenField, IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core.formfields import MoneyField


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
