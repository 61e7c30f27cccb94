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


def test_the_wallet_reads_an_unused_coupon_past_its_date_as_expired(store):
    now = utcnow()
    with f.bound(store):
        fresh = Coupon(status="unused", valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=1))
        stale = Coupon(status="unused", valid_from=now - timedelta(days=9), valid_until=now - timedelta(days=1))
        used = Coupon(status="used", valid_from=now - timedelta(days=9), valid_until=now - timedelta(days=1))
        assert [coupons.wallet_status(c, now) for c in (fresh, stale, used)] == ["unused", "expired", "used"]
