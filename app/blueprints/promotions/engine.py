"""The pricing pipeline's arithmetic, on plain values (no database): the loader in
`promotions.pricing` reads the cart, the member, the live promotions and coupons, and hands
them here.

Stages, in order, each on the amounts the stage before left:

1. member  — the unit price is the member-level or ladder price (catalog's price rule); a level
             discount percentage (members' level benefit) takes its share of each line;
2. item    — the best item promotion per line (limited-time discount, flash price);
3. order   — 满减, 满折, N 件 M 折 and 满赠 over the eligible goods amount: one rule per stacking
             group, an exclusive rule alone (when it gives more than the rules that combine);
4. coupon  — the shopper's coupons (amount off, percent off with a cap, free shipping);
5. points  — points as a deduction, capped at a share of what is left;
6. shipping — 包邮: the freight is waived by a promotion, the member's level or a coupon.

Every amount is integer minor units. A percentage is taken of the amount at its own stage
(what earlier stages left), never of the undiscounted total. A discount is spread over its
eligible lines in proportion to what they still cost, exactly to the unit, and never takes a
line below its floor (its cost, unless the rule allows selling below cost). Rules that did not
apply are listed with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

STAGES = ("member", "item", "order", "coupon", "points", "shipping")
# the price a flash-sale claim or a group buy sets: the rule's key and kind in the breakdown
SPECIAL_PRICES = {"flash": "flash_price", "group": "group_price"}
ORDER_KINDS = ("amount_off", "percent_off", "nth_discount", "gift")


@dataclass
class Item:
    """A cart line as the pipeline needs it."""

    sku_id: int
    product_id: int
    quantity: int
    unit_price: int            # after the member / ladder price
    cost_price: int = 0
    category_id: int | None = None
    brand_id: int | None = None
    title: str = ""
    label: str = ""
    list_price: int = 0
    price_rule: str = "sale"   # catalog's rule code ("sale", "member:<level>", "ladder:<n>")


@dataclass
class Rule:
    """A promotion or a coupon, as of now."""

    key: str                   # "p:<id>" for promotions, "c:<id>" for coupons, "draft" in the simulator
    name: str
    kind: str
    params: dict = field(default_factory=dict)
    target_type: str = "all"
    target_ids: tuple = ()
    exclude_product_ids: tuple = ()
    level_codes: tuple = ()
    segment_ids: tuple = ()
    stack_group: str = ""
    exclusive: bool = False
    allow_below_cost: bool = False
    priority: int = 100
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    budget_left: int | None = None     # None: no budget cap
    uses_left: int | None = None
    member_uses_left: int | None = None
    combinable: bool = True            # coupons: with order promotions
    source: str = "promotion"          # promotion | coupon | flash | level
    seq: int = 0                       # ties of priority go by this (the promotion's id: older first)

    @property
    def stage(self) -> str:
        if self.source == "coupon":
            return "coupon"
        if self.kind in ("item_discount", "flash_price", "group_price"):
            return "item"
        if self.kind == "free_shipping":
            return "shipping"
        return "order"

    def targets(self, item: Item) -> bool:
        if item.product_id in self.exclude_product_ids:
            return False
        ids = self.target_ids
        return {"all": True, "categories": item.category_id in ids, "brands": item.brand_id in ids,
                "products": item.product_id in ids, "skus": item.sku_id in ids}.get(self.target_type, False)


@dataclass
class Shopper:
    member_id: int | None = None
    level_code: str = ""
    level_name: str = ""
    segment_ids: tuple = ()
    level_discount_percent: int | None = None   # a level discount taken at the member stage (None: none)
    level_price_percent: int = 100              # the level's price as a percent of the sale price (the
                                                # catalog's price rule applies it in the unit price)
    free_shipping: bool = False
    points_balance: int = 0
    points_rule: dict | None = None              # {"value_per_100": 100, "max_percent": 50} or None


@dataclass
class Line:
    item: Item
    base: int                   # unit price × quantity
    floor: int                  # cost × quantity
    discount: int = 0
    steps: list = field(default_factory=list)   # [(rule key, amount)]

    @property
    def amount(self) -> int:
        return self.base - self.discount


@dataclass
class Step:
    key: str
    name: str
    kind: str
    stage: str
    amount: int
    note: dict = field(default_factory=dict)


@dataclass
class Skip:
    key: str
    name: str
    stage: str
    reason: str
    params: dict = field(default_factory=dict)


@dataclass
class Result:
    lines: list[Line]
    steps: list[Step]
    skipped: list[Skip]
    shipping_fee: int            # before shipping promotions
    shipping_discount: int = 0
    points_used: int = 0
    gifts: list = field(default_factory=list)    # [(rule key, sku id, quantity)]

    @property
    def goods_total(self) -> int:
        return sum(line.base for line in self.lines)

    @property
    def discount_total(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def points_amount(self) -> int:
        return sum(s.amount for s in self.steps if s.stage == "points")

    @property
    def shipping_payable(self) -> int:
        return self.shipping_fee - self.shipping_discount

    @property
    def payable(self) -> int:
        return self.goods_total - self.discount_total + self.shipping_payable

    def applied(self) -> list[Step]:
        return [s for s in self.steps if s.amount > 0 or s.kind == "gift"]


# --- spreading a discount over lines ------------------------------------------------------------

def split(amount: int, weights: list[int]) -> list[int]:
    """`amount` split in proportion to `weights`, exactly (largest remainders, then first lines)."""
    total = sum(weights)
    if total <= 0 or amount <= 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    rest = amount - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[:rest]:
        shares[i] += 1
    return shares


def spread(amount: int, weights: list[int], caps: list[int]) -> list[int]:
    """Split `amount` in proportion to `weights` without any share above its cap; what a capped
    line cannot take goes to the others. The shares add up to min(amount, sum(caps))."""
    caps = [max(0, c) for c in caps]
    shares = [0] * len(weights)
    remaining = min(amount, sum(caps))
    active = [i for i in range(len(weights)) if caps[i] > 0]
    while remaining > 0 and active:
        w = [max(weights[i], 1) for i in active]
        proposal = split(remaining, w)
        over = [(i, p) for i, p in zip(active, proposal) if shares[i] + p > caps[i]]
        if not over:
            for i, p in zip(active, proposal):
                shares[i] += p
            break
        for i, _p in over:
            remaining -= caps[i] - shares[i]
            shares[i] = caps[i]
        full = {i for i, _p in over}
        active = [i for i in active if i not in full]
    return shares


def _floor(line: Line, rule: Rule) -> int:
    return 0 if rule.allow_below_cost else line.floor


def _take(lines: list[Line], rule: Rule, amount: int, stage: str) -> int:
    """Spread `amount` of `rule` over `lines`; returns what they could take."""
    shares = spread(amount, [l.amount for l in lines], [l.amount - _floor(l, rule) for l in lines])
    for line, share in zip(lines, shares):
        if share:
            line.discount += share
            line.steps.append((rule.key, share))
    return sum(shares)


def _pay_percent(amount: int, percent: int) -> int:
    """The discount when paying `percent` % of `amount` (the discount rounds down: the shop never
    gives away a fraction of a unit more than it said)."""
    percent = max(0, min(100, int(percent)))
    return amount * (100 - percent) // 100


# --- eligibility ----------------------------------------------------------------------------------

def _why_not(rule: Rule, shopper: Shopper, now: datetime) -> tuple[str, dict] | None:
    if rule.starts_at is not None and now < rule.starts_at:
        return "not_started", {"at": rule.starts_at.isoformat()}
    if rule.ends_at is not None and now >= rule.ends_at:
        return "ended", {"at": rule.ends_at.isoformat()}
    if rule.level_codes and shopper.level_code not in rule.level_codes:
        return "level", {}
    if rule.segment_ids and not set(rule.segment_ids) & set(shopper.segment_ids):
        return "segment", {}
    if rule.budget_left is not None and rule.budget_left <= 0:
        return "budget", {}
    if rule.uses_left is not None and rule.uses_left <= 0:
        return "uses", {}
    if rule.member_uses_left is not None and rule.member_uses_left <= 0:
        return "member_limit", {}
    return None


def _desired(rule: Rule, eligible: list[Line], start_amount: int) -> tuple[int | None, dict]:
    """What an order-stage rule would take from `eligible` (None: its condition is not met),
    with the threshold judged on `start_amount` (the eligible amount when the stage began)."""
    amount = sum(l.amount for l in eligible)
    p = rule.params
    if rule.kind == "amount_off":
        tiers = sorted(((int(t), int(o)) for t, o in p.get("tiers", [])), reverse=True)
        for threshold, off in tiers:
            if start_amount >= threshold:
                times = start_amount // threshold if p.get("repeat") and threshold > 0 else 1
                return min(off * times, amount), {"threshold": threshold, "times": times}
        return None, {"threshold": tiers[-1][0] if tiers else 0}
    if rule.kind == "percent_off":
        tiers = sorted(((int(t), int(pc)) for t, pc in p.get("tiers", [])), reverse=True)
        for threshold, percent in tiers:
            if start_amount >= threshold:
                return _pay_percent(amount, percent), {"threshold": threshold, "percent": percent, "of": amount}
        return None, {"threshold": tiers[-1][0] if tiers else 0}
    if rule.kind == "nth_discount":
        pieces = sum(l.item.quantity for l in eligible)
        count, percent = int(p.get("count", 2)), int(p.get("percent", 100))
        if pieces < count:
            return None, {"count": count, "pieces": pieces}
        return _pay_percent(amount, percent), {"count": count, "percent": percent, "of": amount}
    if rule.kind == "gift":
        threshold = int(p.get("threshold", 0))
        if start_amount < threshold:
            return None, {"threshold": threshold}
        return 0, {"threshold": threshold, "sku_id": p.get("sku_id"), "quantity": int(p.get("quantity", 1))}
    return None, {}


# --- the pipeline ---------------------------------------------------------------------------------

def run(items: list[Item], rules: list[Rule], shopper: Shopper, now: datetime, shipping_fee: int = 0,
        coupons: list[Rule] = (), points: int = 0, flash_prices: dict | None = None,
        gift_available=lambda sku_id, quantity: True, special: str = "flash") -> Result:
    """Price `items` under `rules` (live promotions) and the shopper's chosen `coupons` and
    `points`; `flash_prices` {sku id: unit price} are the prices a flash-sale claim or a group
    buy sets, and `special` names which ("flash" or "group": the rule's key in the breakdown)."""
    lines = [Line(item, item.unit_price * item.quantity, item.cost_price * item.quantity) for item in items]
    result = Result(lines, [], [], shipping_fee)
    live: list[Rule] = []
    for rule in sorted(rules, key=lambda r: (STAGES.index(r.stage), r.priority, r.seq, r.key)):
        why = _why_not(rule, shopper, now)
        if why is not None:
            result.skipped.append(Skip(rule.key, rule.name, rule.stage, why[0], why[1]))
        else:
            live.append(rule)

    _member_stage(result, shopper)
    _item_stage(result, [r for r in live if r.stage == "item"], flash_prices or {}, special)
    order_applied = _order_stage(result, [r for r in live if r.stage == "order"], gift_available)
    free_by_coupon = _coupon_stage(result, list(coupons), shopper, now, order_applied)
    _points_stage(result, shopper, points)
    _shipping_stage(result, [r for r in live if r.stage == "shipping"], shopper, free_by_coupon)
    return result


def _member_stage(result: Result, shopper: Shopper) -> None:
    percent = shopper.level_discount_percent
    if percent is None or percent >= 100 or not result.lines:
        return
    rule = Rule("level", shopper.level_name or shopper.level_code, "level_discount", source="level")
    total = 0
    for line in result.lines:
        if line.item.price_rule.startswith("member:"):
            continue   # a member price set on the SKU already is this level's price
        total += _take([line], rule, _pay_percent(line.amount, percent), "member")
    result.steps.append(Step("level", rule.name, "level_discount", "member", total, {"percent": percent}))


def _item_stage(result: Result, rules: list[Rule], flash_prices: dict, special: str = "flash") -> None:
    if special not in SPECIAL_PRICES:
        raise ValueError(f"unknown special price {special!r}")
    chosen: dict[int, tuple[Rule, int]] = {}     # line index -> (rule, discount)
    for index, line in enumerate(result.lines):
        flash = flash_prices.get(line.item.sku_id)
        if flash is not None:
            rule = Rule(special, special, SPECIAL_PRICES[special], allow_below_cost=True, source="flash")
            chosen[index] = (rule, max(0, line.amount - flash * line.item.quantity))
            continue
        for rule in rules:
            if not rule.targets(line.item):
                continue
            if "price" in rule.params:
                want = max(0, line.amount - int(rule.params["price"]) * line.item.quantity)
            else:
                want = _pay_percent(line.amount, int(rule.params.get("percent", 100)))
            want = max(0, min(want, line.amount - _floor(line, rule)))   # a line priced below cost takes nothing
            if want > 0 and (index not in chosen or want > chosen[index][1]):
                chosen[index] = (rule, want)
    by_rule: dict[str, list] = {}
    for index, (rule, want) in chosen.items():
        by_rule.setdefault(rule.key, [rule, []])[1].append((index, want))
    applied = set()
    for key, (rule, wants) in by_rule.items():
        total = sum(w for _i, w in wants)
        if rule.budget_left is not None and total > rule.budget_left:
            shares = spread(rule.budget_left, [w for _i, w in wants], [w for _i, w in wants])
        else:
            shares = [w for _i, w in wants]
        taken = 0
        for (index, _w), share in zip(wants, shares):
            taken += _take([result.lines[index]], rule, share, "item")
        if taken or rule.source == "flash":
            name = rule.name
            result.steps.append(Step(key, name, rule.kind, "item", taken,
                                     {"lines": len(wants), "capped": taken < total}))
            applied.add(key)
    for rule in rules:
        if rule.key in applied:
            continue
        if not any(rule.targets(l.item) for l in result.lines):
            result.skipped.append(Skip(rule.key, rule.name, "item", "no_items"))
        elif any(rule.targets(l.item) and l.amount <= _floor(l, rule) for l in result.lines):
            result.skipped.append(Skip(rule.key, rule.name, "item", "floor"))
        else:
            result.skipped.append(Skip(rule.key, rule.name, "item", "better_item"))


def _order_stage(result: Result, rules: list[Rule], gift_available) -> bool:
    """Returns whether any order promotion applied (coupons that do not combine look at it)."""
    start = {r.key: sum(l.amount for l in result.lines if r.targets(l.item)) for r in rules}
    candidates = []
    for rule in rules:
        eligible = [l for l in result.lines if rule.targets(l.item)]
        if not eligible:
            result.skipped.append(Skip(rule.key, rule.name, "order", "no_items"))
            continue
        want, note = _desired(rule, eligible, start[rule.key])
        if want is None:
            result.skipped.append(Skip(rule.key, rule.name, "order", "threshold", note))
            continue
        if rule.kind == "gift" and not gift_available(note.get("sku_id"), note.get("quantity", 1)):
            result.skipped.append(Skip(rule.key, rule.name, "order", "gift_gone"))
            continue
        candidates.append((rule, want))
    # one rule per stacking group: the one that gives the most
    best_in_group: dict[str, tuple[Rule, int]] = {}
    for rule, want in candidates:
        if rule.stack_group:
            held = best_in_group.get(rule.stack_group)
            if held is None or want > held[1]:
                best_in_group[rule.stack_group] = (rule, want)
    kept = []
    for rule, want in candidates:
        held = best_in_group.get(rule.stack_group) if rule.stack_group else None
        if held is not None and held[0] is not rule:
            result.skipped.append(Skip(rule.key, rule.name, "order", "group", {"by": held[0].name}))
        else:
            kept.append((rule, want))
    exclusive = [c for c in kept if c[0].exclusive]
    combined = [c for c in kept if not c[0].exclusive]
    if exclusive:
        best = max(exclusive, key=lambda c: c[1])
        others = sum(w for _r, w in combined)
        if best[1] >= others:
            for rule, _w in kept:
                if rule is not best[0]:
                    result.skipped.append(Skip(rule.key, rule.name, "order", "exclusive", {"by": best[0].name}))
            kept = [best]
        else:
            for rule, _w in exclusive:
                result.skipped.append(Skip(rule.key, rule.name, "order", "combination_better"))
            kept = combined
    applied = False
    for rule, _want in kept:
        eligible = [l for l in result.lines if rule.targets(l.item)]
        want, note = _desired(rule, eligible, start[rule.key])   # again: on what the rules before left
        if rule.kind == "gift":
            result.gifts.append((rule.key, note["sku_id"], note["quantity"]))
            result.steps.append(Step(rule.key, rule.name, rule.kind, "order", 0, note))
            applied = True
            continue
        if rule.budget_left is not None:
            note["budget_capped"] = want > rule.budget_left
            want = min(want, rule.budget_left)
        taken = _take(eligible, rule, want, "order")
        if taken == 0:
            result.skipped.append(Skip(rule.key, rule.name, "order", "floor"))
            continue
        if taken < want:
            note["floor_capped"] = True
        note["exclusive"] = rule.exclusive
        result.steps.append(Step(rule.key, rule.name, rule.kind, "order", taken, note))
        applied = True
    return applied


def _coupon_stage(result: Result, coupons: list[Rule], shopper: Shopper, now: datetime,
                  order_applied: bool) -> Rule | None:
    """Returns the coupon that makes shipping free, if any."""
    free_shipping, used_money = None, False
    exclusive_used = next((s for s in result.steps if s.stage == "order" and s.key.startswith("p:")
                           and s.note.get("exclusive")), None)
    for coupon in coupons:
        why = _why_not(coupon, shopper, now)
        if why is not None:
            result.skipped.append(Skip(coupon.key, coupon.name, "coupon", why[0], why[1]))
            continue
        if exclusive_used is not None:
            result.skipped.append(Skip(coupon.key, coupon.name, "coupon", "exclusive", {"by": exclusive_used.name}))
            continue
        if not coupon.combinable and order_applied:
            result.skipped.append(Skip(coupon.key, coupon.name, "coupon", "not_combinable"))
            continue
        eligible = [l for l in result.lines if coupon.targets(l.item)]
        amount = sum(l.amount for l in eligible)
        threshold = int(coupon.params.get("threshold", 0))
        if not eligible:
            result.skipped.append(Skip(coupon.key, coupon.name, "coupon", "no_items"))
            continue
        if amount < threshold or amount == 0:
            result.skipped.append(Skip(coupon.key, coupon.name, "coupon", "threshold", {"threshold": threshold}))
            continue
        if coupon.kind == "free_shipping":
            if free_shipping is not None:
                result.skipped.append(Skip(coupon.key, coupon.name, "coupon", "one_coupon"))
                continue
            free_shipping = coupon
            result.steps.append(Step(coupon.key, coupon.name, coupon.kind, "coupon", 0, {"threshold": threshold}))
            continue
        if used_money:
            result.skipped.append(Skip(coupon.key, coupon.name, "coupon", "one_coupon"))
            continue
        if coupon.kind == "amount_off":
            want = min(int(coupon.params.get("amount", 0)), amount)
        else:
            want = _pay_percent(amount, int(coupon.params.get("percent", 100)))
            cap = coupon.params.get("max_discount")
            if cap is not None:
                want = min(want, int(cap))
        taken = _take(eligible, coupon, want, "coupon")
        if taken == 0:
            result.skipped.append(Skip(coupon.key, coupon.name, "coupon", "floor"))
            continue
        used_money = True
        result.steps.append(Step(coupon.key, coupon.name, coupon.kind, "coupon", taken,
                                 {"threshold": threshold, "of": amount, "floor_capped": taken < want}))
    return free_shipping


def _points_stage(result: Result, shopper: Shopper, points: int) -> None:
    rule = shopper.points_rule
    if points <= 0:
        return
    if not rule:
        result.skipped.append(Skip("points", "points", "points", "points_off"))
        return
    value = max(1, int(rule.get("value_per_100", 100)))          # minor units 100 points are worth
    max_percent = max(0, min(100, int(rule.get("max_percent", 100))))
    points = min(points, max(0, shopper.points_balance))
    left = sum(l.amount for l in result.lines)
    cap = left * max_percent // 100
    amount = min(points * value // 100, cap)
    points_rule = Rule("points", "points", "points", allow_below_cost=True, source="points")
    taken = _take(result.lines, points_rule, amount, "points")
    used = min(-(-taken * 100 // value), points)                # the points that pay what was taken
    result.points_used = used if taken else 0
    result.steps.append(Step("points", "points", "points", "points", taken,
                             {"points": result.points_used, "cap_percent": max_percent}))


def _shipping_stage(result: Result, rules: list[Rule], shopper: Shopper, coupon: Rule | None) -> None:
    fee = result.shipping_fee
    waiver = None
    if coupon is not None:
        waiver = Step(coupon.key, coupon.name, "free_shipping", "shipping", fee, {"coupon": True})
    elif shopper.free_shipping:
        waiver = Step("level", shopper.level_name or shopper.level_code, "level_free_shipping", "shipping", fee)
    for rule in rules:
        eligible = sum(l.amount for l in result.lines if rule.targets(l.item))
        threshold = int(rule.params.get("threshold", 0))
        if waiver is not None:
            result.skipped.append(Skip(rule.key, rule.name, "shipping", "already_free"))
        elif eligible == 0 or eligible < threshold:
            result.skipped.append(Skip(rule.key, rule.name, "shipping", "threshold", {"threshold": threshold}))
        else:
            amount = fee if rule.budget_left is None else min(fee, rule.budget_left)
            waiver = Step(rule.key, rule.name, "free_shipping", "shipping", amount, {"threshold": threshold})
    if waiver is not None and fee > 0 and waiver.amount > 0:
        result.shipping_discount = waiver.amount
        result.steps.append(waiver)
