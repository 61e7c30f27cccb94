"""The pricing pipeline's arithmetic, over random carts and promotion sets (hypothesis): the
payable is never negative, no line goes below its floor, line discounts add up to the order's
discount, and a percentage is taken of what its stage started with (saleor#17453: a percentage
voucher computed on the undiscounted total gave orders away)."""
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from app.blueprints.promotions import engine

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)


@st.composite
def carts(draw):
    n = draw(st.integers(1, 8))
    items = []
    for i in range(n):
        price = draw(st.integers(0, 50_000))
        cost = draw(st.integers(0, price + 5_000))
        items.append(engine.Item(sku_id=i + 1, product_id=i + 1, quantity=draw(st.integers(1, 9)), unit_price=price,
                                 cost_price=cost, category_id=draw(st.sampled_from([1, 2, 3])),
                                 brand_id=draw(st.sampled_from([None, 7, 8]))))
    return items


@st.composite
def rule_sets(draw):
    rules = []
    for i in range(draw(st.integers(0, 7))):
        kind = draw(st.sampled_from(["item_discount", "amount_off", "percent_off", "nth_discount", "free_shipping"]))
        if kind == "item_discount":
            params = draw(st.sampled_from([{"percent": draw(st.integers(1, 99))}, {"price": draw(st.integers(0, 30_000))}]))
        elif kind == "amount_off":
            params = {"tiers": [[t, draw(st.integers(1, max(1, t)))] for t in
                                draw(st.lists(st.integers(0, 100_000), min_size=1, max_size=3, unique=True))],
                      "repeat": draw(st.booleans())}
        elif kind == "percent_off":
            params = {"tiers": [[t, draw(st.integers(1, 99))] for t in
                                draw(st.lists(st.integers(0, 100_000), min_size=1, max_size=3, unique=True))]}
        elif kind == "nth_discount":
            params = {"count": draw(st.integers(2, 5)), "percent": draw(st.integers(1, 99))}
        else:
            params = {"threshold": draw(st.integers(0, 50_000))}
        target = draw(st.sampled_from([("all", ()), ("categories", (1,)), ("brands", (7,)), ("products", (1, 2))]))
        rules.append(engine.Rule(f"p:{i + 1}", f"rule {i + 1}", kind, params, target[0], target[1],
                                 stack_group=draw(st.sampled_from(["", "", "a"])), exclusive=draw(st.booleans()),
                                 allow_below_cost=draw(st.booleans()), priority=draw(st.integers(0, 3)),
                                 budget_left=draw(st.one_of(st.none(), st.integers(0, 20_000)))))
    return rules


@st.composite
def coupon_sets(draw):
    out = []
    for i in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["amount_off", "percent_off", "free_shipping"]))
        out.append(engine.Rule(f"c:{i + 1}", f"coupon {i + 1}", kind,
                               {"threshold": draw(st.integers(0, 60_000)), "amount": draw(st.integers(1, 30_000)),
                                "percent": draw(st.integers(1, 99)),
                                "max_discount": draw(st.one_of(st.none(), st.integers(1, 10_000)))},
                               combinable=draw(st.booleans()), source="coupon"))
    return out


def _run(items, rules, coupons=(), shipping=1_000, points=0, shopper=None):
    return engine.run(items, rules, shopper or engine.Shopper(), NOW, shipping, list(coupons), points)


@settings(max_examples=400, deadline=None)
@given(carts(), rule_sets(), coupon_sets(), st.integers(0, 3_000), st.integers(0, 100_000))
def test_any_cart_under_any_promotions_keeps_the_invariants(items, rules, coupons, shipping, points):
    shopper = engine.Shopper(member_id=1, points_balance=points, points_rule={"value_per_100": 100, "max_percent": 50})
    result = _run(items, rules, coupons, shipping, points, shopper)
    assert result.payable >= 0
    assert result.shipping_payable >= 0
    assert sum(l.discount for l in result.lines) == result.discount_total
    # every applied step is exactly the sum of what it took from the lines
    for step in result.steps:
        if step.stage != "shipping":
            assert step.amount == sum(a for l in result.lines for k, a in l.steps if k == step.key)
    assert result.discount_total == sum(s.amount for s in result.steps if s.stage != "shipping")
    by_key = {r.key: r for r in rules}
    for line in result.lines:
        assert 0 <= line.discount <= line.base
        below_cost_allowed = any(by_key.get(k) is not None and by_key[k].allow_below_cost or k == "points"
                                 for k, _a in line.steps)
        if not below_cost_allowed:
            assert line.amount >= min(line.floor, line.base), "a line went below its cost"
    # budgets are never exceeded
    for rule in rules:
        taken = sum(s.amount for s in result.steps if s.key == rule.key)
        if rule.budget_left is not None:
            assert taken <= rule.budget_left


