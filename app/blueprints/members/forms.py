"""Member center forms: actions on a member, levels and rules, segments, card batches, and
the shopper's card binding."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.blueprints.members.loyalty import SETTING_LABELS, SETTING_LIMITS
from app.core.formfields import MoneyField


class NoteForm(FlaskForm):
    note = StringField(_l("Note"), validators=[DataRequired(), Length(max=500)])


class TagForm(FlaskForm):
    tag = StringField(_l("Tag"), validators=[DataRequired(), Length(max=40)])


class BlacklistForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class PointsForm(FlaskForm):
    points = IntegerField(_l("Points (negative to take away)"),
                          validators=[DataRequired(), NumberRange(min=-10 ** 9, max=10 ** 9)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class LevelSetForm(FlaskForm):
    level_id = SelectField(_l("Level"), coerce=int, choices=[])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class BirthdayForm(FlaskForm):
    birthday = DateField(_l("Birthday"), validators=[Optional()])


class LevelForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("Member prices of products are set for this code."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    threshold = IntegerField(_l("Growth value to reach it"), validators=[InputRequired(), NumberRange(min=0, max=10 ** 8)],
                             default=0)
    discount_percent = IntegerField(_l("Level price (percent of the sale price)"), default=100,
                                    validators=[DataRequired(), NumberRange(min=1, max=100)],
                                    description=_l("Applies where a product has no member price of its own; 100 = none."))
    points_multiplier = IntegerField(_l("Points multiplier (percent)"), default=100,
                                     validators=[DataRequired(), NumberRange(min=100, max=1000)])
    free_shipping = BooleanField(_l("Free shipping"))
    birthday_coupon = BooleanField(_l("Birthday coupon"),
                                   description=_l("On the member's birthday the promotions center issues a coupon."))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in ("code", "name", "threshold", "discount_percent",
                                                             "points_multiplier", "free_shipping", "birthday_coupon")}


class SettingsForm(FlaskForm):
    growth_per_yuan = IntegerField(SETTING_LABELS["growth_per_yuan"])
    growth_per_order = IntegerField(SETTING_LABELS["growth_per_order"])
    level_months = IntegerField(SETTING_LABELS["level_months"])
    points_per_yuan = IntegerField(SETTING_LABELS["points_per_yuan"])
    points_value = IntegerField(SETTING_LABELS["points_value"])
    points_max_share = IntegerField(SETTING_LABELS["points_max_share"])
    points_expiry_months = IntegerField(SETTING_LABELS["points_expiry_months"])
    growth_from_cards = BooleanField(SETTING_LABELS["growth_from_cards"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (low, high) in SETTING_LIMITS.items():
            field = getattr(self, name)
            field.validators = [InputRequired(), NumberRange(min=low, max=high)]

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in (*SETTING_LIMITS, "growth_from_cards")}


class SegmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    q = StringField(_l("Name, phone or email contains"), validators=[Optional(), Length(max=100)])
    level = SelectField(_l("Level"), choices=[], validators=[Optional()])
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=40)])
    min_spent = StringField(_l("Total spend from"), validators=[Optional(), Length(max=20)])
    max_spent = StringField(_l("Total spend to"), validators=[Optional(), Length(max=20)])
    min_orders = StringField(_l("Orders from"), validators=[Optional(), Length(max=10)])
    max_orders = StringField(_l("Orders to"), validators=[Optional(), Length(max=10)])
    ordered_since = StringField(_l("Last order from"), validators=[Optional(), Length(max=10)],
                                description=_l("A date like 2026-01-31."))
    ordered_until = StringField(_l("Last order to"), validators=[Optional(), Length(max=10)],
                                description=_l("A date like 2026-01-31."))
    blacklisted = SelectField(_l("Blacklist"), choices=[], validators=[Optional()])

    RULES = ("q", "level", "tag", "min_spent", "max_spent", "min_orders", "max_orders", "ordered_since",
             "ordered_until", "blacklisted")

    def values(self) -> dict:
        return {"name": self.name.data, **{name: getattr(self, name).data or "" for name in self.RULES}}


class CardBatchForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    kind = SelectField(_l("Kind"), choices=[])
    face_value = MoneyField(_l("Face value"), validators=[DataRequired()])
    quantity = IntegerField(_l("Number of cards"), validators=[DataRequired(), NumberRange(min=1, max=5000)])
    expires_on = DateField(_l("Valid until"), validators=[Optional()])


class BindCardForm(FlaskForm):
    code = StringField(_l("Card number"), validators=[DataRequired(), Length(max=24)])
    pin = StringField(_l("PIN"), validators=[DataRequired(), Length(max=12)])
