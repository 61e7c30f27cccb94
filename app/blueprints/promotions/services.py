"""Promotion operations: create and change promotions, publish, pause and end them. Each
checks its values and raises a DomainError on the field at fault; the caller commits."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from app.blueprints.promotions.models import PROMOTION_KINDS, TARGET_TYPES, Promotion
from app.core import audit
from app.core.errors import DomainError
from app.core.statemachine import StateMachine
from app.extensions import db

STATUS_LABELS = {"draft": _l("Draft"), "active": _l("Live"), "paused": _l("Paused"), "ended": _l("Ended")}
PROMOTION_STATES = StateMachine("promotion", {
    "draft": {"active", "ended"},
    "active": {"paused", "ended"},
    "paused": {"active", "ended"},
}, STATUS_LABELS)
TARGET_LABELS = {"all": _l("Every product"), "categories": _l("Categories"), "brands": _l("Brands"),
                 "products": _l("Products")}
FIELDS = ("name", "kind", "params", "starts_at", "ends_at", "target_type", "target_ids", "exclude_product_ids",
          "level_codes", "segment_ids", "stack_group", "exclusive", "allow_below_cost", "priority", "budget_total",
          "uses_limit", "per_member_limit")


def _percent(value, field: str) -> int:
    if not isinstance(value, int) or not 1 <= value <= 99:
        raise DomainError(_("A percentage to pay from 1 to 99 (80 means 20 per cent off)."), field=field)
    return value


def clean_params(kind: str, params: dict) -> dict:
    """The rule's parameters checked for its kind (see models.Promotion)."""
    if kind == "item_discount":
        if params.get("price") is not None:
            if not isinstance(params["price"], int) or params["price"] < 0:
                raise DomainError(_("Cannot be negative."), field="price")
            return {"price": params["price"]}
        return {"percent": _percent(params.get("percent"), "percent")}
    if kind in ("amount_off", "percent_off"):
        tiers = params.get("tiers") or []
        if not tiers:
            raise DomainError(_("Give at least one threshold and its discount."), field="tiers")
        clean = []
        for threshold, value in tiers:
            if not isinstance(threshold, int) or threshold < 0 or not isinstance(value, int) or value <= 0:
                raise DomainError(_("Thresholds and discounts are positive amounts."), field="tiers")
            if kind == "amount_off" and threshold and value > threshold:
                raise DomainError(_("The amount off cannot exceed its threshold."), field="tiers")
            if kind == "percent_off":
                _percent(value, "tiers")
            clean.append([threshold, value])
        if len({t for t, _v in clean}) != len(clean):
            raise DomainError(_("Each threshold once."), field="tiers")
        out = {"tiers": sorted(clean)}
        if kind == "amount_off" and params.get("repeat"):
            out["repeat"] = True
        return out
    if kind == "nth_discount":
        count = params.get("count")
        if not isinstance(count, int) or not 2 <= count <= 99:
            raise DomainError(_("From 2 to 99 pieces."), field="count")
        return {"count": count, "percent": _percent(params.get("percent"), "percent")}
    if kind == "gift":
        if not isinstance(params.get("sku_id"), int):
            raise DomainError(_("Choose the gift SKU by its code."), field="gift_sku")
        quantity = params.get("quantity") or 1
        return {"threshold": max(0, int(params.get("threshold") or 0)), "sku_id": params["sku_id"],
                "quantity": max(1, min(int(quantity), 10))}
    if kind == "free_shipping":
        return {"threshold": max(0, int(params.get("threshold") or 0))}
    raise DomainError(_("Choose a kind of promotion."), field="kind")


def save_promotion(actor, promotion: Promotion | None, values: dict) -> Promotion:
    """Create (promotion None, as a draft) or change a promotion. A live promotion's rule can
    change too (the next cart sees it); orders placed keep how they were priced."""
    name = (values.get("name") or "").strip()[:120]
    if not name:
        raise DomainError(_("This field is required."), field="name")
    kind = values.get("kind")
    if kind not in PROMOTION_KINDS:
        raise DomainError(_("Choose a kind of promotion."), field="kind")
    params = clean_params(kind, values.get("params") or {})
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if starts and ends and ends <= starts:
        raise DomainError(_("The end comes after the start."), field="ends_at")
    target_type = values.get("target_type") or "all"
    if target_type not in TARGET_TYPES:
        raise DomainError(_("Choose what the promotion applies to."), field="target_type")
    target_ids = sorted({int(i) for i in values.get("target_ids") or ()})
    if target_type != "all" and not target_ids:
        raise DomainError(_("Choose at least one."), field="target_ids")
    for field in ("budget_total", "uses_limit", "per_member_limit"):
        value = values.get(field)
        if value is not None and (not isinstance(value, int) or value < 1):
            raise DomainError(_("Leave empty for no limit, or give a positive number."), field=field)
    created = promotion is None
    if created:
        promotion = Promotion(status="draft", budget_used=0, uses_count=0, gmv=0)
        db.session.add(promotion)
    promotion.name, promotion.kind, promotion.params = name, kind, params
    promotion.starts_at, promotion.ends_at = starts, ends
    promotion.target_type, promotion.target_ids = target_type, target_ids if target_type != "all" else []
    promotion.exclude_product_ids = sorted({int(i) for i in values.get("exclude_product_ids") or ()})
    promotion.level_codes = sorted({str(c).strip()[:40] for c in values.get("level_codes") or () if str(c).strip()})
    promotion.segment_ids = sorted({int(i) for i in values.get("segment_ids") or ()})
    promotion.stack_group = (values.get("stack_group") or "").strip()[:40]
    promotion.exclusive, promotion.allow_below_cost = bool(values.get("exclusive")), bool(values.get("allow_below_cost"))
    promotion.priority = int(values.get("priority") or 100)
    promotion.budget_total, promotion.uses_limit = values.get("budget_total"), values.get("uses_limit")
    promotion.per_member_limit = values.get("per_member_limit")
    if promotion.budget_total is not None and promotion.budget_total < (promotion.budget_used or 0):
        raise DomainError(_("The budget cannot be less than what was given already."), field="budget_total")
    if promotion.uses_limit is not None and promotion.uses_limit < (promotion.uses_count or 0):
        raise DomainError(_("The limit cannot be less than the uses so far."), field="uses_limit")
    changes = audit.changes_of(promotion) if not created else {"name": [None, name], "kind": [None, kind]}
    db.session.flush()
    audit.record(actor, "promotion.created" if created else "promotion.changed", promotion, label=name,
                 changes=changes)
    return promotion


def set_status(actor, promotion: Promotion, status: str) -> Promotion:
    """Publish (active), pause, resume or end a promotion; illegal moves change nothing."""
    PROMOTION_STATES.check(promotion.status, status)
    before, promotion.status = promotion.status, status
    audit.record(actor, "promotion.status", promotion, label=promotion.name, changes={"status": [before, status]})
    return promotion
