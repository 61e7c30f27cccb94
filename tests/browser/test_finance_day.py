"""In Chromium, a day of trading: goods received from a supplier, three orders paid, two
shipped, a refund after shipment. The owner opens the sales dashboard and the profit and loss
and reads the figures this test computes on its own from the orders, the refund and the costs
(not from the ledger the pages read)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from app.blueprints.dispatch import services as dispatch
from app.blueprints.finance import handlers
from tests import factories as f
from tests.browser.conftest import sign_in_owner
from tests.browser.test_accessibility import _violations
from tests.finance.conftest import deliver, settle

pytestmark = pytest.mark.browser


def _yuan(fen: int) -> str:
    return f"{'-' if fen < 0 else ''}¥{abs(fen) / 100:,.2f}"


def _zone() -> str:
    """The store's zone: Shanghai, unless its midnight is within the hour (then New York, at
    noon), so that the whole day of trading falls on one store day."""
    local = datetime.now(timezone.utc).astimezone(ZoneInfo("Asia/Shanghai"))
    return "Asia/Shanghai" if 1 <= local.hour < 23 else "America/New_York"


def _ship(store, order, waybill: str) -> None:
    from app.blueprints.dispatch.models import DeliveryNotice

    notice = f.notice(store, order)
    with f.bound(store, request=True) as session:
        dispatch.ship(None, session.get(DeliveryNotice, notice.id), "shunfeng", waybill, 500)


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def test_the_owner_sees_the_days_sales_and_profit_the_test_computed(app, live_server, browser, axe):
    store = f.store(timezone=_zone())
    warehouse = f.warehouse(store)
    coat = f.product(store, title="Wool coat", price=25000, cost=9000).skus[0]          # no stock yet
    scarf = f.product(store, title="Silk scarf", price=6000, cost=1500, stock=20, warehouse=warehouse).skus[0]
    # the receipt: 10 coats from a supplier at ¥120.00 each; the coat's moving average becomes ¥120.00
    f.purchase_order(store, lines=[(coat, 10)], state="received", unit_price=12000, warehouse_obj=warehouse)
    coat_cost, scarf_cost = 12000, 1500

    first = f.order(store, lines=[(coat, 2), (scarf, 1)])
    second = f.order(store, lines=[(scarf, 3)])
    third = f.order(store, lines=[(coat, 1)])                                        # paid, not shipped yet
    payments = {o.id: f.payment(store, o) for o in (first, second, third)}
    _ship(store, first, "SF1234567890123")
    _ship(store, second, "SF1234567890124")
    refund = f.refund(store, payments[first.id], amount=6000)                        # the scarf, after shipment
    settle(store)
    deliver(store, handlers.post_refund, "refund.succeeded", {"refund_id": refund.id, "amount": 6000})

    paid = [first, second, third]
    gmv = sum(o.payable for o in paid)
    shipped_lines = [(line.unit_price, line.quantity, line.discount, coat_cost if line.sku_id == coat.id else scarf_cost)
                     for o in (first, second) for line in o.lines]
    revenue = sum(price * q for price, q, _d, _c in shipped_lines)
    discounts = sum(d for _p, _q, d, _c in shipped_lines)
    cogs = sum(q * cost for _p, q, _d, cost in shipped_lines)
    shipping = first.shipping_fee + second.shipping_fee
    profit = revenue - discounts + shipping - 6000 - cogs                             # the refund is a sales return
    assert (revenue, cogs) == (2 * 25000 + 6000 + 3 * 6000, 2 * 12000 + 4 * 1500)

    page = browser.new_context(locale="en-US").new_page()
    try:
        base = sign_in_owner(page, live_server, store)
        today = page.locator('#sales [data-window="1"]')
        assert today.locator('[data-figure="gmv"]').inner_text() == _yuan(gmv)
        assert today.locator('[data-figure="orders"]').inner_text() == "3"
        assert today.locator('[data-figure="refunds"]').inner_text() == _yuan(6000)
        assert today.locator('[data-figure="net_sales"]').inner_text() == _yuan(gmv - 6000)
        assert today.locator('[data-figure="aov"]').inner_text() == _yuan(round(gmv / 3))
        assert page.locator('#sales [data-figure="awaiting_shipment"]').inner_text() == "1"

        page.click("nav >> text=Financial reports")
        page.wait_for_url(f"{base}/finance/reports")

        def amount(code: str) -> str:
            return page.locator(f"#report tbody tr:has(td:text-is('{code}')) td.num").inner_text()

        assert amount("6001") == _yuan(revenue)
        assert amount("6401") == _yuan(cogs)
        assert amount("6001.02") == _yuan(-6000)                                   # a sales return lessens revenue
        assert page.locator('#report tfoot [data-total="3"]').inner_text() == _yuan(profit)
        assert page.locator("figure.chart svg[role=img]").count() == 1                 # profit by month
        found = _violations(axe, page, "profit and loss")

        page.click("nav.tabs >> text=Sales")
        page.wait_for_selector("#report")
        day_row = page.locator("#report tbody tr").last
        cells = day_row.locator("td").all_inner_texts()
        assert cells[1:5] == ["3", _yuan(gmv), _yuan(6000), _yuan(gmv - 6000)]
        found += _violations(axe, page, "sales by day")
        for name, path in (("sales by SKU", "sales?by=sku"), ("refund rate", "refund-rate"),
                           ("receivables ageing", "receivables-ageing"), ("payables ageing", "payables-ageing")):
            page.goto(f"{base}/finance/reports/{path}")
            found += _violations(axe, page, name)
        assert found == [], "\n" + "\n".join(found)
    finally:
        page.context.close()
        f.drop_store(store)
