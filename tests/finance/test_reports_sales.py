"""Sales by day, SKU, category and channel, refund rate by SKU, AR/AP ageing and the P&L chart:
each figure equals what the test computes from the orders, refunds and postings it made, by
the store's calendar day; filters narrow the rows; exports go through core.export; the pages
run a fixed number of queries whatever the number of rows."""
import csv
import io
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import time_machine
from hypothesis import given, settings, strategies as st
from openpyxl import load_workbook

from app.blueprints.finance import queries, services
from tests import factories as f
from tests.support.crud import queries_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)


def _at(local: datetime):
    return time_machine.travel(local.astimezone(timezone.utc), tick=False)


def _csv(client, url) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv", url
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _trade(store):
    """Two SKUs in two categories; orders either side of local midnight, one through the API."""
    shoes, hats = f.category(store, "鞋"), f.category(store, "帽")
    boot = f.product(store, price=3000, stock=50, category_obj=shoes).skus[0]
    cap = f.product(store, price=1000, stock=50, category_obj=hats).skus[0]
    orders = {}
    for label, when, lines, source in (
            ("late", datetime(2026, 12, 1, 23, 50, tzinfo=SHANGHAI), [(boot, 1), (cap, 2)], "storefront"),
            ("early", datetime(2026, 12, 2, 0, 10, tzinfo=SHANGHAI), [(cap, 3)], "api"),
            ("old", datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI), [(boot, 2)], "storefront")):
        with _at(when):
            order = f.order(store, lines=lines, source=source)
            orders[label] = (order, f.payment(store, order))
    with _at(datetime(2026, 12, 2, 0, 20, tzinfo=SHANGHAI)):
        order, pay = orders["early"]
        f.refund(store, pay, lines={order.lines[0].id: (1, 1000)})          # one cap of the API order back
    return boot, cap, shoes, hats, orders


def test_sales_reports_count_by_the_store_day_and_split_by_sku_category_and_channel(store, owner):
    boot, cap, shoes, hats, orders = _trade(store)
    base = f"/store/{store.slug}/finance/reports/sales"
    with _at(NOW), f.bound(store, request=True):
        days = {r.key: r for r in queries.sales_by_day(date(2026, 11, 20), date(2026, 12, 2))}
        assert (days[date(2026, 12, 1)].orders, days[date(2026, 12, 1)].gmv) == (1, 5000)   # 23:50 is Dec 1
        assert (days[date(2026, 12, 2)].orders, days[date(2026, 12, 2)].gmv, days[date(2026, 12, 2)].refunds,
                days[date(2026, 12, 2)].net) == (1, 3000, 1000, 2000)
        assert days[date(2026, 11, 20)].gmv == 6000 and len(days) == 13 and days[date(2026, 11, 25)].orders == 0
        api = {r.key: r for r in queries.sales_by_day(date(2026, 12, 1), date(2026, 12, 2), "api")}
        assert (api[date(2026, 12, 1)].gmv, api[date(2026, 12, 2)].gmv, api[date(2026, 12, 2)].refunds) == (0, 3000, 1000)
        by_channel = {r.key: (r.orders, r.gmv, r.refunds) for r in queries.sales_by_channel(date(2026, 12, 1),
                                                                                            date(2026, 12, 2))}
        assert by_channel == {"storefront": (1, 5000, 0), "api": (1, 3000, 1000)}
        by_sku = {r.label: (r.orders, r.units, r.gmv) for r in queries.sales_by_sku(date(2026, 11, 1),
                                                                                    date(2026, 12, 2))}
        assert by_sku == {boot.code: (2, 3, 9000), cap.code: (2, 5, 5000)}
        only_hats = queries.sales_by_sku(date(2026, 11, 1), date(2026, 12, 2), category_id=hats.id)
        assert [r.label for r in only_hats] == [cap.code]
        by_category = {r.label: (r.units, r.gmv) for r in queries.sales_by_category(date(2026, 11, 1),
                                                                                     date(2026, 12, 2))}
        assert by_category == {"鞋": (3, 9000), "帽": (5, 5000)}
    with _at(NOW):
        page = owner.get(f"{base}?by=day&since=2026-12-01&until=2026-12-02").get_data(as_text=True)
        assert "<svg" in page and "GMV by day (Chinese Yuan)" in page and "¥50.00" in page and "¥20.00" in page
        rows = _csv(owner, f"{base}?by=day&since=2026-12-01&until=2026-12-02&export=csv")
        assert rows[1] == ["2026-12-01", "1", "50.00", "0.00", "50.00", "50.00", "CNY"]
        assert rows[2] == ["2026-12-02", "1", "30.00", "10.00", "20.00", "30.00", "CNY"]
        assert rows[3][:5] == ["Total", "2", "80.00", "10.00", "70.00"]
        rows = _csv(owner, f"{base}?by=channel&since=2026-12-01&until=2026-12-02&export=csv")
        assert [r[:3] for r in rows[1:3]] == [["Shop", "1", "50.00"], ["Shop API", "1", "30.00"]]
        rows = _csv(owner, f"{base}?by=sku&since=2026-12-01&until=2026-12-02&channel=api&export=csv")
        assert [(r[0], r[4], r[5]) for r in rows[1:-1]] == [(cap.code, "3", "30.00")]
        book = load_workbook(io.BytesIO(owner.get(f"{base}?by=category&since=2026-11-01&export=xlsx").data))
        cells = [[c.value for c in row] for row in book.active.iter_rows()]
        assert cells[1][:4] == ["鞋", 2, 3, 90] and cells[2][:4] == ["帽", 2, 5, 50]
        bad = owner.get(f"{base}?since=2026-12-05&until=2026-12-01&channel=fax&category=x")
        assert bad.status_code == 200 and "A filter was not understood" in bad.get_data(as_text=True)


