"""Postings from other centers' events: one balanced entry per (event, rule).

Recognition policy: money a shopper pays is an advance (预收账款) until the goods ship; revenue,
its discounts and the cost of the goods are recognised per parcel when it leaves the warehouse
(the shipment is when control passes to the shopper and the cost is known), the order's
shipping fee and any customs tax collected with it on its first parcel.

Discounts, split by who gives what (the pricing pipeline's breakdown kept with the order): a
promotion or member price lowers this sale's price (销售折扣, 6001.01); a coupon does too, but
is booked apart (销售折扣—优惠券, 6001.03) so that its cost is seen; points pay with value the
shopper earned on earlier orders, a loyalty cost rather than a lower price (销售费用—积分抵现,
6601.01). Revenue (6001) is always the gross price. A refund beyond its shipped units' share
(below) gives back what is still an advance, then shipping income, the rest is a sales return
(销售退回). Receipts are valued at the
purchase price against 应付账款—暂估 until the supplier's invoice is matched; an invoice billing a
price other than the receipt's books the difference as a purchase price variance
(主营业务成本—采购价差, 6401.01), all of it in the invoice's period, even for units still in
stock: the moving-average cost and 库存商品 stay at the receipt's price (a deliberate
simplification, not yet the standard's split of the in-stock share into inventory; a store whose
invoices often differ from its purchase orders sees the variance in the P&L of the invoice's
month rather than when the units sell). A refund of shipped units reverses exactly their share of
what their shipment booked (gross as 销售退回, and the promotion, coupon and points shares), so
an order refunded in full has none of those left; COGS comes back only with the goods (the
return's receipt, at the moving average then). Goods returned to a supplier leave inventory at the moving
average, owed back at their purchase price (暂估 for units not invoiced yet, else the payable
and its input VAT), the difference again a price variance.
"""
from __future__ import annotations

from app.blueprints.catalog import queries as catalog_queries
from app.blueprints.finance import queries, services
from app.blueprints.finance.services import (ADVANCES, AP, AR_GATEWAY, BANK, CARD_BALANCES, COGS, COUPON_DISCOUNTS,
                                             CUSTOMS_TAX, DISCOUNTS, GRNI, INPUT_VAT, INVENTORY, INVENTORY_PENDING,
                                             PAYMENT_FEES, POINTS_COST, PRICE_VARIANCE, RETURNS, REVENUE,
                                             SHIPPING_INCOME, cr, dr)
from app.blueprints.orders import queries as order_queries
from app.blueprints.payments import queries as payment_queries
from app.blueprints.promotions import queries as promotion_queries
from app.core.outbox import handler

CARD_GATEWAY = "card"
NEW_PAYMENT_FROM = (None, "created", "pending", "failed", "closed")


def _posted(event, rule: str) -> bool:
    return services.posted(event.id, rule)


def _on(event):
    return services.local_day(event.created_at)


def _money_account(gateway: str) -> str:
    """Where a gateway's money sits until it settles: stored-value balances pay from 预收账款—储值卡."""
    return CARD_BALANCES if gateway == CARD_GATEWAY else AR_GATEWAY


@handler("payment.succeeded", queue="finance")
def post_payment(event) -> None:
    """Dr receivable from the gateway, Cr advances on the order. A payment that returns to
    succeeded because a refund failed is not new money (the refund's reversal handles it)."""
    if event.payload.get("from") not in NEW_PAYMENT_FROM or _posted(event, "payment"):
        return
    p = payment_queries.payment_snapshot(event.payload["payment_id"])
    if p is None:
        return
    services.post("payment", p["id"], [dr(_money_account(p["gateway"]), p["amount"], party=p["gateway"]),
                                       cr(ADVANCES, p["amount"], order_id=p["order_id"])],
                  rule="payment", event_id=event.id, source_number=p["number"], currency=p["currency"], on=_on(event))


