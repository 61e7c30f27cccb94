"""Guest checkout in the shopper API, where the store allows it: quote and place an order from
SKUs and an address without an account, find it again by number + phone, read it and pay it with
the order's guest token; bad input is a JSON field error and changes nothing."""
from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import func, select

from app.blueprints.orders.models import Order
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.conftest import wait_for
from tests.inventory.test_stock import _level
from tests.orders.test_orders import _shop
from tests.storefront.test_api import _token
from tests.storefront.test_guest_checkout import _allow_guests

ADDRESS = {"name": "游客", "phone": "13700000001", "region_code": "310101", "street": "南京路 2 号"}


def _orders(app, store) -> int:
    return _get(app, store, lambda: db.session.scalar(select(func.count(Order.id))))


def test_a_guest_quotes_places_finds_and_pays_an_order_through_the_api(app, client, store, owner):
    (sku,), wh = _shop(app, store, stock=5, price=4200)
    base = f"/api/v1/shop/{store.slug}/guest"
    body = {"items": [{"sku_id": sku, "quantity": 1}, {"sku_id": sku, "quantity": 1}], "address": ADDRESS,
            "email": "guest@example.cn"}
    off = client.post(f"{base}/checkout", json=body)
    assert off.status_code == 403 and off.get_json()["error"]["code"] == "guest_checkout_off"
    _allow_guests(owner, store)

    quote = client.post(f"{base}/checkout/quote", json={"items": body["items"], "region_code": "310101"})
    assert quote.status_code == 200 and quote.get_json()["goods_total"] == 8400
    # bad input: a field error under the address's field, no order, no stock held
    for address, field in (({**ADDRESS, "phone": "12345"}, "address.phone"),
                           ({**ADDRESS, "region_code": "310100"}, "address.region_code"),     # a city, not a district
                           ({**ADDRESS, "name": ""}, "address.name"),
                           ({**ADDRESS, "postcode": "1" * 21}, "address.postcode")):
        bad = client.post(f"{base}/checkout", json={**body, "address": address})
        assert bad.status_code == 422 and bad.get_json()["error"]["field"] == field, bad.get_json()
    for wrong, field in (({"items": []}, "items"), ({"items": [{"sku_id": sku, "quantity": 0}]}, "items.quantity"),
                         ({"email": "nope"}, "email"), ({"delivery_method": "drone"}, "delivery_method")):
        bad = client.post(f"{base}/checkout", json={**body, **wrong})
        assert bad.status_code == 422 and bad.get_json()["error"]["field"] == field, bad.get_json()
    too_many = client.post(f"{base}/checkout", json={**body, "items": [{"sku_id": sku, "quantity": 6}]})
    assert too_many.status_code == 422
    assert _orders(app, store) == 0 and _level(app, store, sku, wh) == (5, 0)

    headers = {"Idempotency-Key": "guest-api-1"}
    placed = client.post(f"{base}/checkout", json=body, headers=headers)
    assert placed.status_code == 201, placed.get_json()
    order = placed.get_json()
    number, token = order["number"], order["guest_token"]
    assert order["payable"] == 8400 and order["lines"][0]["quantity"] == 2 and order["address"]["city"] == "上海市"
    assert _level(app, store, sku, wh) == (5, 2)
    shopper_id, shopper = _get(app, store, lambda: db.session.execute(
        select(Order.shopper_id, Order.shopper).where(Order.number == number)).one())
    assert shopper_id is None and shopper == {"name": "游客", "email": "guest@example.cn", "phone": "13700000001"}
    again = client.post(f"{base}/checkout", json=body, headers=headers)
    assert again.status_code == 201 and again.get_json()["number"] == number and again.headers["Idempotent-Replayed"]
    assert client.post(f"{base}/checkout", json={**body, "note": "改"}, headers=headers).status_code == 409
    assert _orders(app, store) == 1

    # the guest token reads this order only; no token, a member's token or a forged one do not
    guest = {"Authorization": f"Bearer {token}"}
    seen = client.get(f"{base}/orders/{number}", headers=guest)
    assert seen.status_code == 200 and seen.get_json()["timeline"][0]["status"] == "pending_payment"
    # ... and without it, the order is as missing as a number that does not exist (no oracle)
    missing = client.get(f"{base}/orders/2612020009999")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    member = _token(client, store.slug, f"member@{store.slug}.cn")
    other = client.post(f"{base}/checkout", json={**body, "address": {**ADDRESS, "phone": "13700000009"}}).get_json()
    for headers in ({}, member, {"Authorization": f"Bearer {token[:-2]}xx"}, {"Authorization": token}):
        refused = client.get(f"{base}/orders/{number}", headers=headers)
        assert (refused.status_code, refused.get_json()) == (404, missing.get_json()), headers
        refused = client.post(f"{base}/orders/{number}/pay", json={"gateway": "sandbox"}, headers=headers)
        assert (refused.status_code, refused.get_json()) == (404, missing.get_json()), headers
    assert client.get(f"{base}/orders/{other['number']}", headers=guest).get_json() == missing.get_json()
    assert client.get(f"/api/v1/shop/{store.slug}/orders/{number}", headers=member).status_code == 404

    # found again by number + phone (as typed with spaces); a wrong phone is the same 404 as a wrong number
    wrong = client.post(f"{base}/orders/lookup", json={"number": number, "phone": "13700000002"})
    assert wrong.status_code == 404 and wrong.get_json()["error"]["code"] == "not_found"
    assert client.post(f"{base}/orders/lookup", json={"number": "2612020009999", "phone": "13700000001"}).status_code == 404
    found = client.post(f"{base}/orders/lookup", json={"number": number, "phone": "137 0000 0001"})
    assert found.status_code == 200 and found.get_json()["number"] == number
    # ... and on the shop's pages too
    page = app.test_client().form(f"/shop/{store.slug}/orders/find", {"number": number, "phone": "13700000001"})
    assert page.status_code == 303 and page.headers["Location"].endswith(f"/orders/guest/{number}")

    # pay with the sandbox: the payer is sent to the hosted page and back to the order's guest page
    found_token = {"Authorization": f"Bearer {found.get_json()['guest_token']}"}
    started = client.post(f"{base}/orders/{number}/pay", json={"gateway": "sandbox"}, headers=found_token)
    assert started.status_code == 201 and started.get_json()["amount"] == 8400
    back = app.test_client().form(started.get_json()["redirect_url"], {"choice": "success"})
    assert f"/orders/guest/{number}" in back.headers["Location"]
    wait_for(lambda: client.get(f"{base}/orders/{number}", headers=guest).get_json()["status"] == "paid")


