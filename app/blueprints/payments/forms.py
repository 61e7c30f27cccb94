"""Payment forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from app.core.formfields import MoneyField


class RefundForm(FlaskForm):
    """A refund by amount; the request id makes a double submit one refund."""

    request_id = HiddenField(validators=[DataRequired(), Length(max=64)])
    amount = MoneyField(_l("Amount"), validators=[InputRequired()], render_kw={"size": 8})
    reason = StringField(_l("Reason"), validators=[Length(max=300)])
