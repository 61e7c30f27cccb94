"""Ledger properties over random sequences of receipts, returns, paid orders, shipments,
refunds by amount or by lines (some of which fail afterwards), supplier invoices and payments,
each event delivered once or twice, then every order refunded in full: the ledger always
balances, every account's summary equals the sum of its postings, each SKU's value follows the
moving average and the inventory account equals it, and each order's revenue, promotion and
coupon discounts and points cost are back to zero."""
import itertools
from unittest import mock

from hypothesis import HealthCheck, example, given, note, settings, strategies as st
from sqlalchemy import func, select

from app.blueprints.finance import handlers, services
from app.blueprints.finance.models import Account, AccountDay, Entry, Line, SkuCost
from app.blueprints.orders.queries import PostingLine, PostingOrder
from tests import factories as f
from tests.finance.conftest import deliver

SKUS = (910001, 910002, 910003)            # ids no catalog row has: the handlers fall back to cost 0
_ids = itertools.count(1)

sku = st.integers(0, len(SKUS) - 1)
step = st.one_of(
    st.tuples(st.just("receive"), sku, st.integers(1, 20), st.integers(0, 5000)),
    st.tuples(st.just("return"), sku, st.integers(1, 5)),
    st.tuples(st.just("order"), sku, st.integers(1, 5), st.integers(100, 10000), st.integers(0, 50), st.integers(0, 800),
              st.tuples(st.integers(0, 100), st.integers(0, 100), st.integers(0, 100))),
    st.tuples(st.just("ship"), st.integers(0, 20), st.integers(1, 5)),
    st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 100), st.integers(0, 5)),
    st.tuples(st.just("refund_fails"), st.integers(0, 20)),
    st.tuples(st.just("invoice"), st.integers(1, 100000), st.integers(0, 13), st.integers(-500, 500)),
    st.tuples(st.just("pay_supplier"), st.integers(1, 100000)),
)


class World:
    """The other centers as the handlers see them, and a model of the moving average."""

    def __init__(self):
        self.orders, self.payments, self.refunds = {}, {}, {}
        self.shipped = {}                               # order id -> units shipped
        self.stock = {s: [0, 0] for s in SKUS}          # sku -> [quantity, value]
        self.refunded = {}                              # payment id -> refunded so far
        self.sources = {}                               # order id -> {sku: discount weights by source}
        self.refunded_units = {}                        # order id -> units refunded (by lines)
        self.returned = {}                              # order id -> shipped units refunded
        self.cancelled = {}                             # order id -> unshipped units refunded (never ship)

    def receive(self, s, q, unit):
        self.stock[s][0] += q
        self.stock[s][1] += q * unit

    def average(self, s):
        q, v = self.stock[s]
        return round(v / q) if q > 0 else self.last.get(s, 0)

    def issue(self, s, q):
        have, value = self.stock[s]
        if have >= q and have > 0:
            cost = value if have == q else round(value * q / have)
        else:
            valued = max(have, 0)
            unit = round(value / have) if have > 0 else self.last.get(s, 0)
            cost = (value if valued else 0) + unit * (q - valued)
        self.stock[s] = [have - q, value - cost]
        return cost


def _twice(store, fn, topic, payload, again: bool):
    event = deliver(store, fn, topic, payload)
    if again:
        deliver(store, fn, topic, payload, event_id=event.id)


