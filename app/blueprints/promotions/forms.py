"""Promotion forms: the promotion (its rule, window in the store's time zone, targets, stacking,
budget) and the price simulator."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.core.formfields import MoneyField
from app.core.money import to_decimal_text, to_minor
from app.core.tenancy import current_store

KIND_CHOICES = [("item_discount", _l("Limited-time discount (price or % per item)")),
                ("amount_off", _l("满减: amount off over a threshold")),
                ("percent_off", _l("满折: percent off over a threshold")),
                ("nth_discount", _l("N件M折: N pieces or more at a discount")),
                ("gift", _l("满赠: a gift over a threshold")),
                ("free_shipping", _l("包邮: free shipping over a threshold"))]


def local_to_utc(value: datetime | None) -> datetime | None:
    """A time typed in the store's time zone, as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(current_store().timezone)).astimezone(timezone.utc)


def utc_to_local(value: datetime | None) -> datetime | None:
    return value.astimezone(ZoneInfo(current_store().timezone)).replace(tzinfo=None) if value else None


class LocalDateTimeField(StringField):
    """A date and time in the store's time zone, typed as 2026-12-12 00:00 (a datetime-local
    input sends 2026-12-12T00:00); `.data` is the naive local time."""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip().replace("T", " ")
        if not raw:
            self.data = None
            return
        for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
            try:
                self.data = datetime.strptime(raw, fmt)
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(str(_l("Write a date and time like 2026-12-12 00:00.")))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%Y-%m-%d %H:%M") if isinstance(self.data, datetime) else ""


def parse_tiers(text: str, percent: bool) -> list[list[int]]:
    """"300=30, 500=60" (yuan) → [[30000, 3000], [50000, 6000]]; with `percent`, "200=90" → [[20000, 90]]."""
    currency = current_store().currency
    tiers = []
    for part in (text or "").replace("；", ";").replace("，", ",").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(part)
        threshold, value = (p.strip() for p in part.split("=", 1))
        tiers.append([to_minor(threshold, currency), int(value) if percent else to_minor(value, currency)])
    return tiers


def ids_of(text: str) -> list[int]:
    return [int(p) for p in (text or "").replace("，", ",").replace(" ", ",").split(",") if p.strip()]


class PromotionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    percent = IntegerField(_l("Pay this percentage"), validators=[Optional(), NumberRange(1, 99)],
                           description=_l("80 means 20 per cent off (8 折). For limited-time discounts and N件M折."))
    price = MoneyField(_l("Or a unit price"), validators=[Optional()],
                       description=_l("Limited-time discount: every targeted item at this price."))
    tiers = StringField(_l("Thresholds"), validators=[Optional(), Length(max=300)],
                        description=_l("满减: 300=30, 500=60 (yuan). 满折: 200=90 (pay 90 per cent from ¥200)."))
    repeat = BooleanField(_l("Repeat for every threshold reached (每满减)"))
    count = IntegerField(_l("Pieces"), validators=[Optional(), NumberRange(2, 99)])
    threshold = MoneyField(_l("Threshold"), validators=[Optional()],
                           description=_l("满赠 and 包邮: the eligible goods amount from which it applies."))
    gift_sku = StringField(_l("Gift SKU code"), validators=[Optional(), Length(max=64)])
    gift_quantity = IntegerField(_l("Gift quantity"), default=1, validators=[Optional(), NumberRange(1, 10)])
    starts_at = LocalDateTimeField(_l("Starts"), description=_l("In the store's time zone; empty: at once."))
    ends_at = LocalDateTimeField(_l("Ends"), description=_l("In the store's time zone; empty: until ended."))
    target_type = SelectField(_l("Applies to"), choices=[("all", _l("Every product")), ("categories", _l("Categories")),
                                                          ("brands", _l("Brands")), ("products", _l("Products"))])
    categories = SelectMultipleField(_l("Categories"), coerce=int, choices=[])
    brands = SelectMultipleField(_l("Brands"), coerce=int, choices=[])
    products = StringField(_l("Product ids"), validators=[Optional(), Length(max=500)],
                           description=_l("Comma-separated, when it applies to products."))
    exclude_products = StringField(_l("Except product ids"), validators=[Optional(), Length(max=500)])
    level_codes = StringField(_l("Member levels"), validators=[Optional(), Length(max=300)],
                              description=_l("Level codes, comma-separated; empty: every shopper."))
    segment_ids = StringField(_l("Member segments"), validators=[Optional(), Length(max=300)],
                              description=_l("Segment ids, comma-separated; empty: every shopper."))
    stack_group = StringField(_l("Stacking group"), validators=[Optional(), Length(max=40)],
                              description=_l("Of the promotions in one group only the one that gives most applies."))
    exclusive = BooleanField(_l("Exclusive: applies alone (no other order promotion, no coupon)"))
    allow_below_cost = BooleanField(_l("May sell below cost"))
    priority = IntegerField(_l("Priority"), default=100, validators=[Optional(), NumberRange(0, 1000)],
                            description=_l("Lower first within its stage."))
    budget_total = MoneyField(_l("Budget (total discount)"), validators=[Optional()])
    uses_limit = IntegerField(_l("Orders at most"), validators=[Optional(), NumberRange(1, 10 ** 8)])
    per_member_limit = IntegerField(_l("Orders per member at most"), validators=[Optional(), NumberRange(1, 1000)])

    def __init__(self, *args, promotion=None, **kwargs):
        from app.blueprints.catalog import queries as catalog

        super().__init__(*args, **kwargs)
        self.categories.choices = catalog.category_choices()
        self.brands.choices = catalog.brand_choices()
        if promotion is not None and not self.is_submitted():
            self._fill(promotion)

    def _fill(self, p) -> None:
        currency = current_store().currency
        self.name.data, self.kind.data = p.name, p.kind
        params = p.params or {}
        self.percent.data = params.get("percent")
        self.price.data = params.get("price")
        self.count.data = params.get("count")
        self.threshold.data = params.get("threshold")
        self.repeat.data = bool(params.get("repeat"))
        if params.get("tiers"):
            self.tiers.data = ", ".join(
                f"{to_decimal_text(t, currency)}={v if p.kind == 'percent_off' else to_decimal_text(v, currency)}"
                for t, v in params["tiers"])
        if params.get("sku_id"):
            from app.blueprints.catalog import queries as catalog

            snap = catalog.sku_snapshots([params["sku_id"]]).get(params["sku_id"])
            self.gift_sku.data = snap.code if snap else ""
            self.gift_quantity.data = params.get("quantity", 1)
        self.starts_at.data, self.ends_at.data = utc_to_local(p.starts_at), utc_to_local(p.ends_at)
        self.target_type.data = p.target_type
        self.categories.data = list(p.target_ids) if p.target_type == "categories" else []
        self.brands.data = list(p.target_ids) if p.target_type == "brands" else []
        self.products.data = ", ".join(map(str, p.target_ids)) if p.target_type == "products" else ""
        self.exclude_products.data = ", ".join(map(str, p.exclude_product_ids or []))
        self.level_codes.data = ", ".join(p.level_codes or [])
        self.segment_ids.data = ", ".join(map(str, p.segment_ids or []))
        self.stack_group.data, self.exclusive.data = p.stack_group, p.exclusive
        self.allow_below_cost.data, self.priority.data = p.allow_below_cost, p.priority
        self.budget_total.data, self.uses_limit.data = p.budget_total, p.uses_limit
        self.per_member_limit.data = p.per_member_limit

    def validate_tiers(self, field):
        try:
            parse_tiers(field.data, self.kind.data == "percent_off")
        except (ValueError, KeyError):
            raise ValidationError(_l("Write thresholds like 300=30, 500=60."))

    def validate_products(self, field):
        try:
            ids_of(field.data)
        except ValueError:
            raise ValidationError(_l("Product ids are numbers, comma-separated."))

    validate_exclude_products = validate_products
    validate_segment_ids = validate_products

    def values(self) -> dict:
        """What `services.save_promotion` takes."""
        from app.blueprints.catalog import queries as catalog

        kind = self.kind.data
        params: dict = {}
        if kind == "item_discount":
            params = {"price": self.price.data} if self.price.data is not None else {"percent": self.percent.data}
        elif kind in ("amount_off", "percent_off"):
            params = {"tiers": parse_tiers(self.tiers.data, kind == "percent_off"), "repeat": self.repeat.data}
        elif kind == "nth_discount":
            params = {"count": self.count.data, "percent": self.percent.data}
        elif kind == "gift":
            params = {"threshold": self.threshold.data or 0, "quantity": self.gift_quantity.data or 1,
                      "sku_id": catalog.sku_id_by_code(self.gift_sku.data.strip()) if self.gift_sku.data else None}
        elif kind == "free_shipping":
            params = {"threshold": self.threshold.data or 0}
        target_ids = {"categories": self.categories.data, "brands": self.brands.data,
                      "products": ids_of(self.products.data)}.get(self.target_type.data, [])
        return {"name": self.name.data, "kind": kind, "params": params,
                "starts_at": local_to_utc(self.starts_at.data), "ends_at": local_to_utc(self.ends_at.data),
                "target_type": self.target_type.data, "target_ids": target_ids,
                "exclude_product_ids": ids_of(self.exclude_products.data),
                "level_codes": [c.strip() for c in (self.level_codes.data or "").split(",") if c.strip()],
                "segment_ids": ids_of(self.segment_ids.data), "stack_group": self.stack_group.data,
                "exclusive": self.exclusive.data, "allow_below_cost": self.allow_below_cost.data,
                "priority": self.priority.data if self.priority.data is not None else 100,
                "budget_total": self.budget_total.data, "uses_limit": self.uses_limit.data,
                "per_member_limit": self.per_member_limit.data}


