"""Coupons: a template's quantity is never over-issued and a member's limit never exceeded under
concurrency, a claimed coupon takes its amount at checkout (and comes back when the order is
cancelled), expiry with the clock moved and the job run, bulk codes, and member isolation."""
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import func, select

from app.blueprints.orders import services as orders
from app.blueprints.platform.models import Store
from app.blueprints.promotions import coupons, jobs as promotion_jobs
from app.blueprints.promotions.models import Coupon, CouponTemplate
from app.core import jobs
from app.core.errors import DomainError
from app.core.tenancy import store_context
from app.extensions import db
from tests import factories as f
from tests.conftest import wait_for

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)


def template(store, **values):
    base = {"name": f.unique("券"), "kind": "amount_off", "amount": 2_000, "threshold": 10_000, "quantity": 50,
            "per_member_limit": 1, "valid_days": 7}
    with f._within(store):
        return coupons.save_template(None, None, {**base, **values})


def _members(store, n):
    from app.blueprints.members.models import Member

    with f.bound(store):
        rows = [Member(email=f"m{i}-{f.unique('x')}@example.com", name="顾客", status="active") for i in range(n)]
        db.session.add_all(rows)
        db.session.flush()
        return [r.id for r in rows]


def _bound(store):
    with f._app.app_context():
        row = db.session.get(Store, store.id)
        db.session.expunge(row)
        return row


def _claim_all(app, store, template_id, member_ids, workers=20):
    bound = _bound(store)

    def claim(member_id):
        with app.test_request_context(headers={"Accept-Language": "en"}), store_context(bound):
            try:
                coupons.claim_coupon(member_id, template_id)
                db.session.commit()
                return "ok"
            except DomainError:
                db.session.rollback()
                return "gone"

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(claim, member_ids))


def test_200_concurrent_shoppers_on_a_template_of_50_get_exactly_50(app, store):
    t = template(store, quantity=50)
    results = _claim_all(app, store, t.id, _members(store, 200))
    assert results.count("ok") == 50 and results.count("gone") == 150
    assert f.count(store, Coupon, Coupon.template_id == t.id) == 50
    assert f.get(store, CouponTemplate, t.id).issued == 50


def test_one_shopper_claiming_at_once_never_exceeds_the_limit(app, store):
    t = template(store, quantity=100, per_member_limit=2)
    (member_id,) = _members(store, 1)
    results = _claim_all(app, store, t.id, [member_id] * 30, workers=10)
    assert results.count("ok") == 2
    assert f.count(store, Coupon, Coupon.member_id == member_id) == 2
    assert f.get(store, CouponTemplate, t.id).issued == 2


def test_a_claimed_coupon_takes_its_amount_at_checkout_and_comes_back_on_cancel(app, store):
    sku = f.sku(store, price=6_000, stock=20)
    t = template(store, name="满100减20")
    shopper = f.member(store)
    address = f.address(store, shopper)
    client = f.shopper_client(store, shopper)
    page = client.get(f"/shop/{store.slug}/coupons").get_data(as_text=True)
    assert "满100减20" in page
    assert client.form(f"/shop/{store.slug}/coupons/{t.id}/claim").status_code == 303
    wallet = client.get(f"/shop/{store.slug}/coupons").get_data(as_text=True)
    assert "Unused" in wallet and "Claimed" in wallet
    assert client.form(f"/shop/{store.slug}/coupons/{t.id}/claim", follow_redirects=True).status_code == 200
    assert f.count(store, Coupon, Coupon.member_id == shopper.id) == 1        # the limit is one
    with f.bound(store):
        coupon = db.session.scalar(select(Coupon).where(Coupon.member_id == shopper.id))
        from app.blueprints.members import services as members

        members.set_cart_line(shopper.id, sku.id, 2)
    checkout = client.get(f"/shop/{store.slug}/checkout").get_data(as_text=True)
    assert "满100减20" in checkout and f'value="{coupon.id}"' in checkout
    summary = client.get(f"/shop/{store.slug}/checkout/summary",
                         query_string={"address_id": address.id, "coupon_id": coupon.id}).get_data(as_text=True)
    assert "-¥20.00" in summary
    response = client.form(f"/shop/{store.slug}/checkout", {"address_id": address.id, "delivery": "express",
                                                            "coupon_id": coupon.id})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    number = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    with f.bound(store):
        from app.blueprints.orders.models import Order

        order = db.session.scalar(select(Order).where(Order.number == number))
        assert order.discount_total == 2_000 and sum(l.discount for l in order.lines) == 2_000
        assert db.session.get(Coupon, coupon.id).status == "used"
        assert db.session.get(CouponTemplate, t.id).used == 1
        order_id = order.id
    order_page = client.get(f"/shop/{store.slug}/orders/{number}").get_data(as_text=True)
    assert "满100减20" in order_page
    with f.bound(store, request=True):
        orders.cancel_order(None, db.session.get(Order, order_id), "changed mind")
    wait_for(lambda: f.get(store, Coupon, coupon.id).status == "unused", timeout=60)
    assert f.get(store, CouponTemplate, t.id).used == 0


