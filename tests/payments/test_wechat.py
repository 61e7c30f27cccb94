"""WeChat Pay API v3 offline: a fake server that checks our request signatures, signs its
answers with platform certificates it hands out encrypted, and builds notifications as
WeChat posts them (signed headers, AES-256-GCM resource)."""
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.blueprints.orders.models import Order
from app.blueprints.payments import accounts, reconcile, refunds, services
from app.blueprints.payments.gateways.wechat import parse_authorization, request_message, rsa_verify
from app.blueprints.payments.models import Payment, PaymentNotification, ReconciliationItem, Refund
from app.blueprints.platform.models import Store
from app.core.tenancy import store_context
from app.extensions import db
from tests.catalog.test_pages import _get
from tests.conftest import wait_for
from tests.orders.test_orders import _place, _shop
from tests.payments.test_sandbox import shopper_order
from tests.support.fake_wechatpay import bill_row

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
IN_WECHAT = PHONE + " MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN"


def _wechat_store(app, store, fake):
    merchant = fake.merchant(f"19{store.id:08d}")
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        accounts.save_account(None, "wechat", True, merchant.settings())
        db.session.commit()
    return merchant


def _payment(app, store, price=8888, method="native"):
    (sku,), _wh = _shop(app, store, price=price)
    order_id = _place(app, store, [(sku, 1)])
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        payment = services.start_payment(db.session.get(Order, order_id), "wechat", method)
        db.session.commit()
        return order_id, payment.number


def _open_trade(app, store, number, mode="native"):
    """Make the trade at WeChat as checkout does."""
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        payment = db.session.scalar(select(Payment).where(Payment.number == number))
        result = accounts.gateway("wechat").checkout(payment, db.session.get(Order, payment.order_id),
                                                     "http://localhost/back", "http://localhost/notify")
        db.session.commit()
        return result


def _notify(client, store, body_headers):
    body, headers = body_headers
    return client.post(f"/pay/{store.slug}/notify/wechat", data=body, headers=headers)


def _sent(fake, path):
    """The last request the fake got at `path`: (method, path, body)."""
    return next(r for r in reversed(fake.requests) if r[1].split("?")[0] == path)


def _outcomes(app, store):
    return _get(app, store, lambda: db.session.scalars(select(PaymentNotification.outcome)
                                                       .order_by(PaymentNotification.id)).all())


@pytest.fixture()
def wechat(app, store, fake_wechatpay):
    fake_wechatpay.requests.clear()
    return _wechat_store(app, store, fake_wechatpay)


