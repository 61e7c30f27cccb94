"""List exports a spreadsheet can use: CSV and XLSX from every list, times in the store's
time zone with the offset in the header, money as numbers beside a Currency column, the
order export one row per line, and a big export as a background task ending in a download."""
import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from app.blueprints.orders.models import Order
from app.blueprints.platform.models import Store
from app.core.listview import ListView
from app.core.tenancy import store_context
from app.extensions import db
from tests.conftest import wait_for
from tests.orders.test_orders import _place, _shop

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _orders(app, store):
    """Three orders of two SKUs at ¥12.34: 1, 2 + 1 and 3 pieces (7 × 12.34 = 86.38)."""
    (a, b), _wh = _shop(app, store, stock=20, price=1234, skus=2)
    ids = [_place(app, store, lines) for lines in ([(a, 1)], [(a, 2), (b, 1)], [(b, 3)])]
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        return [(o.number, o.payable, o.created_at) for o in
                db.session.scalars(select(Order).where(Order.id.in_(ids)).order_by(Order.id))]


def test_order_export_xlsx_adds_up_with_times_in_the_store_zone(app, owner, store):
    orders = _orders(app, store)
    response = owner.get(f"/store/{store.slug}/orders/?export=xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    rows = _sheet(response.get_data())
    header = rows[0]
    assert "Placed (UTC+08:00)" in header and "Currency" in header
    payable, currency, placed = header.index("Payable"), header.index("Currency"), header.index("Placed (UTC+08:00)")
    assert currency == payable + 1
    assert sum(Decimal(str(r[payable])) for r in rows[1:]) == Decimal(sum(p for _n, p, _t in orders)) / 100
    assert {r[currency] for r in rows[1:]} == {"CNY"}
    by_number = {r[header.index("Order")]: r for r in rows[1:]}
    for number, _payable, created in orders:
        shown = by_number[number][placed]            # a real date cell, in Shanghai time
        assert shown == (created + timedelta(hours=8)).replace(tzinfo=None, microsecond=shown.microsecond)


def test_order_export_csv_writes_plain_numbers(app, owner, store):
    orders = _orders(app, store)
    text = owner.get(f"/store/{store.slug}/orders/?export=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    payable = rows[0].index("Payable")
    assert sorted(r[payable] for r in rows[1:]) == sorted(f"{p / 100:.2f}" for _n, p, _t in orders)
    assert "¥" not in text
    placed = rows[0].index("Placed (UTC+08:00)")
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r[placed]) for r in rows[1:])


def test_order_export_can_put_one_row_per_order_line(app, owner, store):
    orders = _orders(app, store)
    html = owner.get(f"/store/{store.slug}/orders/").get_data(as_text=True)
    assert "export=xlsx&amp;variant=lines" in html
    rows = _sheet(owner.get(f"/store/{store.slug}/orders/?export=xlsx&variant=lines").get_data())
    header = rows[0]
    assert len(rows) - 1 == 4   # 1 + 2 + 1 lines
    total, quantity = header.index("Line total"), header.index("Quantity")
    assert sum(Decimal(str(r[total])) for r in rows[1:]) == Decimal("86.38")
    assert sum(r[quantity] for r in rows[1:]) == 7
    assert {r[header.index("Currency")] for r in rows[1:]} == {"CNY"}


def test_a_store_in_another_zone_gets_its_own_offset(app, make_store):
    store = make_store(timezone="America/Sao_Paulo")
    client = app.test_client()
    client.login("store", store.owner_email, slug=store.slug)
    rows = _sheet(client.get(f"/store/{store.slug}/staff?export=xlsx").get_data())
    assert "Added (UTC-03:00)" in rows[0]


def test_every_list_exports_csv_and_xlsx(app, owner, store, platform_admin):
    _orders(app, store)
    from tests import factories as f

    account = f.supplier()
    f.supplier_record(store, account)
    supplier = f.client("supplier", account.email)
    exported = 0
    for rule in app.url_map.iter_rules():
        cls = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if not (isinstance(cls, type) and issubclass(cls, ListView)) or set(rule.arguments) - {"slug"}:
            continue
        url = rule.rule.replace("<slug>", store.slug)
        client = platform_admin if url.startswith("/platform/") else supplier if url.startswith("/supplier/") else owner
        page = client.get(url).get_data(as_text=True)
        assert "export=csv" in page and "export=xlsx" in page, url
        response = client.get(url + "?export=xlsx")
        assert response.status_code == 200 and response.mimetype == XLSX, url
        rows = _sheet(response.get_data())
        assert rows and all(isinstance(h, str) and h for h in rows[0]), url
        exported += 1
    assert exported >= 20


def test_a_big_export_runs_in_the_background_and_ends_in_a_download(app, owner, store, monkeypatch):
    orders = _orders(app, store)
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX_ROWS", 2)
    url = f"/store/{store.slug}/orders/?export=xlsx&variant=lines&sku=&sort=number"
    page = owner.get(url)
    html = page.get_data(as_text=True)
    assert page.mimetype == "text/html" and 'data-export-rows="3"' in html and "in the background" in html
    response = owner.form(url, {"export": "xlsx", "variant": "lines"})
    assert response.status_code == 303
    job = response.headers["Location"]
    assert "/jobs/" in job
    progress = owner.get(job).get_data(as_text=True)
    assert "progressbar" in progress
    download = wait_for(lambda: (m := re.search(r'href="([^"]+/jobs/\d+/file)"', owner.get(job).get_data(as_text=True)))
                        and m.group(1))
    file = owner.get(download)
    assert file.headers["Content-Disposition"].endswith('orders-lines.xlsx')
    rows = _sheet(file.get_data())
    header = rows[0]
    assert "Placed (UTC+08:00)" in header and len(rows) - 1 == 4
    assert [r[0] for r in rows[1:]] == sorted(r[0] for r in rows[1:])   # the list's sort is kept
    total = header.index("Line total")
    assert sum(Decimal(str(r[total])) for r in rows[1:]) == Decimal("86.38")