def test_refund_rate_by_sku_counts_the_refunded_lines_against_the_units_sold(store, owner):
    boot, cap, _shoes, _hats, orders = _trade(store)
    with _at(datetime(2026, 12, 2, 1, 0, tzinfo=SHANGHAI)):
        f.refund(store, orders["late"][1], amount=500)                      # by amount: names no SKU
    with _at(NOW), f.bound(store, request=True):
        rows, unattributed = queries.refund_rate_by_sku(date(2026, 12, 1), date(2026, 12, 2))
        rates = {r.sku_code: (r.sold, r.refunded_units, r.rate, r.refunded) for r in rows}
        assert rates == {cap.code: (5, 1, 20, 1000), boot.code: (1, 0, 0, 0)} and unattributed == 500
        assert rows[0].sku_code == cap.code                                   # the highest rate first
        storefront, _n = queries.refund_rate_by_sku(date(2026, 12, 1), date(2026, 12, 2), "storefront")
        assert {r.sku_code: r.refunded_units for r in storefront} == {cap.code: 0, boot.code: 0}
    with _at(NOW):
        rows = _csv(owner, f"/store/{store.slug}/finance/reports/refund-rate?since=2026-12-01&export=csv")
    assert rows[1][0] == cap.code and rows[1][2:5] == ["5", "1", "20"]
    assert rows[-2][0] == "Refunded by amount (no SKU)" and rows[-2][6] == "5.00"
    assert rows[-1][0] == "Total" and rows[-1][6] == "15.00"


def test_receivables_ageing_pays_off_the_oldest_payments_first(store, owner):
    dr, cr = services.dr, services.cr
    with f.bound(store, request=True):
        today = services.today()
        for days_ago, amount in ((100, 4000), (45, 3000), (5, 2000)):
            services.post("manual", days_ago, [dr("1122", amount, party="sandbox"), cr("2203", amount)],
                          rule="test", on=today - timedelta(days=days_ago))
        services.post("manual", 1, [dr("1002", 5000), cr("1122", 5000, party="sandbox")], rule="test-settle",
                      on=today - timedelta(days=1))
        (row,) = queries.receivables_ageing(today)
        # 5,000 settled: the 100-day-old 4,000 and 1,000 of the 45-day-old payment
        assert row.buckets[1:] == [2000, 2000, 0, 0] and row.total == 4000
        (earlier,) = queries.receivables_ageing(today - timedelta(days=10))     # before the settlement
        assert earlier.buckets[1:] == [0, 3000, 4000, 0]                     # 35 and 90 days old then
    rows = _csv(owner, f"/store/{store.slug}/finance/reports/receivables-ageing?export=csv")
    assert rows[0][:6] == ["Payment gateway", "0–30 days", "31–60 days", "61–90 days", "Over 90 days", "Total"]
    assert rows[1][1:6] == ["20.00", "20.00", "0.00", "0.00", "40.00"]
    page = owner.get(f"/store/{store.slug}/finance/reports/receivables-ageing").get_data(as_text=True)
    assert "Owed by gateways, by age (Chinese Yuan)" in page and "<svg" in page


