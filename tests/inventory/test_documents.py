"""Inbound (partial receipt, put-away), outbound (pick list by bin, shipment), transfers,
stocktakes (blind, scans, variances); illegal steps change nothing."""
import re

import pytest
from sqlalchemy import select

from app.blueprints.catalog.models import Sku
from app.blueprints.inventory import documents, services
from app.blueprints.inventory.models import StockDocument, StockMovement, Warehouse
from app.blueprints.platform.models import Store
from app.core.errors import DomainError, IllegalTransition
from app.core.tenancy import store_context
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.inventory.test_stock import _level, _setup


def _code(app, store, sku_id):
    return _get(app, store, lambda: db.session.get(Sku, sku_id).code)


def _doc_id(response) -> int:
    return int(re.search(r"/documents/(\d+)", response.headers["Location"]).group(1))


def test_partial_receipt_into_bins_then_complete_posts_stock(app, owner, store):
    (a, b), (wh,) = _setup(app, store, skus=2, stock=(0,))
    _get(app, store, lambda: services.add_location(None, db.session.get(Warehouse, wh), "A", "01", "", "2"))
    base = f"/store/{store.slug}/inventory/documents"
    doc = _doc_id(owner.form(f"{base}/new/inbound", {"kind": "purchase", "warehouse_id": wh, "reference": "DN-1"}))
    owner.form(f"{base}/{doc}/line", {"sku_code": _code(app, store, a), "quantity": "10"})
    owner.form(f"{base}/{doc}/line", {"sku_code": _code(app, store, b), "quantity": "5"})
    line_a, line_b = _get(app, store, lambda: [l.id for l in db.session.get(StockDocument, doc).lines])
    owner.form(f"{base}/{doc}/receive", {"line_id": line_a, "quantity": "6", "location": "a-01-2"})
    owner.form(f"{base}/{doc}/receive", {"line_id": line_a, "quantity": "9"})          # more than expected: refused
    owner.form(f"{base}/{doc}/receive", {"line_id": line_b, "quantity": "5", "location": "Z-99"})  # no such bin
    assert _get(app, store, lambda: [l.done for l in db.session.get(StockDocument, doc).lines]) == [6, 0]
    owner.form(f"{base}/{doc}/receive", {"line_id": line_a, "quantity": "4"})
    owner.form(f"{base}/{doc}/complete")
    assert _get(app, store, lambda: db.session.get(StockDocument, doc).status) == "completed"
    assert _level(app, store, a, wh) == (10, 0)
    html = owner.get(f"/store/{store.slug}/inventory/skus/{a}").get_data(as_text=True)
    assert "IN-" in html and "0 → 10" in html
    timeline = owner.get(f"{base}/{doc}").get_data(as_text=True)
    # the document's timeline speaks words, never codes: who, what, from → to, the SKU received
    assert "inbound.receiving" not in timeline and "inbound.completed" not in timeline
    assert "Draft → Receiving" in timeline and "Receiving → Completed" in timeline
    assert f"Received {_code(app, store, a)}: 10 in total" in timeline


def test_outbound_pick_list_is_sorted_by_bin_and_shipping_posts(app, owner, store):
    (a, b), (wh,) = _setup(app, store, skus=2, stock=(20,))
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        for sku, bin_ in ((a, "B-02"), (b, "A-01")):
            doc = documents.create(None, "inbound", "other", wh)
            line = documents.add_line(None, doc, db.session.get(Sku, sku).code, 1)
            db.session.flush()
            services.add_location(None, db.session.get(Warehouse, wh), bin_.split("-")[0], bin_.split("-")[1], "", "")
            db.session.flush()
            documents.receive_line(None, doc, line.id, 1, bin_)
            documents.complete_inbound(None, doc)
        out = documents.create(None, "outbound", "sales", wh, reference="order-77")
        documents.add_line(None, out, db.session.get(Sku, a).code, 3)
        documents.add_line(None, out, db.session.get(Sku, b).code, 2)
        db.session.commit()
        out_id = out.id
    base = f"/store/{store.slug}/inventory/documents/{out_id}"
    page = owner.get(f"{base}/pick-list").get_data(as_text=True)
    assert re.findall(r'data-location="([^"]*)"', page) == ["A-01", "B-02"]
    owner.form(f"{base}/ship")                                             # not packed yet: refused
    assert _level(app, store, a, wh) == (21, 0)
    for step in ("start_picking", "pack", "ship"):
        owner.form(f"{base}/{step}")
    assert _level(app, store, a, wh) == (18, 0) and _level(app, store, b, wh) == (19, 0)


