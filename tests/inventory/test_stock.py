"""Inventory: never negative, never promised twice, the ledger always adds up."""
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import itertools

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from app.blueprints.inventory import services
from app.blueprints.inventory.models import Reservation, StockLevel, StockMovement
from app.blueprints.platform.models import Store
from app.core.db import utcnow
from app.core.errors import DomainError, IllegalTransition
from app.core.outbox import OutboxEvent
from app.core.tenancy import store_context
from app.extensions import db
from tests import factories as f


_seq = itertools.count(1)


@pytest.fixture()
def store(module_store):
    """These tests only need the database: they share one store (each makes its own SKUs)."""
    return module_store


def _setup(app, store, skus=1, stock=(10,), warehouses=1):
    """SKU ids and warehouse ids, with `stock[i]` received into warehouse i for every SKU."""
    with f.bound(store, request=True):
        category = f.category(store)
        sku_ids = [f.sku(store, title=f"库存商品{i}", status="draft", category_obj=category).id for i in range(skus)]
        wh_ids = [f.warehouse(store, name=f"仓库{w}", priority=(w + 1) * 10).id for w in range(warehouses)]
        for sku_id in sku_ids:
            for w, quantity in zip(wh_ids, stock):
                if quantity:
                    f.stock(store, sku_id, w, quantity)
    return sku_ids, wh_ids


def _level(app, store, sku_id, wh_id):
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        level = db.session.scalar(select(StockLevel).where(StockLevel.sku_id == sku_id, StockLevel.warehouse_id == wh_id))
        return level.on_hand, level.reserved


def _ledger_ok(app, store) -> bool:
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        check = services.verify_ledger()
        db.session.rollback()
        return not check.drift


@pytest.mark.parametrize("round_", range(20))
def test_reservation_never_oversells_under_contention(app, store, round_):
    (sku_id,), (wh_id,) = _setup(app, store, stock=(10,))
    bound = None
    with app.app_context():
        bound = db.session.get(Store, store.id)
        db.session.expunge(bound)

    def attempt(i):
        with app.app_context(), store_context(bound):
            try:
                services.reserve([services.Line(sku_id, 1)], f"order-{round_}-{sku_id}-{i}")
                db.session.commit()
                return True
            except services.OutOfStock:
                db.session.rollback()
                return False

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(attempt, range(200)))
    assert sum(results) == 10
    assert _level(app, store, sku_id, wh_id) == (10, 10)
    assert _ledger_ok(app, store)


def test_reserve_is_all_or_nothing_across_lines_and_warehouses(app, store):
    (a, b), (w1, w2) = _setup(app, store, skus=2, stock=(3, 4), warehouses=2)
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        with pytest.raises(services.OutOfStock):
            services.reserve([services.Line(a, 5), services.Line(b, 8)], "too-much")   # b has only 7
        reservation = services.reserve([services.Line(a, 5), services.Line(b, 7)], "fits")
        assert sorted((l["warehouse_id"], l["quantity"]) for l in reservation.lines if l["sku_id"] == a) == [(w1, 3), (w2, 2)]
        again = services.reserve([services.Line(a, 1)], "fits")            # idempotent per reference
        assert again.id == reservation.id
        db.session.commit()
    assert _level(app, store, a, w1) == (3, 3) and _level(app, store, b, w2) == (4, 4)


def test_a_fresh_reservation_short_of_stock_changes_no_stock_row_without_a_savepoint(app, store):
    """A new order's reservation (`fresh`) goes without a savepoint: the shortage of its last line
    is found before its first line's stock changes, so the caller's transaction holds nothing."""
    (a, b), (w1, _w2) = _setup(app, store, skus=2, stock=(3, 4), warehouses=2)
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        with pytest.raises(services.OutOfStock):
            services.reserve([services.Line(a, 5), services.Line(b, 8)], "fresh-too-much", fresh=True)
        assert db.session.scalar(select(func.sum(StockLevel.reserved)).where(StockLevel.sku_id.in_([a, b]))) == 0
        assert db.session.scalar(select(func.count()).select_from(StockMovement).where(
            StockMovement.document_ref == "fresh-too-much")) == 0
        reservation = services.reserve([services.Line(a, 5), services.Line(b, 7)], "fresh-fits", fresh=True)
        assert reservation.id and sorted(l["quantity"] for l in reservation.lines if l["sku_id"] == a) == [2, 3]
        db.session.commit()
    assert _level(app, store, a, w1) == (3, 3)
    assert _ledger_ok(app, store)


