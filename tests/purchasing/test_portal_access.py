"""A supplier sees only its own business, and each store's only under that store: every portal
route is walked with the ids of two suppliers in two stores (like tests/core/test_routes.py)."""
import itertools
import re
from datetime import date

import pytest
from sqlalchemy import select

from app.blueprints.purchasing import orders, payables
from app.blueprints.purchasing.models import Asn, PurchaseOrder, SupplierInvoice, SupplierPayment, SupplierReturn
from app.core import tasks
from app.core.tasks import Task
from tests import factories as f
from tests.core.test_routes import schema_digest

PORTAL = "/supplier/stores/<slug>"
KIND_OF_SEGMENT = {"orders": PurchaseOrder, "asns": Asn, "returns": SupplierReturn, "invoices": SupplierInvoice,
                   "payments": SupplierPayment, "jobs": Task}
FORM = {"reason": "walk", "lines-0-line_id": "1", "lines-0-answer": "confirm", "lines-0-quantity": "1",
        "lines-0-date": "2030-01-01", "ship_date": "2030-01-01", "boxes": "1", "number": "WALK-1",
        "invoice_date": "2030-01-01"}


def _business(store, supplier, marker: str) -> dict:
    """A received PO (with its notice, an invoice and a debit note) and a sent PO of `supplier` in `store`."""
    with f.bound(store, request=True) as session:
        sku = f.sku(store, title=f"{marker} 商品")
        received = f.purchase_order(store, supplier, lines=[(sku, 6)], state="received")
        received.note = marker
        sent = f.purchase_order(store, supplier, lines=[(sku, 2)], state="sent")
        sent.note = marker
        asn = session.scalar(select(Asn).where(Asn.supplier_id == supplier.id))
        invoice = orders.enter_invoice(None, received, f"{marker}-{f.unique('inv')}", date.today(),
                                       {received.lines[0].id: 2})
        debit = orders.return_to_supplier(None, received, {received.lines[0].id: 1}, marker)
        payment = payables.record_payment(None, supplier.id, date.today(), {invoice.id: 100}, reference=marker)
        export = Task(kind="core.list_export", title=f"{marker} export", state="running",
                      params={"owner": f"supplier:{supplier.account_id}"})   # running: its cancel is walked too
        session.add(export)
        session.flush()
        path = tasks.files_dir() / f"{export.id}-{marker}.csv"
        path.write_text(marker)
        export.result_file = str(path)
        session.flush()
        return {PurchaseOrder: [received.id, sent.id], Asn: [asn.id], SupplierInvoice: [invoice.id],
                SupplierReturn: [debit.id], SupplierPayment: [payment.id], Task: [export.id]}


@pytest.fixture(scope="module")
def world(app):
    f.use_app(app)
    one, two = f.store(), f.store()
    x, y = f.supplier(company="X 公司"), f.supplier(company="Y 公司")
    x1, y1, x2 = f.supplier_record(one, x), f.supplier_record(one, y), f.supplier_record(two, x)
    rows = {}
    rows[("y", 1)] = _business(one, y1, "SUPYONEMARK")     # first: X's ids in store one are not X's in store two
    rows[("x", 1)] = _business(one, x1, "SUPXONEMARK")
    rows[("x", 2)] = _business(two, x2, "SUPXTWOMARK")
    yield one, two, x, y, rows
    f.drop_store(one)
    f.drop_store(two)


def _portal_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith(PORTAL)]


def _urls(rule, slug, ids: dict) -> list[str]:
    names = [a for a in rule.arguments if a != "slug"]
    choices = []
    for name in names:
        segment = re.search(r"([^/]+)/<(?:\w+:)?%s>" % name, rule.rule).group(1)
        choices.append(ids[KIND_OF_SEGMENT[segment]])
    out = []
    for combo in itertools.product(*choices):
        path = rule.rule.replace("<slug>", slug)
        for name, value in zip(names, combo):
            path = re.sub(r"<(?:[a-z]+:)?%s>" % name, str(value), path)
        out.append(path)
    return out