class SimulatorForm(FlaskForm):
    class Meta:
        csrf = False     # a read: the simulator changes nothing

    lines = TextAreaField(_l("Cart"), validators=[Optional(), Length(max=2000)],
                          description=_l("One SKU code per line, with a quantity: ABC-01 x 2"))
    order_number = StringField(_l("Or a past order"), validators=[Optional(), Length(max=24)])
    member_email = StringField(_l("Shopper's email"), validators=[Optional(), Length(max=254)],
                               description=_l("Prices for this member's level, segments and limits; empty: a guest."))
    shipping_fee = MoneyField(_l("Freight"), validators=[Optional()])
    draft_id = SelectField(_l("Draft promotion"), choices=[], validate_choice=False)
    coupon_id = SelectField(_l("With a coupon"), choices=[], validate_choice=False,
                            description=_l("Priced as if the shopper held one; its budget is shown beside it."))

    def parsed_lines(self) -> list[tuple[str, int]]:
        out = []
        for index, raw in enumerate((self.lines.data or "").splitlines()):
            raw = raw.strip().replace("×", "x").replace("*", "x")
            if not raw:
                continue
            code, _sep, quantity = raw.partition(" x ")
            if not _sep:
                code, _s, quantity = raw.rpartition(" ") if " " in raw else (raw, "", "1")
            try:
                count = int(quantity or 1)
            except ValueError:
                raise ValueError(index + 1)
            if not 1 <= count <= 999:
                raise ValueError(index + 1)
            out.append((code.strip(), count))
        return out


class CouponTemplateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[("amount_off", _l("Amount off")), ("percent_off", _l("Percent off")),
                                            ("free_shipping", _l("Free shipping"))])
    amount = MoneyField(_l("Amount off"), validators=[Optional()])
    percent = IntegerField(_l("Pay this percentage"), validators=[Optional(), NumberRange(1, 99)])
    max_discount = MoneyField(_l("At most off"), validators=[Optional()],
                              description=_l("A cap for a percentage coupon; empty: no cap."))
    threshold = MoneyField(_l("Threshold"), validators=[Optional()],
                           description=_l("The eligible goods amount (after promotions) from which it applies."))
    target_type = SelectField(_l("Applies to"), choices=[("all", _l("Every product")), ("categories", _l("Categories")),
                                                          ("brands", _l("Brands")), ("products", _l("Products"))])
    categories = SelectMultipleField(_l("Categories"), coerce=int, choices=[])
    brands = SelectMultipleField(_l("Brands"), coerce=int, choices=[])
    products = StringField(_l("Product ids"), validators=[Optional(), Length(max=500)])
    exclude_products = StringField(_l("Except product ids"), validators=[Optional(), Length(max=500)])
    combinable = BooleanField(_l("Combines with order promotions"), default=True)
    quantity = IntegerField(_l("Coupons in all"), validators=[DataRequired(), NumberRange(1, 10 ** 7)])
    per_member_limit = IntegerField(_l("Per shopper at most"), default=1, validators=[Optional(), NumberRange(1, 100)])
    claimable = BooleanField(_l("Shoppers claim it in the shop"), default=True)
    claim_starts_at = LocalDateTimeField(_l("Claims open"))
    claim_ends_at = LocalDateTimeField(_l("Claims close"))
    valid_from = LocalDateTimeField(_l("Valid from"))
    valid_until = LocalDateTimeField(_l("Valid until"))
    valid_days = IntegerField(_l("Or valid for days after the claim"), validators=[Optional(), NumberRange(1, 3650)])

    def __init__(self, *args, template=None, **kwargs):
        from app.blueprints.catalog import queries as catalog

        super().__init__(*args, **kwargs)
        self.categories.choices = catalog.category_choices()
        self.brands.choices = catalog.brand_choices()
        if template is not None and not self.is_submitted():
            t = template
            for name in ("name", "kind", "amount", "max_discount", "threshold", "target_type", "combinable",
                         "quantity", "per_member_limit", "claimable", "valid_days"):
                getattr(self, name).data = getattr(t, name)
            self.percent.data = t.percent if t.kind == "percent_off" else None
            self.categories.data = list(t.target_ids) if t.target_type == "categories" else []
            self.brands.data = list(t.target_ids) if t.target_type == "brands" else []
            self.products.data = ", ".join(map(str, t.target_ids)) if t.target_type == "products" else ""
            self.exclude_products.data = ", ".join(map(str, t.exclude_product_ids or []))
            for name in ("claim_starts_at", "claim_ends_at", "valid_from", "valid_until"):
                getattr(self, name).data = utc_to_local(getattr(t, name))

    def validate_products(self, field):
        try:
            ids_of(field.data)
        except ValueError:
            raise ValidationError(_l("Product ids are numbers, comma-separated."))

    validate_exclude_products = validate_products

    def values(self) -> dict:
        target_ids = {"categories": self.categories.data, "brands": self.brands.data,
                      "products": ids_of(self.products.data)}.get(self.target_type.data, [])
        return {"name": self.name.data, "kind": self.kind.data, "amount": self.amount.data or 0,
                "percent": self.percent.data, "max_discount": self.max_discount.data,
                "threshold": self.threshold.data or 0, "target_type": self.target_type.data,
                "target_ids": target_ids, "exclude_product_ids": ids_of(self.exclude_products.data),
                "combinable": self.combinable.data, "quantity": self.quantity.data,
                "per_member_limit": self.per_member_limit.data or 1, "claimable": self.claimable.data,
                "claim_starts_at": local_to_utc(self.claim_starts_at.data),
                "claim_ends_at": local_to_utc(self.claim_ends_at.data),
                "valid_from": local_to_utc(self.valid_from.data), "valid_until": local_to_utc(self.valid_until.data),
                "valid_days": self.valid_days.data}


class GrantForm(FlaskForm):
    emails = TextAreaField(_l("Shoppers' emails"), validators=[Optional(), Length(max=20_000)],
                           description=_l("One per line (or comma-separated)."))
    segment_id = IntegerField(_l("Or a member segment"), validators=[Optional(), NumberRange(1, 2 ** 31 - 1)])


class CodesForm(FlaskForm):
    count = IntegerField(_l("Codes to generate"), validators=[DataRequired(), NumberRange(1, 10_000)])


class FlashSessionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    starts_at = LocalDateTimeField(_l("Starts"), validators=[DataRequired()])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[DataRequired()])
    payment_minutes = IntegerField(_l("Minutes to pay"), default=5, validators=[DataRequired(), NumberRange(1, 120)])


class FlashItemForm(FlaskForm):
    sku_code = StringField(_l("SKU code"), validators=[DataRequired(), Length(max=64)])
    flash_price = MoneyField(_l("Flash price"), validators=[DataRequired()])
    pool = IntegerField(_l("Units"), validators=[DataRequired(), NumberRange(1, 100_000)])
    per_member_limit = IntegerField(_l("Per shopper at most"), default=1, validators=[DataRequired(), NumberRange(1, 99)])


class GroupBuyForm(FlaskForm):
    """A group-buy activity (拼团): one SKU, the group price, how many shoppers make a group and
    how long a group has to fill."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    sku_code = StringField(_l("SKU code"), validators=[DataRequired(), Length(max=64)])
    group_price = MoneyField(_l("Group price"), validators=[InputRequired()])
    group_size = IntegerField(_l("Shoppers per group"), default=2, validators=[DataRequired(), NumberRange(2, 50)])
    time_limit_minutes = IntegerField(_l("Minutes a group has to fill"), default=1440,
                                      validators=[DataRequired(), NumberRange(5, 10080)],
                                      description=_l("Counted from the leader's payment; 1440 is one day."))
    starts_at = LocalDateTimeField(_l("Starts"), validators=[DataRequired()])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[DataRequired()])


class ManualRefundForm(FlaskForm):
    """Staff paid a failed group's order back by hand: how (the transfer's or receipt's reference)."""

    reference = StringField(_l("Refund reference"), validators=[DataRequired(), Length(max=200)],
                            description=_l("The bank transfer, receipt or cash slip number of the money paid back."))