def test_commit_release_expire_and_illegal_transitions(app, store):
    (sku,), (wh,) = _setup(app, store, stock=(10,))
    with app.test_request_context(headers={"Accept-Language": "en"}), store_context(db.session.get(Store, store.id)):
        services.reserve([services.Line(sku, 4)], "r-ship")
        services.reserve([services.Line(sku, 3)], "r-cancel")
        services.reserve([services.Line(sku, 2)], "r-expire", expires_at=utcnow() - timedelta(minutes=1))
        services.commit("r-ship")
        services.release("r-cancel")
        assert services.expire_reservations() == 1
        with pytest.raises(IllegalTransition):
            services.release("r-ship")
        db.session.commit()
        statuses = dict(db.session.execute(select(Reservation.reference, Reservation.status)).all())
    assert statuses["r-ship"] == "committed" and statuses["r-cancel"] == "released" and statuses["r-expire"] == "expired"
    assert _level(app, store, sku, wh) == (6, 0)
    assert _ledger_ok(app, store)


def test_low_stock_is_emitted_once_per_crossing(app, store):
    (sku,), (wh,) = _setup(app, store, stock=(10,))
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        services.set_thresholds(None, sku, wh, 0, 5)
        for ref in ("a", "b", "c"):
            services.reserve([services.Line(sku, 2)], f"low-{ref}")      # available 8, 6, 4
        services.reserve([services.Line(sku, 1)], "low-d")               # 3: still low, no second event
        services.release("low-a")
        services.release("low-b")                                        # back to 7: re-armed
        services.reserve([services.Line(sku, 3)], "low-e")               # 4 again: a second crossing
        db.session.commit()
        events = db.session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "stock.low")).all()
    assert [e.payload["available"] for e in events] == [4, 4]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["receive", "adjust", "reserve", "release", "commit"]),
                          st.integers(min_value=-5, max_value=12)), min_size=1, max_size=25))
def test_random_operations_keep_the_ledger_equal_to_the_balances(app, store, ops):
    (sku,), (wh,) = _setup(app, store, stock=(0,))
    open_refs: list[str] = []
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        for n, (op, qty) in enumerate(ops):
            try:
                with db.session.begin_nested():
                    if op == "receive":
                        services.receive(None, sku, wh, qty, f"r{n}")
                    elif op == "adjust":
                        services.adjust(None, sku, wh, delta=qty, reason="test")
                    elif op == "reserve":
                        ref = f"h-{sku}-{n}"
                        services.reserve([services.Line(sku, qty)], ref)
                        open_refs.append(ref)
                    elif open_refs:
                        ref = open_refs.pop(qty % len(open_refs))
                        (services.release if op == "release" else services.commit)(ref)
            except DomainError:
                pass
            level = db.session.execute(select(StockLevel.on_hand, StockLevel.reserved).where(
                StockLevel.sku_id == sku, StockLevel.warehouse_id == wh)).first()
            if level is not None:
                assert level.on_hand >= 0 and 0 <= level.reserved <= level.on_hand
        db.session.commit()
        sums = db.session.execute(select(func.sum(StockMovement.on_hand_change), func.sum(StockMovement.reserved_change))
                                  .where(StockMovement.sku_id == sku, StockMovement.warehouse_id == wh)).one()
        level = db.session.execute(select(StockLevel.on_hand, StockLevel.reserved).where(
            StockLevel.sku_id == sku, StockLevel.warehouse_id == wh)).first() or (0, 0)
        assert (sums[0] or 0, sums[1] or 0) == tuple(level)
