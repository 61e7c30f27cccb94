"""The shop API's after-sales operations: ask with photos, read, cancel, send back; refusals
answer the documented error body and change nothing; another shopper's request is not found."""
import base64

from app.blueprints.aftersales.models import AfterSalesRequest
from tests import factories as f
from tests.aftersales.conftest import bought, request_row
from tests.storefront.test_api import _token


def test_a_shopper_asks_reads_and_cancels_through_the_api(app, client, store):
    auth = _token(client, store.slug, f"api@{store.slug}.cn")
    from sqlalchemy import select

    from app.blueprints.members.models import Member

    member = f.read(store, lambda: f.db_session().scalar(select(Member).where(Member.email == f"api@{store.slug}.cn")))
    order = bought(store, member, [(f.sku(store, price=1200, stock=5), 2)], state="delivered")
    base = f"/api/v1/shop/{store.slug}"
    detail = client.get(f"{base}/orders/{order.number}", headers=auth).get_json()
    line_id = detail["lines"][0]["id"]
    reasons = client.get(f"{base}/aftersales/reasons", headers=auth).get_json()["items"]
    body = {"order_number": order.number, "kind": "return_refund", "reason_id": reasons[0]["id"],
            "lines": [{"order_line_id": line_id, "quantity": 3}], "images": [base64.b64encode(f.png()).decode()]}
    too_many = client.post(f"{base}/aftersales", json=body, headers=auth)
    assert too_many.status_code == 422 and too_many.get_json()["error"]["field"] == f"qty_{line_id}"
    bad_image = client.post(f"{base}/aftersales", json={**body, "images": ["bm90IGFuIGltYWdl"]}, headers=auth)
    assert bad_image.status_code == 422 and bad_image.get_json()["error"]["field"] == "images"
    assert f.count(store, AfterSalesRequest) == 0
    body["lines"][0]["quantity"] = 1
    created = client.post(f"{base}/aftersales", json=body, headers=auth)
    assert created.status_code == 201, created.get_json()
    req = created.get_json()
    assert (req["status"], req["amount"], req["photos"]) == ("requested", 1200, 1)
    assert client.get(f"{base}/aftersales", headers=auth).get_json()["total"] == 1
    other = _token(client, store.slug, f"other@{store.slug}.cn")
    assert client.get(f"{base}/aftersales/{req['number']}", headers=other).status_code == 404
    assert client.post(f"{base}/aftersales/{req['number']}/cancel", headers=other).status_code == 404
    assert client.get(f"{base}/aftersales", headers=other).get_json()["total"] == 0
    cancelled = client.post(f"{base}/aftersales/{req['number']}/cancel", headers=auth)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = client.post(f"{base}/aftersales/{req['number']}/cancel", headers=auth)
    assert again.status_code == 422
