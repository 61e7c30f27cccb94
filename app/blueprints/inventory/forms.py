from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class WarehouseForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    kind = SelectField(_l("Kind"), choices=[("own", _l("Own warehouse")), ("third_party", _l("Third-party warehouse")),
                                           ("pickup", _l("Shop for pickup"))])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    priority = IntegerField(_l("Priority"), default=100, validators=[Optional(), NumberRange(min=0, max=9999)],
                            description=_l("Lower numbers ship first."))
    active = BooleanField(_l("Active"), default=True)
