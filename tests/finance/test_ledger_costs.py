"""Costs the ledger books apart: a promotion, a coupon and points taken off one order line each
go to their own account, parcel by parcel, adding up exactly, and refunds of the units take
each back exactly (the points given back reverse their cost); a supplier invoice billing another
price than the receipt books a purchase price variance; goods returned to a supplier leave
inventory at the moving average and are owed back at their purchase price (against 暂估 before
the invoice, against the payable and its input VAT after), the difference a price variance."""
from datetime import date

from sqlalchemy import select

from app.blueprints.finance import handlers
from app.blueprints.finance.models import SkuCost
from app.blueprints.members import services as member_services
from app.blueprints.members.models import Member
from app.blueprints.promotions import coupons
from tests import factories as f
from tests.finance.conftest import balances, deliver, entries, legs, settle
from tests.promotions.conftest import promotion
from tests.purchasing.test_payables import _tolerances


def test_promotion_coupon_and_points_are_booked_apart_parcel_by_parcel_and_refunds_take_each_back(store):
    sku = f.sku(store, price=20_000, stock=10)
    promotion(store)                                                         # 满300减30
    member = f.member(store)
    with f.bound(store, request=True) as session:
        template = coupons.save_template(None, None, {"name": f.unique("券"), "kind": "amount_off", "amount": 2_000,
                                                      "threshold": 10_000, "quantity": 5, "per_member_limit": 1,
                                                      "valid_days": 7})
        coupon = coupons.claim_coupon(member.id, template.id)
        member_services.adjust_points(None, session.get(Member, member.id), 5_000, "活动奖励")
    order = f.order(store, lines=[(sku, 3)], member_obj=member, coupon_ids=[coupon.id], points=3_000,
                    delivery_method="pickup")
    (line,) = order.lines
    assert (order.goods_total, line.discount, order.shipping_fee) == (60_000, 8_000, 0)
    payment = f.payment(store, order)
    settle(store)
    for n, quantity in enumerate((1, 2)):                                    # two parcels: 1 unit, then 2
        deliver(store, handlers.post_parcel, "parcel.shipped", {
            "notice_id": 900 + n, "notice_number": f"N{n}", "order_id": order.id,
            "lines": [{"order_line_id": line.id, "sku_id": sku.id, "quantity": quantity}]})
    first, second = entries(store, rule="shipment")
    split = {code: d for code, d, _c in legs(first) if code in ("6001.01", "6001.03", "6601.01")}
    assert split == {"6001.01": 1_000, "6001.03": 666, "6601.01": 1_000}
    assert ("2203", 20_000 - 2_666, 0) in legs(first)
    totals = balances(store)
    assert (totals["6001.01"], totals["6001.03"], totals["6601.01"]) == (3_000, 2_000, 3_000)
    assert totals["6001"] == -60_000 and totals["2203"] == 0 and sum(totals.values()) == 0
    for units, amount in ((1, 17_334), (2, 34_666)):                      # the points come back with them
        refund = f.refund(store, payment, lines={line.id: (units, amount)})
        deliver(store, handlers.post_refund, "refund.succeeded", {"refund_id": refund.id, "order_id": order.id})
    first_refund = entries(store, rule="refund")[0]
    assert {code: c for code, _d, c in legs(first_refund) if code in ("6001.01", "6001.03", "6601.01")} == \
        {"6001.01": 1_000, "6001.03": 666, "6601.01": 1_000}
    totals = balances(store)
    assert totals["6001"] + totals["6001.02"] == 0 and totals["2203"] == 0 and sum(totals.values()) == 0
    assert (totals["6001.01"], totals["6001.03"], totals["6601.01"]) == (0, 0, 0)


def test_a_refund_reverses_what_the_parcel_booked_even_when_it_predates_todays_discount_split(store):
    """A parcel posted before the coupon/points split (the whole discount on 6001.01, as the old
    code booked it): its refunds take back 6001.01 only, leaving 6001.03 and 6601.01 at zero."""
    from unittest import mock

    sku = f.sku(store, price=20_000, stock=10)
    promotion(store)
    member = f.member(store)
    with f.bound(store, request=True) as session:
        template = coupons.save_template(None, None, {"name": f.unique("券"), "kind": "amount_off", "amount": 2_000,
                                                      "threshold": 10_000, "quantity": 5, "per_member_limit": 1,
                                                      "valid_days": 7})
        coupon = coupons.claim_coupon(member.id, template.id)
        member_services.adjust_points(None, session.get(Member, member.id), 5_000, "活动奖励")
    order = f.order(store, lines=[(sku, 3)], member_obj=member, coupon_ids=[coupon.id], points=3_000,
                    delivery_method="pickup")
    (line,) = order.lines
    payment = f.payment(store, order)
    settle(store)
    with mock.patch.object(handlers.promotion_queries, "discount_sources", lambda order_id: {}):
        deliver(store, handlers.post_parcel, "parcel.shipped", {
            "notice_id": 950, "notice_number": "N-OLD", "order_id": order.id,
            "lines": [{"order_line_id": line.id, "sku_id": sku.id, "quantity": 3}]})
    totals = balances(store)
    assert (totals["6001.01"], totals.get("6001.03", 0), totals.get("6601.01", 0)) == (8_000, 0, 0)
    for units, amount in ((1, 17_334), (2, 34_666)):
        refund = f.refund(store, payment, lines={line.id: (units, amount)})
        deliver(store, handlers.post_refund, "refund.succeeded", {"refund_id": refund.id, "order_id": order.id})
    first_refund = entries(store, rule="refund")[0]
    assert {code: c for code, _d, c in legs(first_refund) if code in ("6001.01", "6001.03", "6601.01")} == \
        {"6001.01": 2_666}
    totals = balances(store)
    assert (totals["6001.01"], totals.get("6001.03", 0), totals.get("6601.01", 0)) == (0, 0, 0)
    assert totals["6001"] + totals["6001.02"] == 0 and totals["2203"] == 0 and sum(totals.values()) == 0


