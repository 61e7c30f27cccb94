"""Sign-in by phone: codes texted through Aliyun SMS (a local fake that checks the request
signature as Aliyun documents it), limits per phone and per client address, expiry with the
clock moved, a few tries per code, one use."""
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from app.blueprints.members.models import Member, SmsCode
from app.core.db import utcnow
from app.core.sms import AliyunSms, percent_encode, rpc_signature
from app.extensions import db
from tests.catalog.test_pages import _get

PHONE_PAGE = "/shop/{slug}/login/phone"


def _shopper(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _send(client, slug, phone):
    return client.form(PHONE_PAGE.format(slug=slug), {"phone": phone, "action": "send"})


def _sign_in(client, slug, phone, code):
    return client.form(PHONE_PAGE.format(slug=slug), {"phone": phone, "code": code, "action": "sign_in"})


def test_rpc_signature_follows_aliyuns_recipe():
    """Sorted, RFC 3986-encoded pairs; 'GET&%2F&' + the encoded query; HMAC-SHA1 keyed secret + '&'."""
    import base64
    import hashlib
    import hmac

    params = {"Timestamp": "2026-12-02T02:00:00Z", "SignName": "后台 商城", "TemplateParam": '{"code":"123456"}',
              "AccessKeyId": "testid", "PhoneNumbers": "13800138000", "SignatureNonce": "abc*~"}
    by_hand = ("AccessKeyId=testid&PhoneNumbers=13800138000&SignName=%E5%90%8E%E5%8F%B0%20%E5%95%86%E5%9F%8E"
               "&SignatureNonce=abc%2A~&TemplateParam=%7B%22code%22%3A%22123456%22%7D&Timestamp=2026-12-02T02%3A00%3A00Z")
    to_sign = "GET&%2F&" + percent_encode(by_hand)
    expected = base64.b64encode(hmac.new(b"testsecret&", to_sign.encode(), hashlib.sha1).digest()).decode()
    assert rpc_signature(params, "testsecret") == expected
    sent = AliyunSms("testid", "testsecret", "后台商城", "SMS_1").params("13800138000", "123456", nonce="n1",
                                                                      timestamp="2026-12-02T02:00:00Z")
    assert sent["SignatureMethod"] == "HMAC-SHA1" and sent["SignatureVersion"] == "1.0"
    assert sent["Action"] == "SendSms" and sent["Version"] == "2017-05-25"


def test_code_signs_in_a_new_phone_once_and_the_same_member_next_time(app, store, fake_sms):
    slug, phone = store.slug, "13800138001"
    shopper = _shopper(app, "10.1.0.1")
    assert "Sign in with your phone" in shopper.get(f"/shop/{slug}/login").get_data(as_text=True)
    answer = _send(shopper, slug, "138 0013 8001")
    assert answer.status_code == 200 and "138****8001" in answer.get_data(as_text=True)
    message = fake_sms.messages[-1]
    assert message["PhoneNumbers"] == phone and message["SignName"] == fake_sms.sign_name
    code = fake_sms.last_code(phone)
    assert _get(app, store, lambda: db_count(SmsCode.code_hash == code)) == 0     # only a keyed hash is kept
    assert _sign_in(shopper, slug, phone, code).status_code == 303
    assert shopper.get(f"/shop/{slug}/account").status_code == 200
    member_id, email, verified = _get(app, store, lambda: db.session.execute(
        select(Member.id, Member.email, Member.phone_verified).where(Member.phone == phone)).one())
    assert email == "" and verified
    # the code is used up
    other = _shopper(app, "10.1.0.2")
    assert _sign_in(other, slug, phone, code).status_code == 422
    # a minute later, a new code signs in to the same member
    with time_machine.travel(utcnow() + timedelta(seconds=61), tick=True):
        _send(other, slug, phone)
        assert _sign_in(other, slug, phone, fake_sms.last_code(phone)).status_code == 303
    assert _get(app, store, lambda: db_count(Member.phone == phone, model=Member)) == 1
    assert _get(app, store, lambda: db_scalar(select(Member.id).where(Member.phone == phone))) == member_id


def db_count(*where, model=SmsCode):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def db_scalar(stmt):
    return db.session.scalar(stmt)


def test_an_unverified_phone_on_an_email_account_is_not_signed_in_to(app, store, fake_sms):
    from tests.storefront.test_shop import _register

    slug = store.slug
    _register(app.test_client(), slug, f"phone-owner@{slug}.cn")       # typed 13912345678, never verified
    shopper = _shopper(app, "10.2.0.1")
    _send(shopper, slug, "13912345678")
    assert _sign_in(shopper, slug, "13912345678", fake_sms.last_code("13912345678")).status_code == 303
    emails = _get(app, store, lambda: sorted(db_scalar_all(select(Member.email).where(Member.phone == "13912345678"))))
    assert emails == ["", f"phone-owner@{slug}.cn"]        # a new account: the email one is untouched


def db_scalar_all(stmt):
    return db.session.scalars(stmt).all()


def test_send_limits_per_phone_and_per_client_address(app, store, fake_sms):
    slug = store.slug
    shopper = _shopper(app, "10.3.0.1")
    assert _send(shopper, slug, "13800138002").status_code == 200
    again = _send(shopper, slug, "13800138002")
    assert again.status_code == 422 and "seconds" in again.get_data(as_text=True)
    sent = len(fake_sms.messages)
    start = utcnow()
    for minute in range(1, 5):                   # five an hour per phone
        with time_machine.travel(start + timedelta(minutes=minute * 2), tick=True):
            assert _send(shopper, slug, "13800138002").status_code == 200
    with time_machine.travel(start + timedelta(minutes=11), tick=True):
        refused = _send(shopper, slug, "13800138002")
        assert refused.status_code == 422 and "minutes" in refused.get_data(as_text=True)
    assert len(fake_sms.messages) == sent + 4
    with time_machine.travel(start + timedelta(minutes=62), tick=True):
        assert _send(shopper, slug, "13800138002").status_code == 200
    # one address asking for many phones is stopped too (20 an hour)
    app.config["SMS_CLIENT_PER_HOUR"], before = 3, app.config["SMS_CLIENT_PER_HOUR"]
    try:
        robot = _shopper(app, "10.3.0.9")
        assert [_send(robot, slug, f"1380013810{i}").status_code for i in range(4)] == [200, 200, 200, 422]
    finally:
        app.config["SMS_CLIENT_PER_HOUR"] = before
    # a bad number is refused under its field and sends nothing
    count = len(fake_sms.messages)
    bad = _send(shopper, slug, "1234")
    assert bad.status_code == 422 and "mainland China mobile number" in bad.get_data(as_text=True)
    assert len(fake_sms.messages) == count


def test_codes_expire_and_allow_only_a_few_tries(app, store, fake_sms):
    slug = store.slug
    shopper = _shopper(app, "10.4.0.1")
    _send(shopper, slug, "13800138003")
    code = fake_sms.last_code("13800138003")
    with time_machine.travel(utcnow() + timedelta(minutes=5, seconds=1), tick=True):
        late = _sign_in(shopper, slug, "13800138003", code)
        assert late.status_code == 422 and "expired" in late.get_data(as_text=True)
        _send(shopper, slug, "13800138003")
        fresh = fake_sms.last_code("13800138003")
        wrong = f"{(int(fresh) + 1) % 10**6:06d}"
        for _ in range(5):
            assert "The code is wrong." in _sign_in(shopper, slug, "13800138003", wrong).get_data(as_text=True)
        locked = _sign_in(shopper, slug, "13800138003", fresh)       # the right one, after five wrong tries
        assert locked.status_code == 422 and "Too many wrong codes" in locked.get_data(as_text=True)
    assert _get(app, store, lambda: db_count(Member.phone == "13800138003", model=Member)) == 0


def test_provider_refusal_is_said_plainly(app, store, fake_sms):
    fake_sms.refuse = "isv.BUSINESS_LIMIT_CONTROL"
    try:
        answer = _send(_shopper(app, "10.5.0.1"), store.slug, "13800138004")
    finally:
        fake_sms.refuse = None
    assert answer.status_code == 422 and "could not be sent" in answer.get_data(as_text=True)


def test_sms_sign_in_through_the_api(app, client, store, fake_sms):
    base = f"/api/v1/shop/{store.slug}"
    client.environ_base["REMOTE_ADDR"] = "10.6.0.1"
    bad = client.post(f"{base}/auth/sms/code", json={"phone": "12345"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "phone"
    sent = client.post(f"{base}/auth/sms/code", json={"phone": "+86 138 0013 8005"})
    assert sent.status_code == 202 and sent.get_json() == {"phone": "138****8005", "expires_in": 300, "resend_in": 60}
    again = client.post(f"{base}/auth/sms/code", json={"phone": "13800138005"})
    assert again.status_code == 429 and 1 <= int(again.headers["Retry-After"]) <= 60
    wrong = client.post(f"{base}/auth/sms/token", json={"phone": "13800138005", "code": "000000"
                                                        if fake_sms.last_code("13800138005") != "000000" else "111111"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "bad_code"
    token = client.post(f"{base}/auth/sms/token", json={"phone": "13800138005",
                                                        "code": fake_sms.last_code("13800138005")})
    assert token.status_code == 201 and token.get_json()["created"] is True
    me = client.get(f"{base}/orders", headers={"Authorization": f"Bearer {token.get_json()['token']}"})
    assert me.status_code == 200
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"sendSmsCode", "getTokenBySms"} <= {op["operationId"] for path in spec["paths"].values()
                                                for op in path.values()}
