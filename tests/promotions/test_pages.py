"""Promotion pages: the list (figures, fixed query count, permission, cross-store refusal)
and the form through the shared page test base; publishing; the simulator with a draft."""
from app.blueprints.promotions.models import Promotion
from tests import factories as f
from tests.promotions.conftest import promotion
from tests.support.crud import StorePages


class TestPromotionPages(StorePages):
    list_path = "promotions/"
    create_path = "promotions/new"
    edit_path = "promotions/{id}"
    permission = "promotions.manage"
    list_permission = "promotions.view"
    model = Promotion
    form = {"name": "满300减30", "kind": "amount_off", "tiers": "300=30", "target_type": "all", "priority": "100"}
    bad_form = {"name": "满减", "kind": "amount_off", "tiers": "three hundred", "target_type": "all"}

    def make(self, store, i):
        return promotion(store, name=f"促销{i}", status="active" if i % 2 else "draft")


def test_the_owner_creates_a_promotion_publishes_it_and_the_list_shows_its_figures(app, store):
    owner = f.client("store", store=store)
    response = owner.form(f"/store/{store.slug}/promotions/new", {
        "name": "双十二满减", "kind": "amount_off", "tiers": "300=30, 500=60", "target_type": "all", "priority": "10",
        "starts_at": "2026-12-12 00:00", "ends_at": "2026-12-13 00:00", "budget_total": "1000"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:3000]
    with f.bound(store):
        from app.extensions import db
        from sqlalchemy import select

        row = db.session.scalar(select(Promotion).where(Promotion.name == "双十二满减"))
        assert row.params == {"tiers": [[30_000, 3_000], [50_000, 6_000]]}
        assert row.starts_at.isoformat() == "2026-12-11T16:00:00+00:00"     # midnight in Shanghai
        assert row.budget_total == 100_000 and row.status == "draft"
    edit = owner.get(f"/store/{store.slug}/promotions/{row.id}").get_data(as_text=True)
    assert "2026-12-12 00:00" in edit and "300.00=30.00, 500.00=60.00" in edit
    owner.form(f"/store/{store.slug}/promotions/{row.id}/publish")
    assert f.get(store, Promotion, row.id).status == "active"
    page = owner.get(f"/store/{store.slug}/promotions/").get_data(as_text=True)
    assert "双十二满减" in page and "Live" in page and "¥0.00 of ¥1,000.00" in page
    assert owner.form(f"/store/{store.slug}/promotions/{row.id}/bogus").status_code == 404


def test_an_illegal_status_change_is_refused_and_changes_nothing(app, store):
    row = promotion(store, name="已结束", status="ended")
    owner = f.client("store", store=store)
    response = owner.form(f"/store/{store.slug}/promotions/{row.id}/publish", follow_redirects=True)
    assert response.status_code == 200
    assert f.get(store, Promotion, row.id).status == "ended"


def test_the_simulator_prices_a_cart_under_the_live_promotions_and_with_a_draft(app, store):
    sku = f.sku(store, price=20_000, stock=10)
    promotion(store, name="满300减30")
    draft = promotion(store, "percent_off", {"tiers": [[0, 90]]}, name="全场9折", status="draft")
    owner = f.client("store", store=store)
    page = owner.get(f"/store/{store.slug}/promotions/simulator",
                     query_string={"lines": f"{sku.code} x 2", "draft_id": draft.id}).get_data(as_text=True)
    assert "满300减30" in page and "全场9折" in page
    assert "¥370.00" in page          # live: 400 - 30
    assert "¥333.00" in page          # with the draft: 9折 of what 满减 left
    assert "-¥37.00" in page          # the difference
    bad = owner.get(f"/store/{store.slug}/promotions/simulator", query_string={"lines": "NOPE x 2"})
    assert "No SKU with the code" in bad.get_data(as_text=True)


def test_the_simulator_reprices_a_past_order(app, store):
    sku = f.sku(store, price=20_000, stock=10)
    order = f.order(store, lines=[(sku, 2)])
    assert order.discount_total == 0
    promotion(store, name="新满减")
    owner = f.client("store", store=store)
    page = owner.get(f"/store/{store.slug}/promotions/simulator",
                     query_string={"order_number": order.number}).get_data(as_text=True)
    assert "新满减" in page and "¥370.00" in page


def test_the_simulator_tries_a_coupon_on_the_cart_and_shows_its_budget(app, store):
    from app.blueprints.promotions import coupons

    sku = f.sku(store, price=20_000, stock=10)
    promotion(store, name="满300减30")
    with f.bound(store, request=True):
        template = coupons.save_template(None, None, {"name": "满350减20券", "kind": "amount_off", "amount": 2_000,
                                                      "threshold": 35_000, "quantity": 50, "valid_days": 7})
    owner = f.client("store", store=store)
    page = owner.get(f"/store/{store.slug}/promotions/simulator",
                     query_string={"lines": f"{sku.code} x 2", "coupon_id": template.id}).get_data(as_text=True)
    assert "满300减30" in page and "满350减20券" in page
    assert "¥350.00" in page                     # 400 - 30 (满减) - 20 (the coupon, over 350 after 满减)
    assert "50 coupons left to issue, 0 issued and unused" in page
    assert f.read(store, lambda: coupons.template(template.id).issued) == 0      # a read: nothing issued