def test_native_pay_shows_a_qr_code_from_a_signed_request(app, store, fake_wechatpay, wechat):
    shopper, order_url = shopper_order(app, store, 1234, f"wx@{store.slug}.cn")
    assert "Pay with WeChat Pay" in shopper.get(order_url).get_data(as_text=True)
    page = shopper.form(order_url, {"action": "pay", "gateway": "wechat"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "weixin://wxpay/bizpayurl?pr=" in html
    method, path, body = _sent(fake_wechatpay, "/v3/pay/transactions/native")
    assert method == "POST"
    assert body["amount"] == {"total": 1234, "currency": "CNY"} and body["mchid"] == wechat.mchid
    assert body["appid"] == wechat.appid and body["notify_url"].endswith(f"/pay/{store.slug}/notify/wechat")
    # the fake refused nothing: our Authorization verified with the merchant certificate
    assert _get(app, store, lambda: db.session.scalar(select(Payment.method))) == "native"


def test_request_signature_is_sha256_rsa_over_method_path_time_nonce_body(app, store, wechat):
    from app.blueprints.payments.gateways.wechat import authorization

    header = authorization(wechat.mchid, wechat.serial, wechat.private_key, "GET",
                           "/v3/certificates", "", timestamp="1700000000", nonce="abc")
    fields = parse_authorization(header)
    assert header.startswith("WECHATPAY2-SHA256-RSA2048 ") and fields["serial_no"] == wechat.serial
    assert rsa_verify(request_message("GET", "/v3/certificates", "1700000000", "abc", ""), fields["signature"],
                      wechat.cert.public_key())
    assert not rsa_verify(request_message("POST", "/v3/certificates", "1700000000", "abc", ""), fields["signature"],
                          wechat.cert.public_key())


def test_h5_on_a_phone_and_jsapi_inside_wechat_with_the_openid_step(app, store, fake_wechatpay, wechat):
    shopper, order_url = shopper_order(app, store, 990, f"h5@{store.slug}.cn")
    answer = shopper.form(order_url, {"action": "pay", "gateway": "wechat"}, headers={"User-Agent": PHONE})
    location = answer.headers["Location"]
    assert answer.status_code == 303 and location.startswith(fake_wechatpay.url + "/h5pay?prepay_id=")
    back = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["redirect_url"][0]
    assert back.endswith(order_url)
    assert _sent(fake_wechatpay, "/v3/pay/transactions/h5")[2]["scene_info"]["h5_info"] == {"type": "Wap"}
    # inside WeChat: OAuth first (silent snsapi_base), back with a code, then the JSAPI order
    inside, order_url = shopper_order(app, store, 990, f"jsapi@{store.slug}.cn")
    oauth = inside.form(order_url, {"action": "pay", "gateway": "wechat"}, headers={"User-Agent": IN_WECHAT})
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(oauth.headers["Location"]).query)
    assert query["scope"] == ["snsapi_base"] and query["appid"] == [wechat.appid]
    class NoFollow(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(NoFollow).open(oauth.headers["Location"].split("#")[0])
    except urllib.error.HTTPError as err:
        came_back = err.headers["Location"]
    assert came_back.startswith(query["redirect_uri"][0])
    page = inside.get(came_back.replace("http://localhost", ""), headers={"User-Agent": IN_WECHAT})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "getBrandWCPayRequest" not in html     # no inline script
    body = _sent(fake_wechatpay, "/v3/pay/transactions/jsapi")[2]
    assert body["payer"]["openid"].startswith("o")
    import html as html_lib
    import re

    params = json.loads(html_lib.unescape(re.search(r'data-params="([^"]+)"', html).group(1)))
    assert params["package"].startswith("prepay_id=wx") and params["signType"] == "RSA"
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    assert rsa_verify(message, params["paySign"], wechat.cert.public_key())


def test_notification_verified_decrypted_applied_once_and_answered_204(app, client, store, fake_wechatpay, wechat):
    order_id, number = _payment(app, store, price=8888)
    _open_trade(app, store, number)
    good = fake_wechatpay.pay(wechat.mchid, number)
    for _ in range(3):
        answer = _notify(client, store, good)
        assert answer.status_code == 204 and answer.get_data() == b""
    wait_for(lambda: _get(app, store, lambda: db.session.get(Order, order_id).status) == "paid")
    assert _outcomes(app, store) == ["applied", "duplicate", "duplicate"]
    trade_no = _get(app, store, lambda: db.session.scalar(select(Payment.gateway_trade_no)))
    assert trade_no.startswith("4200")
    # the certificates were fetched once and kept with the account
    assert sum(1 for m, p, _b in fake_wechatpay.requests if p == "/v3/certificates") == 1


def test_forgeries_are_refused_and_change_nothing(app, client, store, fake_wechatpay, wechat):
    from tests.support.fake_wechatpay import certificate, new_key

    order_id, number = _payment(app, store, price=5000)
    _open_trade(app, store, number)
    body, headers = fake_wechatpay.pay(wechat.mchid, number)
    refused = []
    # a body changed after signing
    refused.append((body.replace(b'"TRANSACTION.SUCCESS"', b'"TRANSACTION.SUCCESS" '), headers))
    # signed by a key that is no platform certificate's, under a serial WeChat never issued
    key, _pem = new_key()
    stranger = certificate(key, "not tenpay")
    refused.append(fake_wechatpay.notification(wechat.mchid, "TRANSACTION.SUCCESS", json.loads(
        "{}") | {"out_trade_no": number, "trade_state": "SUCCESS", "amount": {"total": 5000, "currency": "CNY"}},
        key=key, cert=stranger))
    # the right serial, the wrong key
    forged = fake_wechatpay.notification(wechat.mchid, "TRANSACTION.SUCCESS", {
        "out_trade_no": number, "trade_state": "SUCCESS", "amount": {"total": 5000, "currency": "CNY"}}, key=key)
    refused.append(forged)
    # a replay of a signed notice from an hour ago
    refused.append(fake_wechatpay.notification(wechat.mchid, "TRANSACTION.SUCCESS", {
        "out_trade_no": number, "trade_state": "SUCCESS", "amount": {"total": 5000, "currency": "CNY"}},
        timestamp=int(time.time()) - 3600))
    # a ciphertext tampered with (signature made over the tampered body: only GCM catches it)
    data = json.loads(body)
    cipher = bytearray(data["resource"]["ciphertext"].encode())
    cipher[10] = ord("A") if cipher[10] != ord("A") else ord("B")
    data["resource"]["ciphertext"] = cipher.decode()
    text = json.dumps(data)
    refused.append((text.encode(), {"Content-Type": "application/json", **fake_wechatpay.signed_headers(text)}))
    for forged_body, forged_headers in refused:
        answer = _notify(client, store, (forged_body, forged_headers))
        assert answer.status_code == 400 and answer.get_json()["code"] == "FAIL"
    assert _outcomes(app, store) == ["bad_signature"] * 5
    assert _get(app, store, lambda: db.session.scalar(select(Payment.status))) == "pending"
    assert _get(app, store, lambda: db.session.get(Order, order_id).status) == "pending_payment"
    # the unknown serial made us ask for the certificate list once, not once per forgery
    assert sum(1 for m, p, _b in fake_wechatpay.requests if p == "/v3/certificates") == 1


def test_wrong_amount_or_currency_is_refused_and_flagged(app, client, store, fake_wechatpay, wechat):
    order_id, number = _payment(app, store, price=5000)
    answer = _notify(client, store, fake_wechatpay.notification(wechat.mchid, "TRANSACTION.SUCCESS", {
        "out_trade_no": number, "transaction_id": "4200X", "trade_state": "SUCCESS",
        "amount": {"total": 1, "currency": "CNY"}}))
    assert answer.status_code == 400
    answer = _notify(client, store, fake_wechatpay.notification(wechat.mchid, "TRANSACTION.SUCCESS", {
        "out_trade_no": number, "transaction_id": "4200X", "trade_state": "SUCCESS",
        "amount": {"total": 5000, "currency": "USD"}}))
    assert answer.status_code == 400
    status, flagged = _get(app, store, lambda: db.session.execute(select(Payment.status, Payment.flagged)).one())
    assert status == "pending" and "USD" in flagged
    assert _outcomes(app, store) == ["amount_mismatch", "amount_mismatch"]
    assert _get(app, store, lambda: db.session.get(Order, order_id).status) == "pending_payment"


def test_certificate_rotation_is_followed_and_an_expired_one_dropped(app, client, store, fake_wechatpay, wechat):
    _order_id, number = _payment(app, store, price=700)
    _open_trade(app, store, number)            # fetches and keeps today's certificate
    old_serial = next(iter(_get(app, store, lambda: accounts.account("wechat").settings["platform_certificates"])))
    fake_wechatpay.rotate(keep_old=False)      # WeChat replaces its certificate
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        # pretend the last download was long ago, as it would be on the day of a rotation
        accounts.remember("wechat", certificates_fetched_at=0)
        db.session.commit()
    answer = _notify(client, store, fake_wechatpay.pay(wechat.mchid, number))
    assert answer.status_code == 204
    kept = _get(app, store, lambda: accounts.account("wechat").settings["platform_certificates"])
    assert old_serial not in kept and list(kept) == [f"{fake_wechatpay.current[1].serial_number:X}"]
    # a certificate already expired when listed is not kept
    fake_wechatpay.rotate(keep_old=True, days=1, start=datetime.now(timezone.utc) - timedelta(days=3))
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        kept = accounts.gateway("wechat").refresh_certificates(force=True)
    assert len(kept) == 1
    fake_wechatpay.platform.pop()      # back to the valid one for the tests after


def test_query_settles_and_close_ends_an_abandoned_trade(app, store, fake_wechatpay, wechat):
    order_id, number = _payment(app, store, price=3000)
    _open_trade(app, store, number)
    fake_wechatpay.pay(wechat.mchid, number)        # paid, but the notification never came
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        assert services.settle_by_query(db.session.scalar(select(Payment))) == "applied"
        db.session.commit()
    wait_for(lambda: _get(app, store, lambda: db.session.get(Order, order_id).status) == "paid")
    # an abandoned trade of a cancelled order is closed at WeChat, then here
    from app.blueprints.orders import services as order_services

    second_order, second = _payment(app, store, price=100)
    _open_trade(app, store, second)
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        order_services.cancel_order(None, db.session.get(Order, second_order), "test")
        assert services.settle_by_query(db.session.scalar(select(Payment).where(Payment.number == second))) \
            == "applied"
        db.session.commit()
    assert fake_wechatpay.trades[(wechat.mchid, second)]["trade_state"] == "CLOSED"
    assert _get(app, store, lambda: db.session.scalar(select(Payment.status).where(Payment.number == second))) \
        == "closed"


def _paid(app, client, store, fake, merchant, price):
    order_id, number = _payment(app, store, price=price)
    _open_trade(app, store, number)
    assert _notify(client, store, fake.pay(merchant.mchid, number)).status_code == 204
    return order_id, number


def test_refund_processing_then_its_notification_settles_it(app, client, store, fake_wechatpay, wechat):
    _order_id, number = _paid(app, client, store, fake_wechatpay, wechat, 2000)
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        refunds.refund(None, db.session.scalar(select(Payment)), f"rf-{number}", 500, reason="size")
        db.session.commit()
    wait_for(lambda: (wechat.mchid, f"rf-{number}") in fake_wechatpay.refunds)
    sent = next(b for m, p, b in fake_wechatpay.requests if p == "/v3/refund/domestic/refunds")
    assert sent["amount"] == {"refund": 500, "total": 2000, "currency": "CNY"} and sent["out_trade_no"] == number
    wait_for(lambda: _get(app, store, lambda: db.session.scalar(select(Refund.gateway_refund_no))) is not None)
    assert _get(app, store, lambda: db.session.scalar(select(Refund.status))) == "pending"     # PROCESSING
    notice = fake_wechatpay.refund_done(wechat.mchid, f"rf-{number}")
    assert _notify(client, store, notice).status_code == 204
    assert _notify(client, store, notice).status_code == 204          # a copy: acknowledged, nothing moves
    assert _get(app, store, lambda: db.session.scalar(select(Refund.status))) == "succeeded"
    assert _get(app, store, lambda: db.session.scalar(select(Payment.status))) == "partially_refunded"
    # more than is left is refused by WeChat for good
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        payment = db.session.scalar(select(Payment))
        item = refunds.refund(None, payment, f"rf2-{number}", 1500)
        db.session.commit()
        item_id = item.id
    fake_wechatpay.refunds[(wechat.mchid, f"rf-{number}")]["amount"]["refund"] = 1000    # WeChat's books differ
    wait_for(lambda: _get(app, store, lambda: db.session.get(Refund, item_id).status) == "failed")
    assert "INVALID_REQUEST" in _get(app, store, lambda: db.session.get(Refund, item_id).failure)
    fake_wechatpay.refunds[(wechat.mchid, f"rf-{number}")]["amount"]["refund"] = 500


def test_refund_query_finds_what_wechat_did(app, client, store, fake_wechatpay, wechat):
    _order_id, number = _paid(app, client, store, fake_wechatpay, wechat, 1200)
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        item = refunds.refund(None, db.session.scalar(select(Payment)), f"rq-{number}", 1200)
        db.session.commit()
    wait_for(lambda: (wechat.mchid, f"rq-{number}") in fake_wechatpay.refunds)
    fake_wechatpay.refunds[(wechat.mchid, f"rq-{number}")].update(status="SUCCESS",
                                                                   success_time="2026-11-25T10:00:00+08:00")
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        item = db.session.scalar(select(Refund))
        notice = accounts.gateway("wechat").refund_query(db.session.scalar(select(Payment)), item)
        assert notice.status == "succeeded" and notice.amount == 1200 and notice.trade_no.startswith("5030")
        missing = Refund(request_id="never-sent", amount=1, payment_id=item.payment_id)
        assert accounts.gateway("wechat").refund_query(db.session.scalar(select(Payment)), missing) is None


def test_trade_bill_feeds_the_daily_reconciliation(app, client, store, fake_wechatpay, wechat):
    from zoneinfo import ZoneInfo

    _order_id, number = _paid(app, client, store, fake_wechatpay, wechat, 4321)
    _other_order, other = _paid(app, client, store, fake_wechatpay, wechat, 100)
    trade = fake_wechatpay.trades[(wechat.mchid, number)]
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    fake_wechatpay.bills[(wechat.mchid, day.isoformat())] = [
        bill_row(day.isoformat(), wechat.mchid, trade["transaction_id"], number, "SUCCESS", "43.21"),
        bill_row(day.isoformat(), wechat.mchid, "4200999", other, "SUCCESS", "9.99"),           # amounts differ
        bill_row(day.isoformat(), wechat.mchid, "4200777", "P-not-ours", "SUCCESS", "1.00")]    # missing here
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        run = reconcile.run("wechat", day)
        db.session.commit()
        kinds = sorted(db.session.scalars(select(ReconciliationItem.kind).where(ReconciliationItem.run_id == run.id)))
        assert run.status == "done" and run.statement_rows == 3 and run.matched == 1
        assert run.gateway_total == 4321 + 999 + 100
    assert kinds == ["amount_mismatch", "missing_ours"]
    # a day WeChat has no bill for and nothing on our side is a quiet day, not a failure
    with app.test_request_context(), store_context(db.session.get(Store, store.id)):
        assert reconcile.run("wechat", date(2020, 1, 1)).status == "done"


def test_gateway_settings_are_checked_before_saving(app, owner, store):
    url = f"/store/{store.slug}/payments/gateways/wechat"
    owner.form(url, {"mchid": "19000001", "apiv3_key": "short", "enabled": "1"})
    assert _get(app, store, lambda: accounts.account("wechat")) is None
    owner.form(url, {"mchid": "19000001", "merchant_private_key": "not a key"})
    assert _get(app, store, lambda: accounts.account("wechat")) is None


def test_pay_with_wechat_through_the_api(app, client, store, fake_wechatpay, wechat):
    from tests.payments.test_api_pay import _api_order

    (sku,), _wh = _shop(app, store, price=2600)
    base, auth, number = _api_order(client, store, sku, f"wxapi@{store.slug}.cn")
    assert "wechat" in [m["code"] for m in client.get(f"{base}/payment-methods").get_json()["items"]]
    bad = client.post(f"{base}/orders/{number}/pay", json={"gateway": "wechat", "method": "app"}, headers=auth)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "method"
    native = client.post(f"{base}/orders/{number}/pay", json={"gateway": "wechat", "method": "native"},
                         headers=auth).get_json()
    assert native["code_url"].startswith("weixin://wxpay/bizpayurl") and native["redirect_url"] is None
    h5 = client.post(f"{base}/orders/{number}/pay", json={"gateway": "wechat"}, headers=auth).get_json()
    assert h5["redirect_url"].startswith(fake_wechatpay.url + "/h5pay?") and h5["code_url"] is None
    jsapi = client.post(f"{base}/orders/{number}/pay", json={"gateway": "wechat", "method": "jsapi",
                                                             "openid": "oMiniProgramPayer"}, headers=auth).get_json()
    assert jsapi["jsapi"]["package"].startswith("prepay_id=") and jsapi["jsapi"]["signType"] == "RSA"
    assert _sent(fake_wechatpay, "/v3/pay/transactions/jsapi")[2]["payer"] == {"openid": "oMiniProgramPayer"}
    # the H5 attempt paid in WeChat's cashier: its notification makes the order paid
    assert _notify(client, store, fake_wechatpay.pay(wechat.mchid, h5["payment"])).status_code == 204
    wait_for(lambda: client.get(f"{base}/orders/{number}", headers=auth).get_json()["status"] == "paid")