def test_an_invoice_above_the_receipt_price_books_the_difference_as_a_price_variance(store):
    with f.bound(store, request=True):
        _tolerances(price=5, quantity=0)
    sku = f.sku(store)
    supplier = f.supplier_record(store)
    po = f.purchase_order(store, supplier, lines=[(sku, 10)], state="received", unit_price=1_000)
    settle(store)
    assert legs(entries(store, rule="inbound")[-1]) == [("1405", 10_000, 0), ("2202.01", 0, 10_000)]
    from app.blueprints.purchasing import orders

    with f.bound(store, request=True) as session:
        from app.blueprints.purchasing.models import PurchaseOrder

        po = session.get(PurchaseOrder, po.id)
        orders.enter_invoice(None, po, f.unique("INV"), date(2026, 11, 20), {po.lines[0].id: 10},
                             prices={po.lines[0].id: 1_020})                 # 2 % above the receipt's price
    settle(store)
    (invoice,) = entries(store, rule="supplier_invoice")
    assert legs(invoice) == [("2202", 0, 11_526), ("2202.01", 10_000, 0), ("2221.01", 1_326, 0), ("6401.01", 200, 0)]
    totals = balances(store)
    assert totals["2202.01"] == 0 and totals["1405"] == 10_000               # 暂估 cleared, inventory unchanged

    # two invoiced units go back: owed back on the payable with their VAT, at the average (= the price)
    with f.bound(store, request=True) as session:
        po = session.get(PurchaseOrder, po.id)
        orders.return_to_supplier(None, po, {po.lines[0].id: 2}, "破损")
    settle(store)
    settle(store)                                                            # redelivered: once
    (back,) = entries(store, rule="supplier_return")
    assert legs(back) == [("1405", 0, 2_000), ("2202", 2_260, 0), ("2221.01", 0, 260)]
    assert {line.party for line in back.lines if line.account.code == "2202"} == {f"supplier:{supplier.id}"}


def test_goods_returned_before_the_invoice_clear_the_accrual_and_the_average_difference_is_a_variance(store):
    sku = f.sku(store)
    supplier = f.supplier_record(store)
    f.purchase_order(store, supplier, lines=[(sku, 10)], state="received", unit_price=1_000)
    dearer = f.purchase_order(store, supplier, lines=[(sku, 10)], state="received", unit_price=1_400)
    settle(store)
    with f.bound(store) as session:
        assert (session.get(SkuCost, sku.id).quantity, session.get(SkuCost, sku.id).value) == (20, 24_000)
    from app.blueprints.purchasing import orders
    from app.blueprints.purchasing.models import PurchaseOrder

    with f.bound(store, request=True) as session:
        po = session.get(PurchaseOrder, dearer.id)
        orders.return_to_supplier(None, po, {po.lines[0].id: 5}, "质量问题")
    settle(store)
    (back,) = entries(store, rule="supplier_return")
    # 5 units at the average ¥12.00 leave; the supplier takes them back at ¥14.00, not yet invoiced
    assert legs(back) == [("1405", 0, 6_000), ("2202.01", 7_000, 0), ("6401.01", 0, 1_000)]
    with f.bound(store) as session:
        cost = session.get(SkuCost, sku.id)
        assert (cost.quantity, cost.value) == (15, 18_000)
        assert balances(store)["1405"] == sum(session.scalars(select(SkuCost.value)))


def test_margin_by_sku_takes_off_the_refunded_units_and_the_cost_of_those_that_came_back(store):
    """Two units shipped, one refunded and sent back: the margin report counts one unit sold, its
    net revenue and its cost (the return's receipt takes the returned unit's cost back out of
    COGS). It once left the sales return (6001.02) out, so a refund raised the margin."""
    from app.blueprints.finance import queries, services

    sku = f.product(store, price=10_000, cost=4_000, stock=10).skus[0]
    order = f.order(store, lines=[(sku, 2)], delivery_method="pickup")
    (line,) = order.lines
    payment = f.payment(store, order)
    settle(store)
    deliver(store, handlers.post_parcel, "parcel.shipped", {
        "notice_id": 990, "notice_number": "N990", "order_id": order.id,
        "lines": [{"order_line_id": line.id, "sku_id": sku.id, "quantity": 2}]})
    refund = f.refund(store, payment, lines={line.id: (1, 10_000)})
    deliver(store, handlers.post_refund, "refund.succeeded", {"refund_id": refund.id, "order_id": order.id})
    with f.bound(store, request=True):
        today = services.today()
        (refunded_only,) = queries.margin_by_sku(today, today)             # the unit is not back yet
    assert (refunded_only["units"], refunded_only["revenue"], refunded_only["cogs"]) == (1, 10_000, 8_000)
    deliver(store, handlers.post_inbound, "inbound.completed", {
        "inbound_id": 991, "number": "IN991", "kind": "return", "warehouse_id": 1,
        "lines": [{"sku_id": sku.id, "quantity": 1, "unit_cost": None}], "currency": "CNY"})
    with f.bound(store, request=True):
        (row,) = queries.margin_by_sku(today, today)
    assert (row["units"], row["revenue"], row["cogs"], row["margin"]) == (1, 10_000, 4_000, 6_000)
