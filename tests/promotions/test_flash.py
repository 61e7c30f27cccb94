"""Flash sales: 1,000 concurrent claimers on 100 units make exactly 100 orders (the claim is a
Redis script), one shopper never beats the limit, unpaid claims go back to the pool once the
payment timeout's job has run, and an ended session gives the rest back to inventory."""
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from app.blueprints.inventory import services as inventory
from app.blueprints.orders import jobs as order_jobs
from app.blueprints.orders.models import Order
from app.blueprints.promotions import flash, jobs as promotion_jobs
from app.core import jobs
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.tenancy import store_context
from app.extensions import db
from tests import factories as f
from tests.conftest import wait_for
from tests.promotions.test_coupons import _bound, _members


def _armed(store, stock=150, pool=100, limit=1, price=10_000, flash_price=990):
    sku = f.sku(store, price=price, stock=stock)
    now = utcnow()
    with f.bound(store, request=True):
        session = flash.save_session(None, None, "整点秒杀", now - timedelta(minutes=1), now + timedelta(hours=1), 5)
        item = flash.add_item(None, session, sku.id, flash_price, pool, limit)
        flash.arm(None, session)
    return sku, session, item


def _claim_all(app, store, item_id, member_ids, workers=12):
    bound = _bound(store)

    def claim(member_id):
        with app.test_request_context(headers={"Accept-Language": "en"}), store_context(bound):
            try:
                return flash.place_claim(item_id, member_id, f.ADDRESS, f.SHOPPER)
            except DomainError:
                return None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [n for n in pool.map(claim, member_ids) if n]


def _sellable(store, sku_id):
    return f.read(store, lambda: inventory.sellable([sku_id]).get(sku_id, 0))


def _left(store, item_id):
    return f.read(store, lambda: flash.left(item_id))


def test_1000_concurrent_claimers_on_100_units_make_exactly_100_orders_and_unpaid_ones_come_back(app, store):
    sku, session, item = _armed(store)
    assert _sellable(store, sku.id) == 50                       # the pool is out of normal sale
    numbers = _claim_all(app, store, item.id, _members(store, 1000))
    assert len(numbers) == 100 and len(set(numbers)) == 100
    with f.bound(store):
        flash_orders = db.session.scalars(select(Order).where(Order.order_type == "flash_sale")).all()
        assert len(flash_orders) == 100
        assert {o.lines[0].unit_price - o.lines[0].discount for o in flash_orders} == {990}
        deadline = max(o.payment_deadline for o in flash_orders)
    assert _left(store, item.id) == 0 and _sellable(store, sku.id) == 50
    # nobody pays: the order center's payment timeout cancels them, and the pool gets the units back
    with time_machine.travel(deadline + timedelta(minutes=1), tick=False):
        jobs.run_job(order_jobs.cancel_unpaid_orders.job_name, store.id, [], {})
    wait_for(lambda: _left(store, item.id) == 100, timeout=120)
    assert _sellable(store, sku.id) == 50                       # back in the pool, not in normal sale
    again = _claim_all(app, store, item.id, _members(store, 150))
    assert len(again) == 100
    # the session ends: what the pool holds goes back to inventory
    with f.bound(store, request=True):
        held = inventory.holds(f"flash:{item.id}")
    assert sum(held.values()) == 0
    with time_machine.travel(session.ends_at + timedelta(minutes=1), tick=False):
        jobs.run_job(promotion_jobs.end_flash_sessions.job_name, store.id, [], {})
    assert _left(store, item.id) is None
    assert _sellable(store, sku.id) == 50                       # 100 still held by the unpaid second round


def test_one_shopper_claiming_many_times_at_once_gets_the_limit(app, store):
    sku, session, item = _armed(store, stock=20, pool=10, limit=2)
    (member_id,) = _members(store, 1)
    numbers = _claim_all(app, store, item.id, [member_id] * 20, workers=10)
    assert len(numbers) == 2
    assert _left(store, item.id) == 8


def test_an_ended_session_returns_its_pool_to_inventory(app, store):
    sku, session, item = _armed(store, stock=30, pool=20)
    assert _sellable(store, sku.id) == 10
    _claim_all(app, store, item.id, _members(store, 5))
    with time_machine.travel(session.ends_at, tick=False):
        jobs.run_job(promotion_jobs.end_flash_sessions.job_name, store.id, [], {})
    assert _sellable(store, sku.id) == 25                       # 5 are in unpaid orders
    assert _claim_all(app, store, item.id, _members(store, 1)) == []


def test_a_flash_order_cannot_be_placed_without_its_promotion(app, store):
    sku = f.sku(store, stock=5)
    with f.bound(store, request=True):
        from app.blueprints.orders import services as orders
        import pytest

        with pytest.raises(DomainError):
            orders.place_order([orders.LineRequest(sku.id, 1)], f.ADDRESS, shopper=f.SHOPPER, order_type="flash_sale")


def test_the_owner_sets_up_a_flash_sale_and_a_shopper_buys_until_it_is_sold_out(app, store):
    sku = f.sku(store, price=10_000, stock=5)
    owner = f.client("store", store=store)
    response = owner.form(f"/store/{store.slug}/promotions/flash/new", {
        "name": "午间秒杀", "starts_at": "2020-01-01 00:00", "ends_at": "2099-01-01 00:00", "payment_minutes": "5"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    session_url = response.headers.get("HX-Location") or response.headers["Location"]
    session_id = int(session_url.rstrip("/").rsplit("/", 1)[-1])
    base = f"/store/{store.slug}/promotions/flash/{session_id}"
    bad = owner.form(base, {"action": "item", "sku_code": "NOPE", "flash_price": "9.90", "pool": "1",
                            "per_member_limit": "1"})
    assert bad.status_code == 422 and "No SKU with the code" in bad.get_data(as_text=True)
    owner.form(base, {"action": "item", "sku_code": sku.code, "flash_price": "9.90", "pool": "1",
                      "per_member_limit": "1"})
    owner.form(base, {"action": "arm"})
    page = owner.get(base).get_data(as_text=True)
    assert "Armed" in page and "¥9.90" in page
    shopper = f.member(store)
    f.address(store, shopper)
    client = f.shopper_client(store, shopper)
    shop = client.get(f"/shop/{store.slug}/flash").get_data(as_text=True)
    assert "¥9.90" in shop and "Buy now" in shop
    item_id = int(shop.split('data-item="')[1].split('"')[0])
    bought = client.form(f"/shop/{store.slug}/flash-items/{item_id}/claim")
    assert bought.status_code == 303 and "/orders/" in bought.headers["Location"]
    order_page = client.get(bought.headers["Location"]).get_data(as_text=True)
    assert "¥9.90" in order_page
    assert "Sold out" in client.get(f"/shop/{store.slug}/flash").get_data(as_text=True)
    other = f.shopper_client(store, f.member(store))
    refused = other.form(f"/shop/{store.slug}/flash-items/{item_id}/claim")
    assert refused.status_code == 303   # no address: sent to add one, nothing bought
