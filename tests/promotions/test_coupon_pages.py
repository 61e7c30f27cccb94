"""Coupon templates, flash-sale sessions and group buys through the shared page test base: rows shown in a fixed number of queries,
permission, another store's coupon out of reach, a bad form refused."""
from app.blueprints.promotions.models import Coupon, CouponTemplate, FlashSession, GroupBuy
from tests import factories as f
from tests.support.crud import StorePages


class TestCouponTemplatePages(StorePages):
    list_path = "promotions/coupons/"
    create_path = "promotions/coupons/new"
    edit_path = "promotions/coupons/{id}/edit"
    permission = "promotions.manage"
    list_permission = "promotions.view"
    model = CouponTemplate
    form = {"name": "满100减10券", "kind": "amount_off", "amount": "10.00", "threshold": "100.00", "target_type": "all",
            "quantity": "100", "per_member_limit": "1", "valid_days": "7"}
    bad_form = {"quantity": "none"}

    def make(self, store, i):
        from app.blueprints.promotions import coupons

        with f.bound(store, request=True):
            return coupons.save_template(None, None, {"name": f"券{i}", "kind": "amount_off", "amount": 1_000 + i,
                                                      "threshold": 0, "quantity": 10 + i, "valid_days": 7})


class TestFlashSessionPages(StorePages):
    list_path = "promotions/flash/"
    permission = "promotions.view"
    model = FlashSession

    def make(self, store, i):
        from datetime import timedelta

        from app.blueprints.promotions import flash
        from app.core.db import utcnow

        with f.bound(store, request=True):
            return flash.save_session(None, None, f"秒杀{i}", utcnow() + timedelta(days=1, hours=i),
                                      utcnow() + timedelta(days=1, hours=i + 1))


class TestGroupBuyPages(StorePages):
    list_path = "promotions/group-buys/"
    permission = "promotions.view"
    model = GroupBuy

    def make(self, store, i):
        from datetime import timedelta

        from app.blueprints.promotions import groupbuy
        from app.core.db import utcnow

        sku = f.sku(store, price=20_000, stock=5)
        with f.bound(store, request=True):
            return groupbuy.save_activity(None, None, {
                "name": f"拼团{i}", "sku_id": sku.id, "group_price": 12_000, "group_size": 2, "time_limit_minutes": 60,
                "starts_at": utcnow() + timedelta(days=1), "ends_at": utcnow() + timedelta(days=2)})


class TestCouponCodePages(StorePages):
    """The codes issued of one coupon template: a list keyed by its template."""
    list_path = "promotions/coupons/{parent}/codes"
    permission = "promotions.view"
    model = Coupon
    parent_model = CouponTemplate

    def make_parent(self, store, n):
        from app.blueprints.promotions import coupons

        with f.bound(store, request=True):
            return coupons.save_template(None, None, {"name": f.unique("码券"), "kind": "amount_off", "amount": 500,
                                                      "threshold": 0, "quantity": n, "valid_days": 7})

    def make(self, store, i):
        from sqlalchemy import select

        from app.blueprints.promotions import coupons

        with f.bound(store, request=True) as session:
            template = session.get(CouponTemplate, self.parent(store).id)
            coupons.generate_codes(None, template, 1)
            return session.scalar(select(Coupon).where(Coupon.template_id == template.id).order_by(Coupon.id.desc()))