def refund(store, world, n, payment, pct, units, again, everything=False):
    """Refund `units` more of the order's line (0: by amount alone) for `pct` % of their net
    price; `everything`: every unit and money left."""
    order = world.orders[payment["order_id"]]
    line = order.lines[0]
    left = payment["amount"] - world.refunded.get(payment["id"], 0)
    q = min(units, line.quantity - world.refunded_units.get(order.id, 0))
    if everything:
        amount = left
    elif q:
        amount = min(left, (line.unit_price * line.quantity - line.discount) * q // line.quantity * pct // 100)
    else:
        amount = min(left, max(1, left * pct // 100))
    if not (q or amount > 0):
        return
    shipped = world.shipped.get(order.id, 0) - world.returned.get(order.id, 0)
    returned = min(q, shipped)
    world.refunds[n] = {"id": n, "request_id": f"R{n}", "amount": amount, "status": "succeeded",
                        "payment_id": payment["id"], "payment_number": payment["number"], "order_id": order.id,
                        "gateway": "sandbox", "currency": "CNY", "units": (q, returned, q - returned),
                        "lines": {str(line.id): {"quantity": q, "amount": amount}} if q else {}}
    world.refunded[payment["id"]] = world.refunded.get(payment["id"], 0) + amount
    world.refunded_units[order.id] = world.refunded_units.get(order.id, 0) + q
    world.returned[order.id] = world.returned.get(order.id, 0) + returned
    world.cancelled[order.id] = world.cancelled.get(order.id, 0) + q - returned
    _twice(store, handlers.post_refund, "refund.succeeded", {"refund_id": n}, again)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(step, st.booleans()), max_size=20))
# found by this test in a full run: ¥1 refunded by amount, the unit shipped (the parcel counted the ¥1
# as a sales return, the advance was gone), then the refund failed: its reversal put the ¥1 back in
# the advances while the return stayed, and refunding everything at the end returned ¥1 more than sold
@example(steps=[(("order", 0, 1, 100, 0, 0, (0, 0, 0)), False), (("refund", 0, 1, 0), False), (("ship", 0, 1), False),
                (("refund_fails", 0), False)])
@example(steps=[(("order", 0, 1, 100, 0, 5, (0, 0, 0)), False), (("refund", 0, 10, 0), True), (("ship", 0, 1), False),
                (("refund_fails", 0), True)])
# and one more: 4 units and a shipping fee of 1 fen, 3 shipped, 1 fen refunded by amount, the 4th
# shipped: that parcel counted the fen as a sales return though shipping income was still booked,
# so the full refund at the end returned 1 fen more than was sold and left the shipping income
@example(steps=[(("order", 0, 4, 100, 0, 1, (0, 0, 0)), False), (("ship", 0, 3), False), (("refund", 0, 1, 0), False),
                (("ship", 0, 1), False)])
def test_the_ledger_balances_and_inventory_follows_the_moving_average(module_store, steps):
    store = module_store
    note(f"steps={steps!r}")                           # shown in full when a case fails
    world = World()
    with f.bound(store) as session:                      # earlier examples' stock is the model's start
        for row in session.scalars(select(SkuCost).where(SkuCost.sku_id.in_(SKUS))):
            world.stock[row.sku_id] = [row.quantity, row.value]
        world.last = {row.sku_id: row.last_unit_cost for row in session.scalars(select(SkuCost))}
    with mock.patch.object(handlers.order_queries, "for_posting", lambda oid: world.orders.get(oid)), \
            mock.patch.object(handlers.payment_queries, "payment_snapshot", lambda pid: world.payments.get(pid)), \
            mock.patch.object(handlers.payment_queries, "refund_snapshot", lambda rid: world.refunds.get(rid)), \
            mock.patch.object(handlers.promotion_queries, "discount_sources", lambda oid: world.sources.get(oid, {})):
        for (kind, *args), again in steps:
            n = next(_ids)
            if kind == "receive":
                s, q, unit = SKUS[args[0]], args[1], args[2]
                _twice(store, handlers.post_inbound, "inbound.completed", {
                    "inbound_id": n, "number": f"IN{n}", "kind": "purchase", "supplier_id": 3, "currency": "CNY",
                    "lines": [{"sku_id": s, "quantity": q, "unit_cost": unit}]}, again)
                world.receive(s, q, unit)
                world.last[s] = unit
            elif kind == "return":
                s, q = SKUS[args[0]], args[1]
                unit = world.average(s)
                _twice(store, handlers.post_inbound, "inbound.completed", {
                    "inbound_id": n, "number": f"IN{n}", "kind": "return", "currency": "CNY",
                    "lines": [{"sku_id": s, "quantity": q, "unit_cost": None}]}, again)
                world.receive(s, q, unit)
                world.last[s] = unit
            elif kind == "order":
                s, q, price, pct, shipping, (promotion, coupon, points) = SKUS[args[0]], *args[1:]
                discount = price * q * pct // 100
                order_id = 10**9 + n
                world.orders[order_id] = PostingOrder(order_id, f"O{n}", "CNY", price * q, discount, shipping, 0,
                                                      price * q - discount + shipping,
                                                      (PostingLine(order_id, s, 1, "S", "t", price, q, discount),))
                world.sources[order_id] = {s: {"promotion": promotion, "coupon": coupon, "points": points}}
                world.payments[n] = {"id": n, "number": f"P{n}", "order_id": order_id, "currency": "CNY",
                                     "amount": price * q - discount + shipping, "gateway": "sandbox", "paid_at": None}
                _twice(store, handlers.post_payment, "payment.succeeded", {"payment_id": n, "from": "pending"}, again)
            elif kind == "ship" and world.orders:
                order = list(world.orders.values())[args[0] % len(world.orders)]
                line = order.lines[0]
                q = min(args[1], line.quantity - world.shipped.get(order.id, 0) - world.cancelled.get(order.id, 0))
                if q > 0:
                    _twice(store, handlers.post_parcel, "parcel.shipped", {
                        "notice_id": n, "notice_number": f"N{n}", "order_id": order.id,
                        "lines": [{"order_line_id": line.id, "sku_id": line.sku_id, "quantity": q}]}, again)
                    world.shipped[order.id] = world.shipped.get(order.id, 0) + q
                    world.issue(line.sku_id, q)
            elif kind == "refund" and world.payments:
                payment = list(world.payments.values())[args[0] % len(world.payments)]
                refund(store, world, n, payment, args[1], args[2], again)
            elif kind == "refund_fails" and world.refunds:
                r = list(world.refunds.values())[args[0] % len(world.refunds)]
                _twice(store, handlers.reverse_failed_refund, "refund.failed",
                       {"refund_id": r["id"], "from": "succeeded"}, again)
                if not r.get("failed"):
                    r["failed"] = True
                    world.refunded[r["payment_id"]] -= r["amount"]
                    o, (units, returned, cancelled) = r["order_id"], r["units"]
                    world.refunded_units[o] -= units
                    world.returned[o] -= returned
                    world.cancelled[o] -= cancelled
            elif kind == "invoice":
                amount, rate, variance = args
                tax = amount * rate // (100 + rate)
                _twice(store, handlers.post_supplier_invoice, "purchasing.invoice_matched", {
                    "invoice_id": n, "number": f"INV{n}", "supplier_id": 3, "amount": amount, "tax": tax,
                    "received_value": max(0, amount - tax - variance), "currency": "CNY"}, again)
            elif kind == "pay_supplier":
                _twice(store, handlers.post_supplier_payment, "purchasing.payment_recorded", {
                    "payment_id": n, "supplier_id": 3, "amount": args[0], "currency": "CNY"}, again)

        for payment in world.payments.values():           # every order refunded in full
            order = world.orders[payment["order_id"]]
            refund(store, world, next(_ids), payment, 100, order.lines[0].quantity, False, everything=True)

    with f.bound(store) as session:
        assert session.scalar(select(func.sum(Line.debit) - func.sum(Line.credit))) in (0, None)
        codes = dict(session.execute(select(Account.code, Account.id)).all())
        for order_id in world.orders:
            net = dict(session.execute(select(Line.account_id, func.sum(Line.debit - Line.credit))
                                       .where(Line.order_id == order_id).group_by(Line.account_id)).all())
            assert net.get(codes["6001"], 0) + net.get(codes["6001.02"], 0) == 0, order_id
            for code in ("6001.01", "6001.03", "6601.01"):
                assert net.get(codes[code], 0) == 0, (order_id, code)
        unbalanced = session.execute(select(Line.entry_id).group_by(Line.entry_id)
                                     .having(func.sum(Line.debit) != func.sum(Line.credit))).all()
        assert not unbalanced
        posted = dict(session.execute(select(Line.account_id, func.sum(Line.debit - Line.credit))
                                      .group_by(Line.account_id)).all())
        summary = dict(session.execute(select(AccountDay.account_id, func.sum(AccountDay.debit - AccountDay.credit))
                                       .group_by(AccountDay.account_id)).all())
        assert posted == summary
        assert session.scalar(select(func.count()).select_from(Entry).group_by(Entry.event_id, Entry.rule)
                              .having(func.count() > 1).limit(1)) is None          # redelivered: posted once
        costs = {row.sku_id: [row.quantity, row.value] for row in session.scalars(
            select(SkuCost).where(SkuCost.sku_id.in_(SKUS)))}
        for s in SKUS:
            assert costs.get(s, [0, 0]) == world.stock[s], s
        inventory = session.scalar(select(Account.id).where(Account.code == "1405"))
        assert posted.get(inventory, 0) == sum(v for _q, v in costs.values())


@given(discount=st.integers(0, 10**7), weights=st.dictionaries(st.sampled_from(("promotion", "coupon", "points")),
                                                               st.integers(0, 10**6)),
       quantity=st.integers(1, 50), parcels=st.lists(st.integers(1, 10), min_size=1, max_size=20))
def test_a_line_discount_split_by_source_and_shipped_in_any_parcels_adds_up_exactly(discount, weights, quantity,
                                                                                      parcels):
    parts = services.split(discount, weights, "promotion")
    assert sum(parts.values()) == discount and all(v >= 0 for v in parts.values())
    booked = {kind: 0 for kind in parts}
    shipped = 0
    for q in parcels:
        q = min(q, quantity - shipped)
        for kind, amount in parts.items():
            booked[kind] += services.unit_share(amount, quantity, shipped, q)
        shipped += q
    if shipped == quantity:                    # every unit shipped: each source booked exactly
        assert booked == parts
    else:                                      # part shipped: never more than the source gave
        assert all(0 <= booked[k] <= parts[k] for k in parts)


def test_money_refunded_before_shipping_is_not_taken_out_of_the_advances_again_by_the_parcel(module_store):
    """Found by the property above: 5 × 100 paid (with 1 of freight), 126 refunded by amount
    before shipping, then every unit ships, then the rest is refunded with the units. The parcel
    used to take the whole 501 out of advances that held 375, leaving the order's revenue and
    advances off by what was refunded first; now the first refund comes off the freight and the
    goods the parcel recognises, and the order ends at zero on every account."""
    store, world = module_store, World()
    n = next(_ids)
    order_id = 10**9 + n
    world.orders[order_id] = PostingOrder(order_id, f"O{n}", "CNY", 500, 0, 1, 0, 501,
                                          (PostingLine(order_id, SKUS[0], 1, "S", "t", 100, 5, 0),))
    payment = {"id": n, "number": f"P{n}", "order_id": order_id, "currency": "CNY", "amount": 501,
               "gateway": "sandbox", "paid_at": None}
    world.payments[n] = payment
    world.last = {}
    with mock.patch.object(handlers.order_queries, "for_posting", lambda oid: world.orders.get(oid)), \
            mock.patch.object(handlers.payment_queries, "payment_snapshot", lambda pid: world.payments.get(pid)), \
            mock.patch.object(handlers.payment_queries, "refund_snapshot", lambda rid: world.refunds.get(rid)), \
            mock.patch.object(handlers.promotion_queries, "discount_sources", lambda oid: {}):
        _twice(store, handlers.post_payment, "payment.succeeded", {"payment_id": n, "from": "pending"}, False)
        refund(store, world, next(_ids), payment, 25, 0, False)              # 126 by amount, no units
        line = world.orders[order_id].lines[0]
        _twice(store, handlers.post_parcel, "parcel.shipped", {
            "notice_id": next(_ids), "notice_number": "N", "order_id": order_id,
            "lines": [{"order_line_id": line.id, "sku_id": line.sku_id, "quantity": 5}]}, True)
        world.shipped[order_id] = 5
        refund(store, world, next(_ids), payment, 100, 5, False, everything=True)
    with f.bound(store) as session:
        codes = dict(session.execute(select(Account.id, Account.code)).all())
        net = {codes[a]: v for a, v in session.execute(select(Line.account_id, func.sum(Line.debit - Line.credit))
                                                        .where(Line.order_id == order_id)
                                                        .group_by(Line.account_id)).all()}
    assert world.refunded[n] == 501
    assert net.get("6001", 0) + net.get("6001.02", 0) == 0 and net.get("2203", 0) == 0, net
    assert net.get("6051", 0) == 0, net