def test_an_expired_guest_token_says_so_only_for_its_own_order(app, client, store, owner):
    (sku,), _wh = _shop(app, store, stock=5, price=100)
    _allow_guests(owner, store)
    base = f"/api/v1/shop/{store.slug}/guest"
    placed = client.post(f"{base}/checkout", json={"items": [{"sku_id": sku, "quantity": 1}], "address": ADDRESS})
    number, guest = placed.get_json()["number"], {"Authorization": f"Bearer {placed.get_json()['guest_token']}"}
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(days=31), tick=True):
        expired = client.get(f"{base}/orders/{number}", headers=guest)
        assert expired.status_code == 401 and expired.get_json()["error"]["code"] == "token_expired"
        elsewhere = client.get(f"{base}/orders/2612020009999", headers=guest)     # another number: as missing
        assert elsewhere.status_code == 404 and elsewhere.get_json()["error"]["code"] == "not_found"
    assert client.get(f"{base}/orders/{number}", headers=guest).status_code == 200


def test_failed_guest_look_ups_are_limited_per_order_number(app, client, store, owner):
    (sku,), _wh = _shop(app, store, stock=5, price=100)
    _allow_guests(owner, store)
    base = f"/api/v1/shop/{store.slug}/guest"
    number = client.post(f"{base}/checkout", json={"items": [{"sku_id": sku, "quantity": 1}],
                                                   "address": ADDRESS}).get_json()["number"]
    limit = int(app.config["LOGIN_LIMIT_ACCOUNT"].split()[0])
    answers = [client.post(f"{base}/orders/lookup", json={"number": number, "phone": f"1370000{i:04d}"}).status_code
               for i in range(2, limit + 4)]
    assert answers[:limit] == [404] * limit and set(answers[limit:]) == {429}
    locked = client.post(f"{base}/orders/lookup", json={"number": number, "phone": ADDRESS["phone"]})
    assert locked.status_code == 429 and "look-ups" in locked.get_json()["error"]["message"]
    assert int(locked.headers["Retry-After"]) >= 1