def _walk(app, client, slug, ids, markers, expect_all_404: bool = False) -> list:
    wrong = []
    for rule in _portal_rules(app):
        if not (set(rule.arguments) - {"slug"}) and not expect_all_404:
            continue
        for path in _urls(rule, slug, ids):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.get(path) if method == "GET" else client.form(path, dict(FORM))
                if response.status_code not in (403, 404):
                    wrong.append((method, path, response.status_code))
                text = response.get_data(as_text=True)
                wrong += [(method, path, marker) for marker in markers if marker in text]
    return wrong


def test_supplier_x_never_reaches_supplier_y_in_the_same_store(app, world):
    one, two, x, y, rows = world
    client = f.client("supplier", x.email)
    before = schema_digest(app, one)
    assert _walk(app, client, one.slug, rows[("y", 1)], ["SUPYONEMARK"]) == []
    assert schema_digest(app, one) == before
    # the same routes answer with X's own ids (the walk is not refused for another reason)
    own = rows[("x", 1)]
    for path in (f"orders/{own[PurchaseOrder][0]}", f"orders/{own[PurchaseOrder][0]}/print", f"asns/{own[Asn][0]}",
                 f"asns/{own[Asn][0]}/labels", f"returns/{own[SupplierReturn][0]}",
                 f"invoices/{own[SupplierInvoice][0]}", f"payments/{own[SupplierPayment][0]}",
                 f"jobs/{own[Task][0]}"):
        response = client.get(f"/supplier/stores/{one.slug}/{path}")
        assert response.status_code == 200 and "SUPXONEMARK" in response.get_data(as_text=True) or \
            response.status_code == 200 and path.startswith(("asns", "invoices")), path
    # its lists and home in that store hold its own rows only
    for path in ("orders", "asns", "receipts", "returns", "invoices", "payments", "", "scorecard"):
        text = client.get(f"/supplier/stores/{one.slug}/{path}").get_data(as_text=True)
        assert "SUPYONEMARK" not in text and "SUPXTWOMARK" not in text


def test_a_supplier_of_two_stores_sees_each_stores_rows_only_under_that_store(app, world):
    one, two, x, y, rows = world
    client = f.client("supplier", x.email)
    # X's ids of store one, asked for under store two where X has other rows
    theirs = {kind: [i for i in ids if i not in rows[("x", 2)][kind]] for kind, ids in rows[("x", 1)].items()}
    assert all(theirs.values())
    before = schema_digest(app, two)
    assert _walk(app, client, two.slug, theirs, ["SUPXONEMARK"]) == []
    assert schema_digest(app, two) == before
    page = client.get(f"/supplier/stores/{two.slug}/orders").get_data(as_text=True)
    assert client.get(f"/supplier/stores/{two.slug}/orders").status_code == 200
    own = f.read(two, lambda: f.db_session().get(PurchaseOrder, rows[("x", 2)][PurchaseOrder][0]).number)
    assert own in page


def test_a_store_a_supplier_does_not_serve_is_not_there_at_all(app, world):
    one, two, x, y, rows = world
    client = f.client("supplier", y.email)
    before = schema_digest(app, two)
    assert _walk(app, client, two.slug, rows[("x", 2)], ["SUPXTWOMARK"], expect_all_404=True) == []
    assert schema_digest(app, two) == before


def test_portal_pages_need_a_supplier_sign_in(app, world):
    one, two, x, y, rows = world
    staff = f.client("store", store=one)
    anonymous = app.test_client()
    po_id = rows[("x", 1)][PurchaseOrder][0]
    for client in (staff, anonymous):
        for path in ("orders", f"orders/{po_id}", "asns/new"):
            response = client.get(f"/supplier/stores/{one.slug}/{path}")
            assert response.status_code in (302, 401) and "/supplier/login" in response.headers.get("Location", "")


def test_supplier_y_cannot_change_supplier_x_users(app, world):
    one, two, x, y, rows = world
    from app.blueprints.platform import services
    from app.blueprints.platform.queries import supplier_account
    from app.extensions import db
    from tests.conftest import PASSWORD

    with app.app_context():
        user = services.add_supplier_user(db.session.get(type(x), x.id), f"{f.unique('wh')}@x.cn", "仓管",
                                          "warehouse", PASSWORD)
        db.session.commit()
        user_id = user.id
    client = f.client("supplier", y.email)
    client.form(f"/supplier/users/{user_id}", {"role": "admin", "active": "y"})
    with app.app_context():
        assert supplier_account(user_id).role == "warehouse"
