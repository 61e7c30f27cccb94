"""Replenishment arithmetic on built histories, the stock.low handler, the nightly jobs run with
the clock moved, and the scorecard."""
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.blueprints.inventory import services as inventory
from app.blueprints.purchasing import jobs, orders, replenishment, scorecard
from app.blueprints.purchasing.models import Asn, PurchaseOrder, Suggestion, SupplierScore
from app.blueprints.purchasing.replenishment import Figures, suggest
from app.core import jobs as core_jobs
from app.core.db import utcnow
from tests import factories as f
from tests.conftest import wait_for


def _figures(**kw):
    base = dict(shipped=0, days=30, lead_time=7, cover_days=14, safety_stock=0, reorder_point=0, on_hand=0,
                reserved=0, on_order=0, moq=1, pack_size=1)
    base.update(kw)
    return Figures(**base)


def test_velocity_lead_time_and_safety_stock_make_the_target():
    # 90 sold in 30 days = 3 a day; (7 + 14) days × 3 = 63; + 10 safety = 73; on hand 20 → need 53
    quantity, numbers = suggest(_figures(shipped=90, safety_stock=10, on_hand=20))
    assert quantity == 53
    assert numbers["daily_sales"] == "3.000" and numbers["demand"] == 63 and numbers["target"] == 73
    assert numbers["position"] == 20 and numbers["need"] == 53


def test_reserved_stock_and_open_orders_count_in_the_position():
    quantity, numbers = suggest(_figures(shipped=90, on_hand=50, reserved=20, on_order=25))
    assert numbers["position"] == 55 and quantity == 8          # 63 − 55


def test_demand_rounds_up_and_the_reorder_point_is_a_floor():
    assert suggest(_figures(shipped=10, days=30, lead_time=2, cover_days=1))[1]["demand"] == 1   # 1/3 a day × 3
    quantity, numbers = suggest(_figures(reorder_point=12, on_hand=5))        # nothing sold: the reorder point
    assert numbers["target"] == 12 and quantity == 7


def test_moq_then_pack_size_rounding():
    assert suggest(_figures(shipped=30, on_hand=10, moq=50))[0] == 50          # need 11 → MOQ 50
    assert suggest(_figures(shipped=30, on_hand=10, moq=1, pack_size=12))[0] == 12
    assert suggest(_figures(shipped=30, on_hand=0, moq=25, pack_size=12))[0] == 36   # need 21 → 25 → 3 packs
    assert suggest(_figures(shipped=0, on_hand=5))[0] == 0                     # nothing needed: no suggestion


def _sell(store, sku, warehouse, quantity, reference):
    """Stock that left as a sale (a shipment row in the ledger)."""
    inventory.move(sku.id, warehouse.id, "shipment", "outbound", reference, on_hand=-quantity)
    f.db_session().flush()          # the ledger row takes its time now (under a moved clock too)


def test_suggestions_from_the_ledger_group_by_supplier_into_draft_orders(store):
    with f.bound(store, request=True) as session:
        warehouse = f.warehouse(store)
        s1, s2 = f.supplier_record(store), f.supplier_record(store)
        a, b, c = f.sku(store), f.sku(store), f.sku(store)
        f.stock(store, a, warehouse, 120)
        f.stock(store, b, warehouse, 100)
        f.stock(store, c, warehouse, 100)
        f.supplier_sku(store, s1, a, price=300, moq=10, pack_size=6, lead_time_days=10)
        f.supplier_sku(store, s1, b, price=200, lead_time_days=5)
        f.supplier_sku(store, s2, c, price=100, lead_time_days=3)
        with time_machine.travel(utcnow() - timedelta(days=40), tick=False):
            _sell(store, a, warehouse, 50, "old")                      # outside the 30-day window
        _sell(store, a, warehouse, 60, "recent")                         # 2 a day; on hand 10
        _sell(store, b, warehouse, 90, "recent")                         # 3 a day; on hand 10
        f.purchase_order(store, s1, lines=[(b, 20)], state="sent", warehouse_obj=warehouse)   # on order 20
        count = replenishment.compute()
        rows = {r.sku_id: r for r in session.scalars(select(Suggestion).where(Suggestion.status == "open"))}
        assert count == 2 and set(rows) == {a.id, b.id}                  # c sold nothing: none
        na = rows[a.id].numbers      # 2/day × (10 + 14) = 48; need 48 − 10 = 38 → 7 packs of 6
        assert (na["shipped"], na["demand"], na["position"], na["need"]) == (60, 48, 10, 38)
        assert rows[a.id].quantity == 42 and na["sku_code"] == a.code
        nb = rows[b.id].numbers      # 3/day × (5 + 14) = 57; 10 on hand + 20 on order → 27
        assert (nb["demand"], nb["on_hand"], nb["on_order"]) == (57, 10, 20) and rows[b.id].quantity == 27
        # recomputing updates in place: still one open suggestion per SKU and warehouse
        replenishment.compute()
        assert len(session.scalars(select(Suggestion).where(Suggestion.status == "open")).all()) == 2
        made = replenishment.to_orders(None, [rows[a.id].id, rows[b.id].id])
        assert len(made) == 1 and made[0].supplier_id == s1.id and made[0].status == "draft"
        assert {l.sku_id: l.quantity for l in made[0].lines} == {a.id: 42, b.id: 27}
        assert {l.unit_price for l in made[0].lines} == {300, 200}