@handler("order.paid", queue="finance")
def post_offline_payment(event) -> None:
    """An order staff marked paid outside the payment center (a bank transfer, cash): the money is
    in the bank, Dr 银行存款, and an advance on the order until it ships, Cr 预收账款—订单, as a
    gateway's payment is. A payment-center payment is posted from payment.succeeded instead."""
    if _posted(event, "offline_payment"):
        return
    p = order_queries.offline_payment(event.payload["order_id"])
    if p is None:
        return
    services.post("payment", f"offline-{event.payload['order_id']}",
                  [dr(BANK, p["amount"]), cr(ADVANCES, p["amount"], order_id=event.payload["order_id"])],
                  rule="offline_payment", event_id=event.id, source_number=p["reference"], memo=p["number"],
                  currency=p["currency"], on=_on(event))


@handler("refund.succeeded", queue="finance")
def post_refund(event) -> None:
    """Money back on shipped units reverses exactly their share of what their shipment booked:
    the gross price as a sales return (销售退回) and the promotion, coupon and points shares
    (counted cumulatively per line, so once every unit is refunded each is back to zero). Money
    back beyond that is first what is still an advance on the order, then its shipping income,
    the rest a sales return; money back short of it (a deduction) stays revenue. Cr the gateway."""
    if _posted(event, "refund"):
        return
    r = payment_queries.refund_snapshot(event.payload["refund_id"])
    if r is None:
        return
    legs, reversed_net = _returned_lines(r["order_id"], r.get("lines") or {})
    rest = r["amount"] - reversed_net
    back = min(max(0, rest), max(0, queries.order_balance(r["order_id"], ADVANCES)))
    shipping = min(max(0, rest - back), max(0, queries.order_balance(r["order_id"], SHIPPING_INCOME)))
    legs += [dr(ADVANCES, back, order_id=r["order_id"]), dr(SHIPPING_INCOME, shipping, order_id=r["order_id"]),
             dr(RETURNS, rest - back - shipping, order_id=r["order_id"]),
             cr(_money_account(r["gateway"]), r["amount"], party=r["gateway"])]
    services.post("refund", r["id"], legs, rule="refund", event_id=event.id, source_number=r["request_id"],
                  currency=r["currency"], on=_on(event))


@handler("group_buy.refunded_by_hand", queue="finance")
def post_group_refund_by_hand(event) -> None:
    """Staff paid a failed group's order back by hand (bank transfer, cash): what the shopper
    had paid in advance goes back out of the bank, Dr 预收账款—订单 (as a refund through a gateway
    gives back an advance), Cr 银行存款. The reference is the entry's source number."""
    if _posted(event, "group_refund_by_hand"):
        return
    p = event.payload
    amount = int(p.get("amount") or 0)
    services.post("refund", f"group-{p['place_id']}", [dr(ADVANCES, amount, order_id=p["order_id"]), cr(BANK, amount)],
                  rule="group_refund_by_hand", event_id=event.id, source_number=p.get("reference", ""),
                  memo=p.get("order_number", ""), currency=p.get("currency"), on=_on(event))