@settings(max_examples=300, deadline=None)
@given(carts(), st.integers(1, 99), st.integers(1, 99), st.integers(1, 99))
def test_a_percentage_is_taken_of_the_amount_its_stage_started_with(items, item_pct, order_pct, coupon_pct):
    for item in items:
        item.cost_price = 0
    rules = [engine.Rule("p:1", "item", "item_discount", {"percent": item_pct}),
             engine.Rule("p:2", "order", "percent_off", {"tiers": [[0, order_pct]]})]
    coupon = engine.Rule("c:1", "coupon", "percent_off", {"percent": coupon_pct}, source="coupon")
    result = _run(items, rules, [coupon])
    goods = result.goods_total
    item_taken = sum(s.amount for s in result.steps if s.stage == "item")
    after_item = goods - item_taken
    order_taken = sum(s.amount for s in result.steps if s.stage == "order")
    after_order = after_item - order_taken
    coupon_taken = sum(s.amount for s in result.steps if s.stage == "coupon")
    assert order_taken == after_item * (100 - order_pct) // 100
    assert coupon_taken == after_order * (100 - coupon_pct) // 100
    # never the percentage of the undiscounted goods (what saleor#17453 did)
    assert result.payable == after_order - coupon_taken + result.shipping_payable
    assert result.payable >= 0


def test_300_minus_30_applies_once_reached_and_says_why_not_below():
    items = [engine.Item(1, 1, 2, 10_000), engine.Item(2, 2, 1, 9_000)]
    rule = engine.Rule("p:1", "满300减30", "amount_off", {"tiers": [[30_000, 3_000]]})
    below = _run(items, [rule], shipping=0)
    assert below.discount_total == 0
    assert [(s.key, s.reason) for s in below.skipped] == [("p:1", "threshold")]
    items[1].unit_price = 10_000
    reached = _run(items, [rule], shipping=0)
    assert reached.discount_total == 3_000 and reached.payable == 27_000
    assert [l.discount for l in reached.lines] == [2_000, 1_000]   # in proportion, exactly


def test_the_better_of_an_exclusive_rule_and_the_rules_that_combine_applies():
    items = [engine.Item(1, 1, 1, 40_000)]
    a = engine.Rule("p:1", "满300减30", "amount_off", {"tiers": [[30_000, 3_000]]})
    b = engine.Rule("p:2", "9折", "percent_off", {"tiers": [[0, 90]]})
    big = engine.Rule("p:3", "exclusive 100 off", "amount_off", {"tiers": [[0, 10_000]]}, exclusive=True)
    result = _run(items, [a, b, big], shipping=0)
    assert [s.key for s in result.applied()] == ["p:3"]
    assert {s.key: s.reason for s in result.skipped} == {"p:1": "exclusive", "p:2": "exclusive"}
    small = engine.Rule("p:3", "exclusive 10 off", "amount_off", {"tiers": [[0, 1_000]]}, exclusive=True)
    result = _run(items, [a, b, small], shipping=0)
    assert [s.key for s in result.applied()] == ["p:1", "p:2"]
    assert result.discount_total == 3_000 + 3_700        # 10 % of what 满减 left (37,000)
    assert {s.key: s.reason for s in result.skipped} == {"p:3": "combination_better"}


