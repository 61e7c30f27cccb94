"""Sign-in for the three realms: argon2id, rotation, rate limits, reset, CSRF."""
import re

from app.core.sessions import PREFIX
from app.extensions import db
from tests.conftest import PASSWORD, add_staff, last_mail


def test_passwords_are_stored_as_argon2id(app, store):
    from app.blueprints.store.models import StaffUser
    from app.core.tenancy import store_context
    from app.blueprints.platform.models import Store

    with app.app_context(), store_context(db.session.get(Store, store.id)):
        owner = db.session.scalar(db.select(StaffUser))
        assert owner.password_hash.startswith("$argon2id$")


def test_store_login_rotates_the_session_id(app, client, store):
    client.get(f"/store/{store.slug}/login")
    before = client.get_cookie("houtai_session").value
    client.login("store", store.owner_email, slug=store.slug)
    after = client.get_cookie("houtai_session").value
    assert before != after
    assert app.extensions["houtai_redis"].get(PREFIX + before) is None
    assert client.get(f"/store/{store.slug}/").status_code == 200
    # the pre-login session id is dead: presenting it again gives an anonymous visitor
    stale = app.test_client()
    stale.set_cookie("houtai_session", before)
    assert stale.get(f"/store/{store.slug}/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, store):
    response = client.form(f"/store/{store.slug}/login", {"email": store.owner_email, "password": "nope-nope-nope"})
    assert response.status_code == 401
    assert "wrong" in response.get_data(as_text=True)


def test_logout_ends_the_session(client, store):
    client.login("store", store.owner_email, slug=store.slug)
    client.form(f"/store/{store.slug}/logout")
    assert client.get(f"/store/{store.slug}/").status_code == 302


def test_session_from_store_a_is_refused_on_store_b(make_store, app):
    a, b = make_store(), make_store()
    client = app.test_client()
    client.login("store", a.owner_email, slug=a.slug)
    response = client.get(f"/store/{b.slug}/staff")
    assert response.status_code == 302 and f"/store/{b.slug}/login" in response.headers["Location"]


def test_platform_session_cannot_open_store_pages(platform_admin, store):
    response = platform_admin.get(f"/store/{store.slug}/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_disabled_staff_cannot_sign_in(app, store):
    email = add_staff(app, store)
    owner = app.test_client()
    owner.login("store", store.owner_email, slug=store.slug)
    from tests.store.test_staff import staff_id
    owner.form(f"/store/{store.slug}/staff/{staff_id(app, store, email)}/status", {"enabled": "0"})
    response = app.test_client().form(f"/store/{store.slug}/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 401


def test_login_rate_limit_per_account(app, client, store):
    app.config["LOGIN_LIMIT_ACCOUNT"] = "3 per minute"
    try:
        codes = [client.form(f"/store/{store.slug}/login", {"email": store.owner_email, "password": "bad-guess"}).status_code
                 for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        # even the right password is refused until the window passes
        response = client.form(f"/store/{store.slug}/login", {"email": store.owner_email, "password": PASSWORD})
        assert response.status_code == 429 and 1 <= int(response.headers["Retry-After"]) <= 60
        assert "Too many" in response.get_data(as_text=True) or "尝试次数过多" in response.get_data(as_text=True)
        # another account from the same address is not locked by this one
        other = add_staff(app, store)
        assert client.form(f"/store/{store.slug}/login", {"email": other, "password": PASSWORD}).status_code == 303
    finally:
        app.config["LOGIN_LIMIT_ACCOUNT"] = "5 per 10 minutes"


def test_login_rate_limit_per_ip(app, client, store):
    app.config["LOGIN_LIMIT_IP"] = "3 per minute"
    try:
        codes = [client.form(f"/store/{store.slug}/login", {"email": f"x{i}@y.cn", "password": "bad-guess"}).status_code
                 for i in range(4)]
        assert codes == [401, 401, 401, 429]
    finally:
        app.config["LOGIN_LIMIT_IP"] = "30 per minute"


def test_form_without_csrf_token_is_refused(client, store):
    response = client.post(f"/store/{store.slug}/login", data={"email": store.owner_email, "password": PASSWORD})
    assert response.status_code == 400


def test_htmx_request_without_csrf_header_is_refused(owner, store):
    response = owner.post(f"/store/{store.slug}/roles/new", data={"name": "X"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    token = owner.csrf_token()
    response = owner.post(f"/store/{store.slug}/roles/new", data={"name": "With header"},
                          headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/roles")


def test_password_reset_by_one_time_link(app, client, store):
    response = client.form(f"/store/{store.slug}/password/forgot", {"email": store.owner_email})
    assert response.status_code == 303
    link = re.search(r"http://\S+/password/reset/\S+", last_mail(app, store.owner_email)).group(0)
    path = link.split("localhost", 1)[-1]
    assert client.get(path).status_code == 200
    response = client.form(path, {"password": "a-brand-new-pass", "confirm": "a-brand-new-pass"})
    assert response.status_code == 303
    # used once: the same link now sends the user back to ask again
    assert "/password/forgot" in client.get(path).headers["Location"]
    client.login("store", store.owner_email, password="a-brand-new-pass", slug=store.slug)


def test_reset_for_unknown_email_answers_the_same(client, store):
    response = client.form(f"/store/{store.slug}/password/forgot", {"email": "nobody@nowhere.cn"})
    assert response.status_code == 303


def test_platform_and_supplier_logins(app, platform_admin):
    assert platform_admin.get("/platform/stores").status_code == 200
    from app.blueprints.platform.services import create_supplier_account
    with app.app_context():
        create_supplier_account(None, "sup@acme.cn", "Sup", "Acme", PASSWORD)
        db.session.commit()
    supplier = app.test_client()
    supplier.login("supplier", "sup@acme.cn")
    assert "Acme" in supplier.get("/supplier/").get_data(as_text=True)
    assert supplier.get("/platform/stores").status_code == 302