def test_the_look_up_page_counts_in_the_api_look_up_limit_per_order_number(app, client, store, owner):
    (sku,), _wh = _shop(app, store, stock=5, price=100)
    _allow_guests(owner, store)
    base, find = f"/api/v1/shop/{store.slug}/guest", f"/shop/{store.slug}/orders/find"
    number = client.post(f"{base}/checkout", json={"items": [{"sku_id": sku, "quantity": 1}],
                                                   "address": ADDRESS}).get_json()["number"]
    limit = int(app.config["LOGIN_LIMIT_ACCOUNT"].split()[0])
    english, chinese = app.test_client(), app.test_client()
    english.form(f"/shop/{store.slug}/locale", {"locale": "en"})
    chinese.form(f"/shop/{store.slug}/locale", {"locale": "zh_CN"})
    answers = [client.post(f"{base}/orders/lookup", json={"number": number, "phone": f"1370000{i:04d}"}).status_code
               for i in range(2, limit)]
    answers += [english.form(find, {"number": number, "phone": f"1380000{i:04d}"}).status_code for i in range(2)]
    assert answers == [404] * limit
    # the next attempt is refused on the page, even with the right phone, with the form and a message kept
    refused = english.form(find, {"number": number, "phone": ADDRESS["phone"]})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "Too many look-ups with a wrong number or phone" in text
    assert 1 <= int(refused.headers["Retry-After"]) <= 600          # the lockout's window, said to the browser
    assert 'name="number"' in text and number in text
    refused = chinese.form(find, {"number": number, "phone": ADDRESS["phone"]})
    assert refused.status_code == 429 and "查询次数过多" in refused.get_data(as_text=True)
    locked = client.post(f"{base}/orders/lookup", json={"number": number, "phone": ADDRESS["phone"]})
    assert locked.status_code == 429 and "look-ups" in locked.get_json()["error"]["message"]
    # the page still shows its form, and another order's number is not locked by this one
    assert english.get(find).status_code == 200
    assert english.form(find, {"number": "2612020009999", "phone": ADDRESS["phone"]}).status_code == 404


def test_the_look_up_page_counts_in_the_api_look_up_limit_per_client_address(app, client, store, owner):
    _allow_guests(owner, store)
    base, find = f"/api/v1/shop/{store.slug}/guest", f"/shop/{store.slug}/orders/find"
    app.config["LOGIN_LIMIT_IP"] = "3 per minute"
    try:
        answers = [client.post(f"{base}/orders/lookup", json={"number": f"26120200{i:05d}", "phone": "13700000001"})
                   .status_code for i in range(2)]
        answers.append(client.form(find, {"number": "2612020000002", "phone": "13700000001"}).status_code)
        assert answers == [404, 404, 404]
        assert client.form(find, {"number": "2612020000003", "phone": "13700000001"}).status_code == 429
        assert client.post(f"{base}/orders/lookup", json={"number": "2612020000004", "phone": "13700000001"}
                           ).status_code == 429
    finally:
        app.config["LOGIN_LIMIT_IP"] = "30 per minute"


def test_guest_operations_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"quoteGuestCheckout", "guestCheckout", "lookUpGuestOrder", "getGuestOrder", "payGuestOrder"} <= operations
    assert spec["paths"]["/api/v1/shop/{slug}/guest/orders/{number}"]["get"]["security"] == [{"guest": []}]
    for path, method in (("/api/v1/shop/{slug}/guest/orders/{number}", "get"),
                         ("/api/v1/shop/{slug}/guest/orders/{number}/pay", "post")):
        responses = spec["paths"][path][method]["responses"]
        assert "guest token" in responses["404"]["description"], path        # a wrong token is a 404 as missing
        assert responses["401"]["description"].startswith("token_expired"), path
    assert "guest_token" in spec["components"]["schemas"]["GuestOrder"]["allOf"][1]["properties"]


def test_guest_and_member_checkout_refuse_a_bad_delivery_note_or_key_alike(app, client, store, owner):
    """One set of checks serves both checkouts: the same field errors, and no order."""
    from tests.storefront.test_idempotency import _api_shopper

    (sku,), _wh = _shop(app, store, stock=5, price=100)
    _allow_guests(owner, store)
    base, auth, address_id = _api_shopper(app, client, store, sku, f"alike@{store.slug}.cn")
    guest = {"items": [{"sku_id": sku, "quantity": 1}], "address": ADDRESS}
    member = {"address_id": address_id}
    for wrong, headers in (({"delivery_method": "drone"}, {}), ({"note": "长" * 501}, {}), ({"note": 5}, {}),
                           ({}, {"Idempotency-Key": "k" * 81})):
        answers = [client.post(f"{base}/guest/checkout", json={**guest, **wrong}, headers=headers),
                   client.post(f"{base}/checkout", json={**member, **wrong}, headers={**auth, **headers})]
        assert [a.status_code for a in answers] == [422, 422], wrong
        assert answers[0].get_json() == answers[1].get_json(), wrong
    assert _orders(app, store) == 0
