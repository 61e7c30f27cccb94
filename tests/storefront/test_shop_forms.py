"""Shop forms that used to read the request by hand: a refused value comes back on the page
(422) with the error under its field and what was typed kept, and nothing changes."""
import re
from datetime import timedelta

from app.blueprints.promotions import coupons
from app.blueprints.promotions.models import Coupon
from app.core.db import utcnow
from tests import factories as f


def _error_under(html: str, field_id: str) -> str:
    found = re.search(r'<p class="error" id="%s-error">([^<]*)</p>' % re.escape(field_id), html)
    assert found, f"no error under #{field_id}"
    return found.group(1)


def test_an_unknown_coupon_code_is_refused_under_the_code_field(store):
    shopper = f.member(store)
    client = f.shopper_client(store, shopper)
    response = client.form(f"/shop/{store.slug}/coupons/redeem", {"code": "NOSUCHCODE12"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "No coupon with this code" in _error_under(html, "code") and 'value="NOSUCHCODE12"' in html
    response = client.form(f"/shop/{store.slug}/coupons/redeem", {"code": "   "})
    assert response.status_code == 422 and _error_under(response.get_data(as_text=True), "code")
    response = client.form(f"/shop/{store.slug}/coupons/redeem", {"code": "X" * 41})
    assert response.status_code == 422 and _error_under(response.get_data(as_text=True), "code")
    assert f.count(store, Coupon, Coupon.member_id == shopper.id) == 0


def test_the_wallet_reads_an_unused_coupon_out_of_its_dates_as_expired_or_not_valid_yet(store):
    now = utcnow()
    with f.bound(store):
        fresh = Coupon(status="unused", valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=1))
        stale = Coupon(status="unused", valid_from=now - timedelta(days=9), valid_until=now - timedelta(days=1))
        used = Coupon(status="used", valid_from=now - timedelta(days=9), valid_until=now - timedelta(days=1))
        early = Coupon(status="unused", valid_from=now + timedelta(days=1), valid_until=now + timedelta(days=9))
        assert [coupons.wallet_status(c, now) for c in (fresh, stale, used, early)] == [
            "unused", "expired", "used", "not_yet_valid"]
        assert str(coupons.WALLET_LABELS["not_yet_valid"]) == "Not valid yet"


def _cart_quantity(client, slug, sku):
    html = client.get(f"/shop/{slug}/cart").get_data(as_text=True)
    found = re.search(rf'<tr data-sku="{sku.code}">.*?name="quantity" value="([^"]*)"', html, re.S)
    return found.group(1) if found else None


def test_a_quantity_that_is_not_a_number_comes_back_under_the_box_it_was_typed_in(store, client):
    sku = f.sku(store, title="马克杯", stock=10)
    slug = store.slug
    response = client.form(f"/shop/{slug}/cart", {"sku_id": sku.id, "quantity": "两个", "mode": "add"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="buy-form"' in html           # the product page again
    assert "whole number" in _error_under(html, "quantity") and 'value="两个"' in html
    assert _cart_quantity(client, slug, sku) is None                          # nothing in the cart
    assert client.form(f"/shop/{slug}/cart", {"sku_id": sku.id, "quantity": "2", "mode": "add"}).status_code == 303
    response = client.form(f"/shop/{slug}/cart", {"sku_id": sku.id, "quantity": "-1", "mode": "set"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="cart"' in html               # the cart, under that line
    assert _error_under(html, f"quantity-{sku.id}") and 'value="-1"' in html
    assert _cart_quantity(client, slug, sku) == "2"
    stepped = client.form(f"/shop/{slug}/cart", {"sku_id": sku.id, "quantity": "2", "mode": "set", "step": "1"})
    assert stepped.status_code == 303 and _cart_quantity(client, slug, sku) == "3"