def test_a_big_export_keeps_the_list_filters(app, owner, store, monkeypatch):
    orders = _orders(app, store)
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX_ROWS", 1)
    wanted = orders[0][0]
    url = f"/store/{store.slug}/orders/?export=csv&q={orders[1][0]}"
    assert owner.get(url).mimetype == "text/csv"   # one row: answered at once
    amount = f"{orders[0][1] / 100:.2f}"
    url = f"/store/{store.slug}/orders/?export=csv&min={amount}&max={amount}"
    response = owner.form(url, {"export": "csv"})
    job = response.headers["Location"]
    download = wait_for(lambda: (m := re.search(r'href="([^"]+/jobs/\d+/file)"', owner.get(job).get_data(as_text=True)))
                        and m.group(1))
    rows = list(csv.reader(io.StringIO(owner.get(download).get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == [wanted]   # only the first order has that amount


def test_an_unknown_export_format_is_refused_without_a_task(app, owner, store):
    response = owner.form(f"/store/{store.slug}/orders/", {"export": "pdf"})
    assert response.status_code == 303
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        from app.core.tasks import Task

        assert db.session.scalar(select(Task.id).where(Task.kind == "core.list_export")) is None


def test_the_stock_ledger_exports_movements_that_add_up_to_the_stock(app, owner, store):
    from tests import factories as f

    sku = f.sku(store, stock=7)
    f.sku(store, stock=4)
    card = owner.get(f"/store/{store.slug}/inventory/skus/{sku.id}").get_data(as_text=True)
    assert f"ledger?sku={sku.id}&amp;export=xlsx" in card
    rows = _sheet(owner.get(f"/store/{store.slug}/inventory/ledger?sku={sku.id}&export=xlsx").get_data())
    header = rows[0]
    assert "When (UTC+08:00)" in header
    assert sum(r[header.index("On hand change")] for r in rows[1:]) == 7
    assert {r[header.index("SKU code")] for r in rows[1:]} == {sku.code}


def test_a_reconciliation_runs_differences_export_as_numbers(app, owner, store):
    from tests import factories as f

    run = f.reconciliation(store, differences=3)
    page = owner.get(f"/store/{store.slug}/payments/reconciliation/{run.id}").get_data(as_text=True)
    assert f"/reconciliation/{run.id}/differences.xlsx" in page
    rows = _sheet(owner.get(f"/store/{store.slug}/payments/reconciliation/{run.id}/differences.xlsx").get_data())
    header = rows[0]
    assert len(rows) - 1 == 3 and header[header.index("Our amount") + 1] == "Currency"
    assert sum(r[header.index("Our amount")] for r in rows[1:]) == 30
    assert sum(r[header.index("Gateway amount")] for r in rows[1:]) == 27
    assert {r[header.index("Kind")] for r in rows[1:]} == {"Amounts differ"}
    other = f.store()
    client = app.test_client()
    client.login("store", other.owner_email, slug=other.slug)
    assert client.get(f"/store/{other.slug}/payments/reconciliation/{run.id}/differences.csv").status_code == 404


def _audit_rows(store, entries):
    from app.core.audit import AuditEntry
    from tests import factories as f

    with f.bound(store) as session:
        session.add_all([AuditEntry(at=at, actor_name="owner", action=action, object_label=label, changes=changes)
                         for at, action, label, changes in entries])


def test_a_store_with_summer_time_gets_each_rows_own_offset(app, make_store):
    """Europe/Berlin is UTC+01:00 in January and UTC+02:00 in July: one offset in the header
    would put half the rows an hour off, so the header names the zone and each row its offset."""
    from datetime import datetime, timezone

    store = make_store(timezone="Europe/Berlin")
    _audit_rows(store, [(datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc), "role.created", "winter", {}),
                        (datetime(2026, 7, 15, 9, 0, tzinfo=timezone.utc), "role.created", "summer", {})])
    client = app.test_client()
    client.login("store", store.owner_email, slug=store.slug)
    for fmt in ("xlsx", "csv"):
        data = client.get(f"/store/{store.slug}/audit?export={fmt}&q=role").get_data()
        rows = _sheet(data) if fmt == "xlsx" else list(csv.reader(io.StringIO(data.decode().lstrip("\ufeff"))))
        header = rows[0]
        when, offset = header.index("When (Europe/Berlin)"), header.index("When: UTC offset")
        by_label = {r[header.index("Object")]: r for r in rows[1:]}
        winter, summer = by_label["winter"], by_label["summer"]
        assert (winter[offset], summer[offset]) == ("UTC+01:00", "UTC+02:00")
        shown = [str(r[when])[:16] for r in (winter, summer)]
        assert shown == ["2026-01-15 10:00", "2026-07-15 11:00"]


def test_the_audit_exports_changes_are_json_text(app, owner, store):
    import json

    from app.core.db import utcnow

    _audit_rows(store, [(utcnow(), "role.created", "审核员", {"name": [None, "审核员"], "enabled": [False, True]})])
    rows = _sheet(owner.get(f"/store/{store.slug}/audit?export=xlsx&q=role").get_data())
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("Object")] == "审核员")
    assert json.loads(row[header.index("Changes")]) == {"Name": [None, "审核员"], "Enabled": ["No", "Yes"]}
