"""Purchasing list pages (back office and portal) cost the same number of SQL statements for 3
rows as for 12, filter and export; the dashboard shows its figures; settings refuse bad input."""
import pytest
from sqlalchemy import select, update

from app.blueprints.purchasing.models import Suggestion
from app.blueprints.purchasing import replenishment
from tests import factories as f
from tests.support.crud import queries_for

STORE_LISTS = ["suppliers", "applications", "supplier-skus", "suggestions", "purchase-orders", "asns",
               "supplier-invoices"]
PORTAL_LISTS = ["orders", "asns", "receipts", "returns", "invoices"]


def _fill(store, account, n: int) -> None:
    from datetime import date

    from app.blueprints.inventory import services as inventory
    from app.blueprints.purchasing import orders, services

    with f.bound(store, request=True):
        supplier = f.supplier_record(store, account)
        warehouse = f.warehouse(store)
        for i in range(n):
            other = f.supplier_record(store)
            sku = f.sku(store)
            f.supplier_sku(store, supplier, sku)
            f.stock(store, sku, warehouse, 5)
            inventory.set_thresholds(None, sku.id, warehouse.id, 1, 10)
            po = f.purchase_order(store, supplier, lines=[(sku, 3)], state="received", warehouse_obj=warehouse)
            orders.enter_invoice(None, po, f"INV-{i}", date.today(), {po.lines[0].id: 1})
            orders.return_to_supplier(None, po, {po.lines[0].id: 1}, "破损")
            applicant = f.supplier()
            services.invite(None, applicant.email)
            services.apply(applicant, company=f"申请 {i}", credit_code="91110000600037341L", contact_name="王",
                           contact_email=applicant.email, files=[("l.pdf", b"%PDF-1.4")])
        replenishment.compute()


@pytest.fixture(scope="module")
def stores(app):
    f.use_app(app)
    few, many = f.store(), f.store()
    accounts = {few.slug: f.supplier(), many.slug: f.supplier()}
    _fill(few, accounts[few.slug], 3)
    _fill(many, accounts[many.slug], 12)
    yield few, many, accounts
    f.drop_store(few)
    f.drop_store(many)


@pytest.mark.parametrize("path", STORE_LISTS)
def test_back_office_lists_cost_the_same_for_3_rows_as_for_12(app, stores, path):
    few, many, _accounts = stores
    counts = []
    for store in (few, many):
        owner = f.client("store", store=store)
        count, html = queries_for(app, owner, f"/store/{store.slug}/purchasing/{path}?per_page=50")
        counts.append(count)
        assert "export=xlsx" in html
    assert counts[0] == counts[1], (path, counts)


@pytest.mark.parametrize("path", PORTAL_LISTS)
def test_portal_lists_cost_the_same_for_3_rows_as_for_12(app, stores, path):
    few, many, accounts = stores
    counts = []
    for store in (few, many):
        client = f.client("supplier", accounts[store.slug].email)
        count, html = queries_for(app, client, f"/supplier/stores/{store.slug}/{path}?per_page=50")
        counts.append(count)
    assert counts[0] == counts[1], (path, counts)


def test_the_dashboard_shows_open_orders_and_spend_per_supplier(app, stores):
    few, _many, _accounts = stores
    owner = f.client("store", store=few)
    html = owner.get(f"/store/{few.slug}/purchasing/").get_data(as_text=True)
    assert 'class="chart"' in html and 'id="spend"' in html and 'id="late"' in html


def test_suggestions_explain_their_numbers_and_become_draft_orders_from_the_list(app, stores):
    few, _many, _accounts = stores
    owner = f.client("store", store=few)
    html = owner.get(f"/store/{few.slug}/purchasing/suggestions").get_data(as_text=True)
    assert "lead" in html and "safety" in html and "MOQ" in html
    ids = f.read(few, lambda: f.db_session().scalars(select(Suggestion.id).where(Suggestion.status == "open")).all())
    assert ids
    owner.form(f"/store/{few.slug}/purchasing/suggestions", {"bulk_action": "order", "ids": ids})
    assert f.count(few, Suggestion, Suggestion.status == "ordered") == len(ids)


def test_settings_refuse_a_bad_tolerance_and_keep_the_rest(app, stores):
    few, _many, _accounts = stores
    owner = f.client("store", store=few)
    url = f"/store/{few.slug}/purchasing/settings"
    bad = owner.form(url, {"approval_threshold": "1000.00", "over_tolerance_pct": "150", "under_tolerance_pct": "5",
                           "velocity_days": "30", "cover_days": "14", "default_tax_rate": "13"})
    assert bad.status_code == 422
    good = owner.form(url, {"approval_threshold": "1000.00", "over_tolerance_pct": "8", "under_tolerance_pct": "5",
                            "velocity_days": "60", "cover_days": "7", "default_tax_rate": "9", "open_to_applications": "y"})
    assert good.status_code == 303
    from app.blueprints.purchasing import services

    row = f.read(few, services.settings)
    assert (row.approval_threshold, row.over_tolerance_pct, row.velocity_days, row.default_tax_rate,
            row.open_to_applications) == (100000, 8, 60, 900, True)
    assert (row.price_tolerance_pct, row.quantity_tolerance_pct) == (2, 0)          # not posted: unchanged
    base = {"approval_threshold": "1000.00", "over_tolerance_pct": "8", "under_tolerance_pct": "5", "velocity_days": "60",
            "cover_days": "7", "default_tax_rate": "9"}
    assert owner.form(url, {**base, "price_tolerance_pct": "101"}).status_code == 422
    assert owner.form(url, {**base, "price_tolerance_pct": "3", "quantity_tolerance_pct": "10"}).status_code == 303
    row = f.read(few, services.settings)
    assert (row.price_tolerance_pct, row.quantity_tolerance_pct) == (3, 10)


def test_spend_per_month_counts_whole_yen_by_the_stores_month(app):
    """A yen store's chart counts whole yen (¥50,000 once showed as 500), and a PO sent at 1 a.m.
    on the first of the month in Shanghai (still the month before in UTC) is that month's spend."""
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    from app.blueprints.purchasing.models import PurchaseOrder

    yen = f.store(currency="JPY")
    po = f.purchase_order(yen, state="sent", unit_price=5000, tax_rate=0)        # 10 × ¥5,000
    first = datetime.now(ZoneInfo("Asia/Shanghai")).replace(day=1, hour=1, minute=0, second=0, microsecond=0)
    with f._within(yen) as session:
        session.execute(update(PurchaseOrder).where(PurchaseOrder.id == po.id).values(sent_at=first.astimezone(timezone.utc)))
    html = f.client("store", store=yen).get(f"/store/{yen.slug}/purchasing/").get_data(as_text=True)
    assert f"<title>{first:%Y-%m}: 50000</title>" in html
    before = (first - timedelta(days=1)).strftime("%Y-%m")
    assert f"<title>{before}: 0</title>" in html
    assert "spend per month (japanese yen)" in html.lower()