def test_payables_ageing_buckets_matched_invoices_by_days_past_due(store, owner):
    from app.blueprints.purchasing import orders, payables

    with f.bound(store, request=True):
        today = services.today()
        supplier = f.supplier_record(store)
        supplier.payment_terms_days = 30
        invoices = []
        for days_ago in (100, 40, 10):                                      # due 70 and 10 days ago, in 20 days
            po = f.purchase_order(store, supplier, lines=[(f.sku(store), 10)], state="received", unit_price=1000)
            invoices.append(orders.enter_invoice(None, po, f.unique("INV"), today - timedelta(days=days_ago),
                                                 {po.lines[0].id: 10}))
        assert all(i.match_status == "matched" for i in invoices)
        payables.record_payment(None, supplier.id, today, {invoices[0].id: 3000}, "bank_transfer", "B-1")
        (row,) = queries.payables_ageing(today)
        total = invoices[0].total
        assert row.label == supplier.name
        assert row.buckets == [total, total, 0, total - 3000, 0]
    rows = _csv(owner, f"/store/{store.slug}/finance/reports/payables-ageing?export=csv")
    assert rows[0][1] == "Not yet due" and rows[0][2] == "Overdue 1–30 days"
    assert rows[-1][0] == "Total" and rows[-1][6] == f"{(3 * total - 3000) / 100:.2f}"


def test_payables_ageing_is_as_of_its_day_with_the_payments_dated_by_then(store, owner):
    """An invoice counts from the store's day it was matched (the payable's posting), not its
    own date; a payment counts from the day it was paid: on an earlier day the invoice paid
    since is still owed, and one matched since is not owed yet."""
    from app.blueprints.purchasing import orders, payables

    with _at(datetime(2026, 11, 1, 23, 50, tzinfo=SHANGHAI)), f.bound(store, request=True):   # 15:50 UTC
        supplier = f.supplier_record(store)
        supplier.payment_terms_days = 30
        po = f.purchase_order(store, supplier, lines=[(f.sku(store), 10)], state="received", unit_price=1000)
        invoice = orders.enter_invoice(None, po, "INV-ASOF", date(2026, 10, 25), {po.lines[0].id: 10})
        assert invoice.match_status == "matched" and invoice.due_on == date(2026, 11, 24)
        invoice_id, total, supplier_id, supplier_name = invoice.id, invoice.total, supplier.id, supplier.name
    with _at(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)), f.bound(store, request=True):
        payables.record_payment(None, supplier_id, date(2026, 11, 15), {invoice_id: 4000}, "bank_transfer", "B-1")
    with _at(datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)), f.bound(store, request=True):
        payables.record_payment(None, supplier_id, date(2026, 11, 28), {invoice_id: total - 4000}, "bank_transfer", "B-2")
    with _at(NOW), f.bound(store, request=True):
        assert queries.payables_ageing(date(2026, 10, 31)) == []              # dated Oct 25, matched Nov 1
        (matched_day,) = queries.payables_ageing(date(2026, 11, 1))            # 23:50 is still Nov 1
        assert matched_day.buckets == [total, 0, 0, 0, 0]
        (part_paid,) = queries.payables_ageing(date(2026, 11, 25))             # due Nov 24, B-1 only
        assert part_paid.buckets == [0, total - 4000, 0, 0, 0]
        assert queries.payables_ageing(date(2026, 11, 28)) == []               # paid in full that day
        assert queries.payables_ageing(date(2026, 12, 2)) == []
    with _at(NOW):
        rows = _csv(owner, f"/store/{store.slug}/finance/reports/payables-ageing?until=2026-11-14&export=csv")
    assert rows[1][0] == supplier_name and rows[1][1:3] == [f"{total / 100:.2f}", "0.00"]