def test_one_rule_per_stacking_group_and_an_exclusive_rule_blocks_coupons():
    items = [engine.Item(1, 1, 1, 40_000)]
    a = engine.Rule("p:1", "A", "amount_off", {"tiers": [[0, 2_000]]}, stack_group="g")
    b = engine.Rule("p:2", "B", "amount_off", {"tiers": [[0, 5_000]]}, stack_group="g")
    result = _run(items, [a, b], shipping=0)
    assert [s.key for s in result.applied()] == ["p:2"]
    assert result.skipped[0].reason == "group"
    ex = engine.Rule("p:3", "X", "amount_off", {"tiers": [[0, 9_000]]}, exclusive=True)
    coupon = engine.Rule("c:1", "C", "amount_off", {"amount": 500}, source="coupon")
    result = _run(items, [ex], [coupon], shipping=0)
    assert ("c:1", "exclusive") in [(s.key, s.reason) for s in result.skipped]
    uncombinable = engine.Rule("c:2", "C2", "amount_off", {"amount": 500}, source="coupon", combinable=False)
    result = _run(items, [a], [uncombinable], shipping=0)
    assert ("c:2", "not_combinable") in [(s.key, s.reason) for s in result.skipped]


def test_the_margin_floor_keeps_a_line_at_its_cost_unless_the_rule_allows_less():
    items = [engine.Item(1, 1, 1, 10_000, cost_price=8_000), engine.Item(2, 2, 1, 10_000, cost_price=0)]
    rule = engine.Rule("p:1", "half off", "percent_off", {"tiers": [[0, 50]]})
    result = _run(items, [rule], shipping=0)
    assert result.discount_total == 10_000                # what the rule gives in all
    assert [l.amount for l in result.lines] == [8_000, 2_000]   # the first line stops at its cost
    rule.allow_below_cost = True
    assert [l.amount for l in _run(items, [rule], shipping=0).lines] == [5_000, 5_000]


def test_time_windows_budgets_and_member_limits_skip_with_their_reason():
    items = [engine.Item(1, 1, 1, 10_000)]
    rules = [engine.Rule("p:1", "later", "amount_off", {"tiers": [[0, 100]]}, starts_at=NOW + timedelta(minutes=1)),
             engine.Rule("p:2", "over", "amount_off", {"tiers": [[0, 100]]}, ends_at=NOW),
             engine.Rule("p:3", "spent", "amount_off", {"tiers": [[0, 100]]}, budget_left=0),
             engine.Rule("p:4", "used", "amount_off", {"tiers": [[0, 100]]}, member_uses_left=0),
             engine.Rule("p:5", "gold only", "amount_off", {"tiers": [[0, 100]]}, level_codes=("gold",)),
             engine.Rule("p:6", "some left", "amount_off", {"tiers": [[0, 900]]}, budget_left=250)]
    result = _run(items, rules, shipping=0)
    assert {s.key: s.reason for s in result.skipped} == {"p:1": "not_started", "p:2": "ended", "p:3": "budget",
                                                         "p:4": "member_limit", "p:5": "level"}
    assert result.discount_total == 250


def test_free_shipping_from_a_promotion_a_coupon_or_the_level_waives_the_freight_once():
    items = [engine.Item(1, 1, 1, 10_000)]
    ship = engine.Rule("p:1", "包邮", "free_shipping", {"threshold": 9_900})
    result = _run(items, [ship], shipping=800)
    assert (result.shipping_discount, result.payable) == (800, 10_000)
    gold = engine.Shopper(level_code="gold", free_shipping=True)
    result = _run(items, [ship], shipping=800, shopper=gold)
    assert result.shipping_discount == 800 and result.skipped[0].reason == "already_free"
    assert _run(items, [engine.Rule("p:1", "包邮", "free_shipping", {"threshold": 20_000})], shipping=800).payable == 10_800


def test_points_are_capped_at_a_share_of_what_is_left():
    items = [engine.Item(1, 1, 1, 10_000)]
    shopper = engine.Shopper(member_id=1, points_balance=100_000, points_rule={"value_per_100": 100, "max_percent": 30})
    result = _run(items, [], shipping=0, points=50_000, shopper=shopper)
    assert result.points_amount == 3_000 and result.points_used == 3_000 and result.payable == 7_000
    off = _run(items, [], shipping=0, points=500, shopper=engine.Shopper(member_id=1))
    assert off.points_used == 0 and off.skipped[0].reason == "points_off"


def test_spread_never_exceeds_a_cap_and_adds_up_exactly():
    assert engine.spread(100, [1, 1, 1], [10, 100, 100]) == [10, 45, 45]
    assert sum(engine.spread(7, [3, 3, 3], [9, 9, 9])) == 7
    assert engine.spread(1000, [5, 5], [3, 4]) == [3, 4]
