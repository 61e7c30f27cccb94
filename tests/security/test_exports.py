"""No formula injection in exports: text that starts with = + - @ tab or CR reaches a
spreadsheet as text (a leading quote, OWASP's advice), in every CSV and XLSX we write;
numbers, negative ones included, stay numbers."""
import csv
import io
import re

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from app.blueprints.platform.models import Store
from app.core import export
from app.core.listview import ListView
from app.core.tenancy import store_context
from app.extensions import db
from tests.conftest import add_staff, wait_for
from tests.orders.test_orders import SHOPPER, _shop

PAYLOAD = "=cmd|' /C calc'!A0"
HOSTILE = [PAYLOAD, "+SUM(1+1)", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1", "\r=1+1"]
NUMBER = re.compile(export._NUMBER.pattern)


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _inert(cells) -> list[str]:
    """The cells a spreadsheet would evaluate."""
    return [c for c in cells if c.startswith(export.TRIGGERS) and not NUMBER.fullmatch(c)]


def test_cells_are_made_inert_and_numbers_stay_numbers():
    for text in HOSTILE:
        assert export.cell(text) == "'" + text and export.unescape(export.cell(text)) == text
    for number in (-1250, 3.5, "-12.50", "-¥1,234.50", "0", "12"):
        assert export.cell(number) == number
    assert export.cell(None) == "" and export.cell("plain") == "plain"


def test_the_order_export_shows_a_formula_shopper_name_as_text(app, owner, store):
    (sku,), _wh = _shop(app, store, price=1000)
    from app.blueprints.orders import services
    from app.blueprints.orders.models import Order
    from tests.orders.test_orders import ADDRESS

    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        services.place_order([services.LineRequest(sku, 1)], ADDRESS, shopper={**SHOPPER, "name": PAYLOAD})
        db.session.commit()
    rows = _rows(owner.get(f"/store/{store.slug}/orders/?export=csv").get_data(as_text=True))
    shopper = rows[0].index("Shopper")
    assert rows[1][shopper] == "'" + PAYLOAD
    assert _inert(cell for row in rows for cell in row) == []


def test_every_list_export_writes_inert_cells(app, owner, store):
    """Hostile text in staff, roles and the audit log, then every list page's CSV export."""
    email = add_staff(app, store, role="warehouse")
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        from app.blueprints.store import services
        from app.blueprints.store.models import StaffUser

        staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        services.update_staff(None, staff, HOSTILE[1], staff.role_id)
        services.create_role(None, HOSTILE[3], HOSTILE[2], ["store.dashboard"])
        db.session.commit()
    exported = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        cls = getattr(view, "view_class", None)
        if not (isinstance(cls, type) and issubclass(cls, ListView)) or set(rule.arguments) - {"slug"}:
            continue
        if not rule.rule.startswith("/store/"):
            continue
        response = owner.get(rule.rule.replace("<slug>", store.slug) + "?export=csv")
        assert response.status_code == 200, rule.rule
        rows = _rows(response.get_data(as_text=True))
        assert _inert(cell for row in rows for cell in row) == [], rule.rule
        exported += 1
    assert exported >= 10
    text = owner.get(f"/store/{store.slug}/staff?export=csv").get_data(as_text=True)
    assert "'" + HOSTILE[1] in text
    text = owner.get(f"/store/{store.slug}/roles?export=csv").get_data(as_text=True)
    assert "'" + HOSTILE[3] in text and "'" + HOSTILE[2] in text


def test_the_audit_log_export_job_writes_inert_cells(app, owner, store):
    add_staff(app, store, permissions=["store.dashboard"])      # audits a role named after its code
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        from app.blueprints.store import services

        services.create_role(None, PAYLOAD, "", ["store.dashboard"])
        db.session.commit()
    response = owner.form(f"/store/{store.slug}/audit/export")
    assert response.status_code == 303
    job = response.headers["Location"]
    download = wait_for(lambda: (m := re.search(r'href="([^"]+/jobs/\d+/file)"', owner.get(job).get_data(as_text=True)))
                        and m.group(1))
    rows = _rows(owner.get(download).get_data(as_text=True))
    assert any("'" + PAYLOAD in row for row in rows)
    assert _inert(cell for row in rows for cell in row) == []


def test_the_product_export_is_inert_and_imports_back_unchanged(app, owner, store):
    (sku,), _wh = _shop(app, store, price=1000)
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        from app.blueprints.catalog.models import Product, Sku

        product = db.session.get(Product, db.session.get(Sku, sku).product_id)
        product.title, product.subtitle = PAYLOAD, HOSTILE[3]
        db.session.commit()
    data = owner.get(f"/store/{store.slug}/catalog/products/export").get_data()
    rows = _rows(data.decode("utf-8"))
    assert _inert(cell for row in rows for cell in row) == []
    from app.blueprints.catalog import transfer

    read = transfer.read_rows(data, "products.csv")
    assert read[0][transfer.COLUMNS[1]] == PAYLOAD and read[0][transfer.COLUMNS[2]] == HOSTILE[3]


def test_xlsx_cells_are_text_never_formulas():
    book = Workbook()
    export.xlsx_append(book.active, [PAYLOAD, -1250, "-¥12.50", "ok"])
    out = io.BytesIO()
    book.save(out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    cells = [c for c in sheet[1]]
    assert [c.data_type for c in cells] == ["s", "n", "s", "s"]
    assert cells[0].value == "'" + PAYLOAD and cells[1].value == -1250