def test_sales_shipment_commits_its_reservation(app, store):
    (sku,), (wh,) = _setup(app, store, stock=(10,))
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        services.reserve([services.Line(sku, 4)], "order-9")
        out = documents.create(None, "outbound", "sales", wh, reference="order-9")
        documents.add_line(None, out, db.session.get(Sku, sku).code, 4)
        for step in (documents.start_picking, documents.pack, documents.ship):
            step(None, out)
        db.session.commit()
    assert _level(app, store, sku, wh) == (6, 0)


def test_transfer_moves_stock_between_warehouses(app, store):
    (sku,), (w1, w2) = _setup(app, store, stock=(10, 0), warehouses=2)
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        doc = documents.create(None, "transfer", "transfer", w1, w2)
        documents.add_line(None, doc, db.session.get(Sku, sku).code, 7)
        with pytest.raises(IllegalTransition):
            documents.receive_transfer(None, doc)
        documents.dispatch_transfer(None, doc)
        db.session.commit()
        assert _level(app, store, sku, w1) == (3, 0)
        documents.receive_transfer(None, doc)
        db.session.commit()
    assert _level(app, store, sku, w2) == (7, 0)


def test_blind_stocktake_with_scans_and_variances(app, owner, store):
    (a, b), (wh,) = _setup(app, store, skus=2, stock=(10,))
    base = f"/store/{store.slug}/inventory/documents"
    doc = _doc_id(owner.form(f"{base}/new/stocktake", {"kind": "full", "warehouse_id": wh, "blind": "1"}))
    page = owner.get(f"{base}/{doc}").get_data(as_text=True)
    assert "<th>Book</th>" not in page                                   # blind: no book quantity shown
    code_a, code_b = _code(app, store, a), _code(app, store, b)
    scans = "\n".join([code_a] * 8 + [f"{code_b},12"])
    owner.form(f"{base}/{doc}/scans", {"scans": scans})
    owner.form(f"{base}/{doc}/submit")
    review = owner.get(f"{base}/{doc}").get_data(as_text=True)
    assert "-2" in review and "+2" in review
    owner.form(f"{base}/{doc}/approve")
    assert _level(app, store, a, wh) == (8, 0) and _level(app, store, b, wh) == (12, 0)
    kinds = _get(app, store, lambda: sorted(db.session.scalars(select(StockMovement.kind).where(
        StockMovement.document_ref == db.session.get(StockDocument, doc).number))))
    assert kinds == ["stocktake_gain", "stocktake_loss"]


def test_illegal_steps_change_nothing(app, store):
    (sku,), (wh,) = _setup(app, store, stock=(5,))
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        doc = documents.create(None, "inbound", "purchase", wh)
        with pytest.raises(DomainError):
            documents.complete_inbound(None, doc)
        documents.cancel(None, doc)
        with pytest.raises(DomainError):
            documents.add_line(None, doc, db.session.get(Sku, sku).code, 1)
        with pytest.raises(IllegalTransition):
            documents.cancel(None, doc)
        db.session.commit()
    assert _level(app, store, sku, wh) == (5, 0)