def test_stock_low_suggests_through_the_worker(app, store):
    with f.bound(store, request=True):
        warehouse = f.warehouse(store)
        supplier = f.supplier_record(store)
        sku = f.sku(store)
        f.stock(store, sku, warehouse, 30)
        f.supplier_sku(store, supplier, sku, moq=20)
        inventory.set_thresholds(None, sku.id, warehouse.id, safety_stock=5, reorder_point=10)
    with f.bound(store, request=True):
        _sell(store, sku, warehouse, 25, "order:X1")                     # 5 left, below 10: stock.low
    row = wait_for(lambda: f.read(store, lambda: f.db_session().scalar(
        select(Suggestion).where(Suggestion.sku_id == sku.id, Suggestion.status == "open"))))
    assert row.trigger == "stock_low" and row.quantity >= 20
    assert row.numbers["on_hand"] == 5 and row.numbers["reorder_point"] == 10


def test_the_nightly_jobs_run_for_the_store_with_the_clock_moved(app, store):
    with f.bound(store, request=True):
        warehouse = f.warehouse(store)
        supplier = f.supplier_record(store)
        sku = f.sku(store)
        f.stock(store, sku, warehouse, 10)
        f.supplier_sku(store, supplier, sku)
        _sell(store, sku, warehouse, 9, "order:N1")
    with time_machine.travel(utcnow() + timedelta(days=1), tick=True):
        assert core_jobs.run_job(jobs.nightly_suggestions.job_name, store.id, [], {}) >= 1
        assert core_jobs.run_job(jobs.nightly_scorecards.job_name, store.id, [], {}) >= 1
    assert f.count(store, Suggestion, Suggestion.sku_id == sku.id) == 1
    assert f.count(store, SupplierScore, SupplierScore.supplier_id == supplier.id) == 1
    # sales older than the window no longer count, 40 days on
    with time_machine.travel(utcnow() + timedelta(days=40), tick=True):
        core_jobs.run_job(jobs.nightly_suggestions.job_name, store.id, [], {})
    row = f.read(store, lambda: f.db_session().scalar(select(Suggestion).where(Suggestion.sku_id == sku.id)))
    assert row is None or row.numbers["shipped"] == 0


def test_scorecard_counts_on_time_deliveries_fill_defects_and_price_trend(store):
    with f.bound(store, request=True):
        supplier = f.supplier_record(store)
        sku = f.sku(store)
        link = f.supplier_sku(store, supplier, sku, price=1000)
        today = date.today()
        on_time = f.purchase_order(store, supplier, lines=[(sku, 10)], state="shipped", confirm_date=today + timedelta(days=2))
        late = f.purchase_order(store, supplier, lines=[(sku, 10)], state="shipped", confirm_date=today - timedelta(days=1))
        for po, (counted, rejected) in ((on_time, (10, 0)), (late, (10, 2))):
            asn = f.db_session().scalar(select(Asn).join(Asn.lines).where(Asn.lines.any(po_line_id=po.lines[0].id)))
            orders.receive_asn(None, asn, {asn.lines[0].id: (counted, rejected, "")})
        from app.blueprints.purchasing import services

        with time_machine.travel(utcnow() + timedelta(days=1), tick=False):
            services.save_supplier_sku(None, link, supplier_id=supplier.id, sku_code=sku.code, price=1100)
            f.db_session().flush()
        with time_machine.travel(utcnow() + timedelta(days=2), tick=False):
            score = scorecard.compute([supplier.id])[0]
        assert (score.deliveries, score.on_time, score.on_time_rate) == (2, 1, 5000)
        assert score.fill_rate == 9000                  # 18 accepted of 20 ordered
        assert score.defect_rate == 1000                # 2 rejected of 20 delivered
        assert score.price_trend == 1000                # +10 %