def _returned_lines(order_id: int, refunded: dict) -> tuple[list, int]:
    """The legs reversing the shipment's booking of the refunded units that shipped (units
    refunded beyond those shipped were never booked: their money is still an advance), and
    their net (gross less the discounts). Each discount account gets back its share of what the
    line's parcel postings actually booked on it (not today's split of the discount: a parcel
    posted before the split existed booked all of it to 6001.01), counted cumulatively per line."""
    if not refunded:
        return [], 0
    order = order_queries.for_posting(order_id)
    if order is None:
        return [], 0
    lines = {line.id: line for line in order.lines}
    shipped = queries.recognised_quantities(order_id)
    done = queries.returned_on_lines(order_id)
    accounts = (DISCOUNTS, COUPON_DISCOUNTS, POINTS_COST)
    booked = queries.booked_on_lines(order_id, accounts)
    legs, net = [], 0
    for key, part in refunded.items():
        line = lines.get(int(key))
        if line is None:
            continue
        had = done.get(line.id, {})
        before = had.get("quantity", 0)
        q = min(int((part or {}).get("quantity") or 0), shipped.get(line.id, 0) - before)
        if q <= 0:
            continue
        upto = before + q
        dims = {"order_id": order_id, "order_line_id": line.id, "sku_id": line.sku_id, "quantity": q}
        gross = line.unit_price * upto - had.get(RETURNS, 0)
        units, on_line = shipped[line.id], booked.get(line.id, {})
        share = {account: max(0, on_line.get(account, 0) * upto // units + had.get(account, 0))
                 for account in accounts}
        legs += [dr(RETURNS, gross, **dims)] + [cr(account, share[account], **dims) for account in accounts]
        net += gross - sum(share.values())
    return legs, net


@handler("refund.failed", queue="finance")
def reverse_failed_refund(event) -> None:
    """A refund the gateway had confirmed failed after all: its entry is reversed exactly."""
    if event.payload.get("from") != "succeeded" or _posted(event, "refund_failed"):
        return
    entry = services.posted_for("refund", event.payload["refund_id"], "refund")
    if entry is not None:
        services.reverse_entry(None, entry, event_id=event.id, rule="refund_failed")
        _recognise_again(event, entry)


def _recognise_again(event, refund_entry) -> None:
    """A refund by amount had taken money out of the advances, and a parcel shipped since could
    not take it out again: it counted it as money back (a sales return, or less shipping income).
    The refund failed and its exact reversal puts the money back in the advances, so what the
    parcels counted beyond the refunds still standing is revenue again: Dr 预收账款—订单, Cr 销售退回
    (then the shipping income). The shopper never got that money back."""
    order_id = next((line.order_id for line in refund_entry.lines if line.order_id), None)
    if order_id is None:
        return
    returns, shipping = queries.parcel_shortfalls(order_id, RETURNS, SHIPPING_INCOME)
    excess = returns + shipping - max(0, queries.refunded_from_advances(order_id, ADVANCES))
    if excess <= 0:
        return
    from_returns = min(excess, returns)
    services.post("parcel", f"refund-{refund_entry.source_id}",
                  [dr(ADVANCES, excess, order_id=order_id), cr(RETURNS, from_returns, order_id=order_id),
                   cr(SHIPPING_INCOME, excess - from_returns, order_id=order_id)],
                  rule="refund_failed_recognised", event_id=event.id, source_number=refund_entry.source_number,
                  currency=refund_entry.currency, on=_on(event))


@handler("parcel.shipped", queue="finance")
def post_parcel(event) -> None:
    """Revenue, discounts and COGS (at this moment's moving-average cost) of the shipped lines."""
    if _posted(event, "shipment"):
        return
    p = event.payload
    order = order_queries.for_posting(p["order_id"])
    if order is None:
        return
    lines = {line.id: line for line in order.lines}
    before = queries.recognised_quantities(order.id)
    first_parcel = not before
    fallback = {s.sku_id: s.cost_price for s in catalog_queries.sku_snapshots(
        {pl["sku_id"] for pl in p["lines"]}).values()}
    sources = promotion_queries.discount_sources(order.id)
    legs = []
    for shipped in p["lines"]:
        line = lines.get(shipped["order_line_id"])
        q = int(shipped["quantity"])
        if line is None or q <= 0:
            continue
        prev = before.get(line.id, 0)
        dims = {"order_id": order.id, "order_line_id": line.id, "sku_id": line.sku_id, "quantity": q}
        gross = line.unit_price * q
        parts = services.split(line.discount, sources.get(line.sku_id, {}), "promotion")
        share = {kind: services.unit_share(amount, line.quantity, prev, q) for kind, amount in parts.items()}
        cost = services.issue_units(line.sku_id, q, fallback.get(line.sku_id, 0), event.id, "shipment", line.id)
        legs += [dr(ADVANCES, gross - sum(share.values()), order_id=order.id),
                 dr(DISCOUNTS, share.get("promotion", 0), **dims), dr(COUPON_DISCOUNTS, share.get("coupon", 0), **dims),
                 dr(POINTS_COST, share.get("points", 0), **dims),
                 cr(REVENUE, gross, **dims), dr(COGS, cost, **dims),
                 cr(INVENTORY, cost, sku_id=line.sku_id, quantity=q)]
    if first_parcel and legs:
        legs += [dr(ADVANCES, order.shipping_fee + order.tax_total, order_id=order.id),
                 cr(SHIPPING_INCOME, order.shipping_fee, order_id=order.id),
                 cr(CUSTOMS_TAX, order.tax_total, order_id=order.id)]
    # money refunded before shipping (by amount, no units) has already left the advances: the
    # parcel cannot take it out again. As a refund does, it comes off the shipping income first
    # (the fee this first parcel books, or what an earlier parcel booked and no refund took back),
    # the rest is a sales return of the goods now recognised
    wanted = sum(leg.debit - leg.credit for leg in legs if leg.account == ADVANCES)
    short = min(max(0, wanted - max(0, queries.order_balance(order.id, ADVANCES))),
                max(0, queries.refunded_from_advances(order.id, ADVANCES)))
    if short:
        shipping_left = order.shipping_fee if first_parcel else max(0, queries.order_balance(order.id, SHIPPING_INCOME))
        shipping = min(short, shipping_left)
        legs += [cr(ADVANCES, short, order_id=order.id), dr(SHIPPING_INCOME, shipping, order_id=order.id),
                 dr(RETURNS, short - shipping, order_id=order.id)]
    services.post("parcel", p.get("notice_id") or order.id, legs, rule="shipment", event_id=event.id,
                  source_number=p.get("notice_number") or order.number, currency=order.currency, on=_on(event),
                  memo=order.number)


@handler("inbound.completed", queue="finance")
def post_inbound(event) -> None:
    """Stock came in: a purchase at its price against 应付账款—暂估 (moving the average), a
    shopper's return at the current average back out of COGS, an adjustment (surplus) at the
    average against 待处理财产损溢. A transfer between warehouses changes no value."""
    if _posted(event, "inbound"):
        return
    p = event.payload
    kind = p.get("kind")
    if kind == "transfer":
        return
    supplier = f"supplier:{p['supplier_id']}" if p.get("supplier_id") else None
    fallback = {s.sku_id: s.cost_price for s in catalog_queries.sku_snapshots(
        {line["sku_id"] for line in p.get("lines", [])}).values()}
    legs = []
    for index, line in enumerate(p.get("lines", [])):
        sku_id, q = line["sku_id"], int(line["quantity"])
        if q <= 0:
            continue
        current = services.unit_cost(sku_id, fallback.get(sku_id, 0))
        unit = current if kind == "return" or line.get("unit_cost") is None else int(line["unit_cost"])
        value = services.receive_units(sku_id, q, unit, event.id, "inbound", index)
        other = GRNI if kind == "purchase" else COGS if kind == "return" else INVENTORY_PENDING
        legs += [dr(INVENTORY, value, sku_id=sku_id, quantity=q),
                 cr(other, value, party=supplier if other == GRNI else None,
                    sku_id=sku_id if other == COGS else None, quantity=q if other == COGS else None)]
    services.post("inbound", p["inbound_id"], legs, rule="inbound", event_id=event.id,
                  source_number=p.get("number", ""), currency=p.get("currency"), on=_on(event), memo=kind or "")


@handler("purchasing.invoice_matched", queue="finance")
def post_supplier_invoice(event) -> None:
    """A matched supplier invoice: 暂估 (at what the receipts valued the goods) becomes a payable;
    its tax is input VAT; a price billed above or below the receipt's is a price variance."""
    if _posted(event, "supplier_invoice"):
        return
    p = event.payload
    party = f"supplier:{p['supplier_id']}"
    tax = int(p.get("tax") or 0)
    net = int(p["amount"]) - tax
    received = int(p["received_value"]) if p.get("received_value") is not None else net
    services.post("supplier_invoice", p["invoice_id"], [dr(GRNI, received, party=party),
                                                        dr(PRICE_VARIANCE, net - received, party=party),
                                                        dr(INPUT_VAT, tax), cr(AP, int(p["amount"]), party=party)],
                  rule="supplier_invoice", event_id=event.id, source_number=p.get("number", ""),
                  currency=p.get("currency"), on=_on(event))


@handler("purchasing.payment_recorded", queue="finance")
def post_supplier_payment(event) -> None:
    if _posted(event, "supplier_payment"):
        return
    p = event.payload
    party = f"supplier:{p['supplier_id']}"
    services.post("supplier_payment", p["payment_id"], [dr(AP, int(p["amount"]), party=party),
                                                        cr(BANK, int(p["amount"]))],
                  rule="supplier_payment", event_id=event.id, currency=p.get("currency"), on=_on(event))


@handler("card.activated", queue="finance")
def post_card_sale(event) -> None:
    """Stored-value cards sold (activated): the money is owed to their holders until spent."""
    if _posted(event, "card_sale"):
        return
    p = event.payload
    services.post("card", p.get("card_id") or p.get("batch_id"), [dr(BANK, int(p["amount"])),
                                                                  cr(CARD_BALANCES, int(p["amount"]))],
                  rule="card_sale", event_id=event.id, source_number=p.get("label", ""), on=_on(event))


@handler("reconciliation.done", queue="finance")
def post_gateway_fees(event) -> None:
    """The fees on a gateway's reconciled daily statement (kept on payments, less given back on
    refunds): Dr 销售费用—支付手续费, Cr what the gateway owes us, on the statement's day. The
    run is read as it is now and only the change from what was posted for it before is posted, so
    a day reconciled again after a corrected statement (or its events handled out of order)
    ends with the statement's fee exactly."""
    if _posted(event, "gateway_fee"):
        return
    run = payment_queries.reconciliation_snapshot(event.payload["run_id"])
    if run is None or run["status"] != "done" or run["gateway"] == CARD_GATEWAY:
        return
    services.lock(f"gateway_fee:{run['id']}")
    change = run["fee_total"] - queries.posted_total("gateway_fee", run["id"], PAYMENT_FEES)
    services.post("gateway_fee", run["id"], [dr(PAYMENT_FEES, change, party=run["gateway"]),
                                             cr(AR_GATEWAY, change, party=run["gateway"])],
                  rule="gateway_fee", event_id=event.id, source_number=f"{run['gateway']} {run['day'].isoformat()}",
                  currency=event.payload.get("currency"), on=run["day"])


@handler("purchasing.returned_to_supplier", queue="finance")
def post_supplier_return(event) -> None:
    """Goods back to a supplier: they leave inventory at this moment's moving-average cost; the
    supplier owes them back at the purchase price, against 暂估 for units not invoiced yet and
    against the payable (with their input VAT) for units invoiced; cost and price differing is a
    price variance."""
    if _posted(event, "supplier_return"):
        return
    p = event.payload
    party = f"supplier:{p['supplier_id']}"
    fallback = {s.sku_id: s.cost_price for s in catalog_queries.sku_snapshots(
        {line["sku_id"] for line in p.get("lines", [])}).values()}
    legs = []
    for index, line in enumerate(p.get("lines", [])):
        sku_id, q = line["sku_id"], int(line["quantity"])
        if q <= 0:
            continue
        unit, tax, invoiced = int(line["unit_price"]), int(line.get("tax") or 0), min(q, int(line.get("invoiced") or 0))
        invoiced_tax = tax * invoiced // q
        cost = services.issue_units(sku_id, q, fallback.get(sku_id, 0), event.id, "supplier_return", index)
        legs += [dr(GRNI, unit * (q - invoiced), party=party), dr(AP, unit * invoiced + invoiced_tax, party=party),
                 cr(INPUT_VAT, invoiced_tax), cr(INVENTORY, cost, sku_id=sku_id, quantity=q),
                 cr(PRICE_VARIANCE, unit * q - cost, party=party, sku_id=sku_id)]
    services.post("supplier_return", p["return_id"], legs, rule="supplier_return", event_id=event.id,
                  source_number=p.get("number", ""), currency=p.get("currency"), on=_on(event),
                  memo=p.get("outbound_number", ""))