def test_zone_count_covers_the_skus_put_away_in_that_zone(app, store):
    (a, b), (wh,) = _setup(app, store, skus=2, stock=(0,))
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        warehouse = db.session.get(Warehouse, wh)
        for zone in ("A", "B"):
            services.add_location(None, warehouse, zone, "01", "", "")
        db.session.flush()
        for sku, bin_ in ((a, "A-01"), (b, "B-01")):
            doc = documents.create(None, "inbound", "purchase", wh)
            line = documents.add_line(None, doc, db.session.get(Sku, sku).code, 5)
            db.session.flush()
            documents.receive_line(None, doc, line.id, 5, bin_)
            documents.complete_inbound(None, doc)
        count = documents.create(None, "stocktake", "zone", wh, reference="a")
        db.session.flush()
        assert [(l.sku_id, l.quantity, l.location) for l in count.lines] == [(a, 5, "A-01")]
        db.session.rollback()


def test_a_large_stocktake_page_runs_a_fixed_number_of_queries(app, owner, store):
    from tests.core.test_listview import _queries_for

    counts = {}
    for n in (2, 12):
        _sku_ids, (wh,) = _setup(app, store, skus=n, stock=(3,))
        doc = _get(app, store, lambda: documents.create(None, "stocktake", "full", wh).id)
        count, html = _queries_for(app, owner, f"/store/{store.slug}/inventory/documents/{doc}")
        assert html.count("data-sku=") == n
        counts[n] = count
    assert counts[2] == counts[12]


def test_scanner_input_with_an_unknown_code_rejects_only_that_line_and_names_it(app, owner, store):
    (a, b), (wh,) = _setup(app, store, skus=2, stock=(10,))
    base = f"/store/{store.slug}/inventory/documents"
    doc = _doc_id(owner.form(f"{base}/new/stocktake", {"kind": "full", "warehouse_id": wh}))
    code_a, code_b = _code(app, store, a), _code(app, store, b)
    scans = "\n".join([code_a] * 3 + ["NO-SUCH-CODE", f"{code_b},7", f"{code_b},x"])
    page = owner.form(f"{base}/{doc}/scans", {"scans": scans}, follow_redirects=True).get_data(as_text=True)
    assert "NO-SUCH-CODE" in page and f"{code_b},x" in page
    counted = _get(app, store, lambda: {l.sku_id: (l.done, l.counted) for l in db.session.get(StockDocument, doc).lines})
    assert counted[a] == (3, True) and counted[b] == (7, True)


def test_an_approval_that_cannot_post_names_the_sku_and_the_shortfall(app, owner, store):
    (sku,), (wh,) = _setup(app, store, stock=(10,))
    code = _code(app, store, sku)
    base = f"/store/{store.slug}/inventory/documents"
    doc = _doc_id(owner.form(f"{base}/new/stocktake", {"kind": "full", "warehouse_id": wh}))
    owner.form(f"{base}/{doc}/scans", {"scans": f"{code},2"})       # counted 2 of a book of 10: a loss of 8
    owner.form(f"{base}/{doc}/submit")
    _get(app, store, lambda: services.reserve([services.Line(sku, 5)], "order:held"))   # 5 promised meanwhile
    page = owner.form(f"{base}/{doc}/approve", follow_redirects=True).get_data(as_text=True)
    assert code in page and "short by 3" in page
    assert _level(app, store, sku, wh) == (10, 5)
    assert _get(app, store, lambda: db.session.get(StockDocument, doc).status) == "review"


def test_documents_created_at_once_in_two_transactions_do_not_wait_for_each_other(app, store):
    """Each new document has a placeholder number of its own until its id names it: with one
    shared placeholder the second transaction waited on the unique index for the first one
    (and deadlocked with it when that one then waited for the second's stock)."""
    import threading

    (_sku,), (wh,) = _setup(app, store, stock=(1,))
    started, finished = threading.Event(), threading.Event()

    def second():
        with app.app_context(), store_context(db.session.get(Store, store.id)):
            started.set()
            documents.create(None, "outbound", "other", wh)
            db.session.flush()
            finished.set()
            db.session.rollback()

    with app.app_context(), store_context(db.session.get(Store, store.id)):
        documents.create(None, "outbound", "other", wh)      # open, not committed
        db.session.flush()
        thread = threading.Thread(target=second)
        thread.start()
        assert started.wait(10)
        done = finished.wait(5)
        db.session.rollback()
        thread.join(10)
    assert done, "the second create waited for the first transaction"