def test_profit_and_loss_shows_profit_by_month_with_a_loss_below_the_line(store, owner):
    dr, cr = services.dr, services.cr
    with f.bound(store, request=True):
        today = services.today()
        last_month = today.replace(day=1) - timedelta(days=1)
        services.post("manual", 1, [dr("1122", 9000, party="sandbox"), cr("6001", 9000)], rule="t1", on=today)
        services.post("manual", 2, [dr("6401", 4000), cr("1405", 4000)], rule="t2", on=last_month)
        months = dict((m, (r, e)) for m, r, e in queries.result_by_month(today))
        assert len(months) == 12
        assert months[today.strftime("%Y-%m")] == (9000, 0) and months[last_month.strftime("%Y-%m")] == (0, 4000)
    page = owner.get(f"/store/{store.slug}/finance/reports").get_data(as_text=True)
    assert "Profit by month, last 12 months (Chinese Yuan)" in page
    assert f"<title>{today.strftime('%Y-%m')}: 90</title>" in page
    assert f"<title>{last_month.strftime('%Y-%m')}: -40</title>" in page and 'class="bar negative"' in page


def test_report_pages_run_the_same_queries_for_one_sku_or_many(app, make_store):
    counts = {}
    for n in (1, 6):
        shop = make_store()
        owner = app.test_client()
        owner.login("store", shop.owner_email, slug=shop.slug)
        for i in range(n):
            order = f.order(shop, price=1000 + i)
            f.payment(shop, order)
            with f.bound(shop, request=True):                             # a sale booked per SKU (margin)
                services.post("manual", i, [services.dr("1122", 1000, party="sandbox"),
                                            services.cr("6001", 1000, sku_id=order.lines[0].sku_id, quantity=1)],
                              rule=f"sale-{i}")
        for path in ("sales?by=sku", "sales?by=category", "sales?by=day", "sales?by=channel", "refund-rate",
                     "receivables-ageing", "payables-ageing", "margin?by=category", "margin?by=product"):
            count, html = queries_for(app, owner, f"/store/{shop.slug}/finance/reports/{path}")
            counts.setdefault(path, []).append(count)
    assert all(a == b for a, b in counts.values()), counts


def test_new_reports_need_finance_view(store):
    warehouse = f.staff_client(store, "warehouse")
    for path in ("sales", "refund-rate", "receivables-ageing", "payables-ageing"):
        assert warehouse.get(f"/store/{store.slug}/finance/reports/{path}").status_code == 403, path


def test_a_report_export_makes_a_typed_formula_inert(store, owner):
    """The report exports go through core.export: a SKU code a merchant typed as a formula
    reaches the spreadsheet as text."""
    sku = f.sku(store, price=1000, stock=5)
    with f.bound(store) as session:
        from app.blueprints.catalog.models import Sku

        session.get(Sku, sku.id).code = "=HYPERLINK(1)"
    f.payment(store, f.order(store, lines=[(sku, 1)]))
    rows = _csv(owner, f"/store/{store.slug}/finance/reports/sales?by=sku&export=csv")
    assert rows[1][0] == "'=HYPERLINK(1)"
    book = load_workbook(io.BytesIO(owner.get(f"/store/{store.slug}/finance/reports/sales?by=sku&export=xlsx").data))
    cell = list(book.active.iter_rows())[1][0]
    assert cell.value == "'=HYPERLINK(1)" and cell.data_type == "s"


