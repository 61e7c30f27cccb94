"""The sales dashboard (the store's home page) counts by the store's calendar day: figures equal
the sums of the underlying orders, computed here independently, around local midnight."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from app.blueprints.finance import queries
from app.blueprints.orders.models import Order
from app.blueprints.payments.models import Refund
from tests import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 0, 30, tzinfo=SHANGHAI)          # half past midnight in the store


def _at(local: datetime):
    return time_machine.travel(local.astimezone(timezone.utc), tick=False)


def test_dashboard_figures_equal_the_orders_of_each_local_day_around_midnight(store, owner):
    sku = f.sku(store, price=1000, stock=50)
    placed = {}
    for label, when, quantity in (("before_midnight", datetime(2026, 12, 1, 23, 50, tzinfo=SHANGHAI), 2),
                                  ("after_midnight", datetime(2026, 12, 2, 0, 10, tzinfo=SHANGHAI), 3),
                                  ("six_days_ago", datetime(2026, 11, 26, 12, 0, tzinfo=SHANGHAI), 1),
                                  ("prior_week", datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI), 4)):
        with _at(when):
            placed[label] = f.payment(store, f.order(store, lines=[(sku, quantity)]))
    with _at(datetime(2026, 12, 2, 0, 20, tzinfo=SHANGHAI)):
        f.refund(store, placed["after_midnight"], amount=700)
        f.member(store)
    with _at(NOW), f.bound(store, request=True) as session:
        board = queries.dashboard(NOW)
        paid = session.execute(select(Order.paid_at, Order.payable).where(Order.paid_at.is_not(None))).all()
        refunds = session.execute(select(Refund.finished_at, Refund.amount).where(Refund.status == "succeeded")).all()
    today = NOW.date()

    def expected(days: int, offset: int = 0):
        first, last = today - timedelta(days=days - 1 + offset), today - timedelta(days=offset)
        inside = [p for at, p in paid if first <= at.astimezone(SHANGHAI).date() <= last]
        back = sum(a for at, a in refunds if first <= at.astimezone(SHANGHAI).date() <= last)
        return len(inside), sum(inside), back

    windows = {w.days: w for w in board["windows"]}
    for days in (1, 7, 30):
        w = windows[days]
        assert (w.current.orders, w.current.gmv, w.current.refunds) == expected(days), days
        assert (w.prior.orders, w.prior.gmv, w.prior.refunds) == expected(days, offset=days), days
    assert (windows[1].current.orders, windows[1].current.gmv, windows[1].current.refunds) == (1, 3000, 700)
    assert windows[1].current.net_sales == 2300 and windows[1].current.aov == 3000
    assert windows[1].prior.gmv == 2000                                     # 23:50 yesterday is yesterday
    assert (windows[7].current.orders, windows[7].prior.orders) == (3, 1)
    assert windows[1].current.new_members == 1
    assert board["top"][0][1] == 10                                          # every unit of the 30 days
    with _at(NOW):
        page = owner.get(f"/store/{store.slug}/").get_data(as_text=True)
    assert 'data-figure="gmv">¥30.00' in page and 'data-figure="refunds">¥7.00' in page


def test_the_home_page_chart_counts_whole_units_of_the_stores_currency_and_names_it():
    """The home page's GMV bars divided by 100 whatever the currency (a ¥1,500 yen sale was a bar
    of 15) and its Chinese title said 元 for every store."""
    yen = f.store(currency="JPY")
    f.payment(yen, f.order(yen, price=1500))
    owner = f.client("store", store=yen)
    with f.bound(yen, request=True):
        from app.blueprints.finance import services

        today = services.today().isoformat()
    page = owner.get(f"/store/{yen.slug}/").get_data(as_text=True)
    assert "GMV per day, last 30 days (Japanese Yen)" in page and f"<title>{today}: 1500</title>" in page
    owner.form(f"/store/{yen.slug}/account/locale", {"locale": "zh_CN", "next": f"/store/{yen.slug}/"})
    assert "近 30 天每日成交额（日元）" in owner.get(f"/store/{yen.slug}/").get_data(as_text=True)