def test_another_shoppers_coupon_cannot_be_used_or_seen(app, store):
    sku = f.sku(store, price=20_000, stock=20)
    t = template(store, name="别人的券")
    owner_id, thief_id = _members(store, 2)
    with f.bound(store, request=True):
        coupon = coupons.claim_coupon(owner_id, t.id)
    with f.bound(store, request=True):
        order = orders.place_order([orders.LineRequest(sku.id, 1)], f.ADDRESS, shopper=f.SHOPPER,
                                   shopper_id=thief_id, coupon_ids=[coupon.id])
        assert order.discount_total == 0
    assert f.get(store, Coupon, coupon.id).status == "unused"
    thief = f.member(store)
    client = app.test_client()
    token = client.post(f"/api/v1/shop/{store.slug}/auth/token",
                        json={"email": thief.email, "password": f.PASSWORD}).get_json()["token"]
    body = client.get(f"/api/v1/shop/{store.slug}/coupons", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["wallet"] == []
    claimed = client.post(f"/api/v1/shop/{store.slug}/coupons/{t.id}/claim",
                          headers={"Authorization": f"Bearer {token}"})
    assert claimed.status_code == 201 and claimed.get_json()["name"] == "别人的券"
    again = client.post(f"/api/v1/shop/{store.slug}/coupons/{t.id}/claim", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "coupongone"


def test_coupons_expire_when_their_days_are_over_and_the_job_runs(app, store):
    with time_machine.travel(NOW, tick=False):
        t = template(store, valid_days=3)
        (member_id,) = _members(store, 1)
        with f.bound(store, request=True):
            coupon = coupons.claim_coupon(member_id, t.id)
        assert coupon.valid_until == NOW + timedelta(days=3)
    with time_machine.travel(NOW + timedelta(days=3) - timedelta(minutes=1), tick=False):
        jobs.run_job(promotion_jobs.expire_coupons.job_name, store.id, [], {})
        assert f.get(store, Coupon, coupon.id).status == "unused"
    with time_machine.travel(NOW + timedelta(days=3, minutes=1), tick=False):
        jobs.run_job(promotion_jobs.expire_coupons.job_name, store.id, [], {})
        assert f.get(store, Coupon, coupon.id).status == "expired"


def test_bulk_codes_are_generated_within_the_quantity_exported_and_redeemed_once(app, store):
    t = template(store, name="码券", quantity=5, claimable=False)
    owner = f.client("store", store=store)
    response = owner.form(f"/store/{store.slug}/promotions/coupons/{t.id}", {"action": "codes", "codes-count": "5"})
    assert response.status_code in (302, 303)
    too_many = owner.form(f"/store/{store.slug}/promotions/coupons/{t.id}", {"action": "codes", "codes-count": "1"})
    assert too_many.status_code == 422 and "all taken" in too_many.get_data(as_text=True)
    export = owner.get(f"/store/{store.slug}/promotions/coupons/{t.id}/codes?export=csv").get_data(as_text=True)
    codes = [line.split(",")[0] for line in export.splitlines()[1:] if line.strip()]
    assert len(codes) == 5 and all(len(c) == 12 for c in codes)
    shopper = f.member(store)
    client = f.shopper_client(store, shopper)
    client.form(f"/shop/{store.slug}/coupons/redeem", {"code": codes[0].lower()})
    assert f.count(store, Coupon, Coupon.member_id == shopper.id) == 1
    client.form(f"/shop/{store.slug}/coupons/redeem", {"code": codes[1]})
    assert f.count(store, Coupon, Coupon.member_id == shopper.id) == 1        # one per shopper


def test_granting_to_shoppers_by_email_respects_the_quantity(app, store):
    t = template(store, name="赠券", quantity=2, claimable=False)
    a, b, c = f.member(store), f.member(store), f.member(store)
    owner = f.client("store", store=store)
    refused = owner.form(f"/store/{store.slug}/promotions/coupons/{t.id}",
                         {"action": "grant", "grant-emails": f"{a.email}\n{b.email}\n{c.email}"})
    assert refused.status_code == 422
    assert f.count(store, Coupon, Coupon.template_id == t.id) == 0
    done = owner.form(f"/store/{store.slug}/promotions/coupons/{t.id}",
                      {"action": "grant", "grant-emails": f"{a.email}, {b.email}"})
    assert done.status_code in (302, 303)
    assert f.count(store, Coupon, Coupon.template_id == t.id) == 2
    page = owner.get(f"/store/{store.slug}/promotions/coupons/").get_data(as_text=True)
    assert "赠券" in page