@settings(deadline=None)              # a pure function; a loaded machine must not fail it on time
@given(st.lists(st.tuples(st.integers(0, 200), st.integers(1, 10**7)), max_size=30), st.integers(0, 10**8))
def test_ageing_by_first_in_first_out_always_sums_to_the_balance_and_pays_the_oldest_first(debits, paid):
    as_of = date(2026, 12, 2)
    owed = [(as_of - timedelta(days=d), amount) for d, amount in debits]
    buckets = queries.age_first_in_first_out(owed, paid, as_of)
    total = sum(a for _d, a in owed)
    assert sum(buckets) == total - paid
    if paid <= total:
        assert all(b >= 0 for b in buckets)
        # what stays open is the newest money: older buckets empty before any newer one is touched
        newest_first = sorted(owed, reverse=True)
        left, kept = total - paid, []
        for day, amount in newest_first:
            take = min(left, amount)
            left -= take
            kept.append((day, take))
        expected = [0] * len(queries.AGE_BUCKETS)
        for day, take in kept:
            expected[queries._bucket((as_of - day).days)] += take
        assert buckets == expected
    else:
        assert buckets[0] <= 0 and all(b == 0 for b in buckets[1:])


def test_every_view_of_the_new_reports_reads_as_chinese(app):
    """The i18n walk reads each report once with its defaults; here every `by` and filter."""
    from tests.i18n.pages import Page, duplicate_headers, latin_words

    store = f.store(default_locale="zh_CN", name="示例商店", owner_name="王五")
    _boot, _cap, shoes, _hats, _orders = _trade(store)
    owner = f.client("store", store=store)
    owner.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    base = f"/store/{store.slug}/finance/reports"
    english = {}
    for path in ("sales?by=day&channel=api", "sales?by=sku", f"sales?by=sku&category={shoes.id}", "sales?by=category",
                 "sales?by=channel", "refund-rate?channel=storefront", "receivables-ageing", "payables-ageing",
                 "sales?since=bad", "?until=2026-12-31"):
        response = owner.get(f"{base}{path}" if path.startswith("?") else f"{base}/{path}")
        assert response.status_code == 200, path
        page = Page(response.get_data(as_text=True))
        assert duplicate_headers(page) == [], path
        if words := latin_words(page, {"factory"}):
            english[path] = sorted(words)
    assert english == {}


def test_chart_bars_count_whole_units_of_the_stores_currency():
    """A yen store has no minor unit: ¥1,500 is a bar of 1,500, not 15 (the bars used to divide by 100)."""
    from types import SimpleNamespace
    from unittest import mock

    from app.blueprints.finance import report_views

    for currency, minor, whole in (("JPY", 1500, 1500), ("CNY", 1500, 15), ("CNY", -250, -2)):
        with mock.patch.object(report_views, "current_store", lambda c=currency: SimpleNamespace(currency=c)):
            assert report_views._whole(minor) == whole, currency


def test_money_charts_name_the_stores_currency_in_the_readers_language(app):
    """The chart titles once said "(yuan)" / "（元）" whatever the store's currency: a yen store's
    bars are yen, and the title says so in the reader's language."""
    from app.blueprints.purchasing import orders

    yen = f.store(currency="JPY")
    f.payment(yen, f.order(yen, price=1500))                         # a sale, a gateway's receivable, a payable
    with f.bound(yen, request=True):
        services.post("manual", 1, [services.dr("1122", 1500, party="sandbox"), services.cr("2203", 1500)],
                      rule="test")
        po = f.purchase_order(yen, f.supplier_record(yen), lines=[(f.sku(yen), 2)], state="received", unit_price=700)
        orders.enter_invoice(None, po, "INV-JPY", services.today(), {po.lines[0].id: 2})
    owner = f.client("store", store=yen)
    base = f"/store/{yen.slug}/finance/reports"
    titles = {"": "Profit by month, last 12 months", "/sales": "GMV by day", "/sales?by=channel": "GMV by channel",
              "/sales?by=sku": "Paid amount of the best-selling SKUs", "/sales?by=category": "Paid amount by category",
              "/receivables-ageing": "Owed by gateways, by age", "/payables-ageing": "Owed to suppliers, by days overdue"}
    for path, title in titles.items():
        page = owner.get(base + path).get_data(as_text=True)
        assert f"{title} (Japanese Yen)" in page and "yuan" not in page, path
    owner.form(f"/store/{yen.slug}/account/locale", {"locale": "zh_CN", "next": base})
    for path, title in {"/sales": "每日成交额", "/payables-ageing": "应付供应商，按逾期天数"}.items():
        page = owner.get(base + path).get_data(as_text=True)
        assert f"{title}（日元）" in page and "（元）" not in page, path
