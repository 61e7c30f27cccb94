"""Sessions end with the password: a change or reset signs out every other web session of
the account and kills its API tokens; a resent invitation ends the earlier link."""
import re

from tests.conftest import PASSWORD, add_staff, last_mail, wait_for

NEW_PASSWORD = "a-brand-new-passphrase"


def _signed_in(client, url) -> bool:
    return client.get(url).status_code == 200


def test_changing_the_password_ends_every_other_session(app, store):
    dashboard = f"/store/{store.slug}/"
    here, laptop, phone = (app.test_client() for _ in range(3))
    for c in (here, laptop, phone):
        c.login("store", store.owner_email, slug=store.slug)
        assert _signed_in(c, dashboard)
    response = here.form(f"/store/{store.slug}/account", {"current": PASSWORD, "password": NEW_PASSWORD,
                                                          "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert _signed_in(here, dashboard)                       # the session that changed it stays
    for c in (laptop, phone):
        response = c.get(dashboard)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    laptop.login("store", store.owner_email, password=NEW_PASSWORD, slug=store.slug)
    assert _signed_in(laptop, dashboard)


def _reset_link(app, client, forgot_url, email) -> str:
    before = None
    try:
        before = last_mail(app, email, timeout=0.5)
    except AssertionError:
        pass
    assert client.form(forgot_url, {"email": email}).status_code == 303
    body = wait_for(lambda: (b := last_mail(app, email)) != before and b)
    return re.search(r"http://\S+/password/reset/\S+", body).group(0).split("localhost", 1)[-1]


def test_resetting_the_password_ends_web_sessions(app, store):
    email = add_staff(app, store, role="operations")
    session = app.test_client()
    session.login("store", email, slug=store.slug)
    assert _signed_in(session, f"/store/{store.slug}/")
    stranger = app.test_client()
    path = _reset_link(app, stranger, f"/store/{store.slug}/password/forgot", email)
    assert stranger.form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert session.get(f"/store/{store.slug}/").status_code == 302


def test_a_shopper_password_reset_ends_web_sessions_and_api_tokens(app, store):
    base, shop = f"/api/v1/shop/{store.slug}", f"/shop/{store.slug}"
    email = f"shopper@{store.slug}.cn"
    api = app.test_client()
    token = api.post(f"{base}/auth/register", json={"email": email, "password": PASSWORD}).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    second = api.post(f"{base}/auth/token", json={"email": email, "password": PASSWORD}).get_json()["token"]
    web = app.test_client()
    assert web.form(f"{shop}/login", {"email": email, "password": PASSWORD}).status_code == 303
    account = f"{shop}/account"
    assert _signed_in(web, account) and api.get(f"{base}/cart", headers=auth).status_code == 200

    path = _reset_link(app, app.test_client(), f"{shop}/password/forgot", email)
    assert app.test_client().form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303

    assert web.get(account).status_code == 302
    for old in (token, second):
        response = api.get(f"{base}/cart", headers={"Authorization": f"Bearer {old}"})
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "bad_token"
    fresh = api.post(f"{base}/auth/token", json={"email": email, "password": NEW_PASSWORD}).get_json()["token"]
    assert api.get(f"{base}/cart", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def _invitation_path(body: str) -> str:
    return re.search(r"http://\S+/invitation/\S+", body).group(0).split("localhost", 1)[-1]


def test_a_resent_invitation_ends_the_earlier_link(app, owner, store):
    email = "invitee@person.cn"
    assert owner.form(f"/store/{store.slug}/staff/invite",
                      {"email": email, "name": "Invitee", "role_id": 2}).status_code == 303
    first_mail = last_mail(app, email)
    first = _invitation_path(first_mail)
    assert app.test_client().get(first).status_code == 200
    from tests.store.test_staff import staff_id

    assert owner.form(f"/store/{store.slug}/staff/{staff_id(app, store, email)}/resend").status_code == 303
    second = _invitation_path(wait_for(lambda: _another_mail(app, email, first_mail)))
    assert second != first
    refused = app.test_client().get(first)
    assert refused.status_code == 303 and "/login" in refused.headers["Location"]
    newcomer = app.test_client()
    assert newcomer.form(second, {"name": "Invitee", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert _signed_in(newcomer, f"/store/{store.slug}/")


def _another_mail(app, to: str, seen: str) -> str | None:
    """A mail to `to` other than `seen`, in any order: two mails written in the same second
    need not list newest first."""
    from app.core.mail import list_mail

    with app.app_context():
        return next((m["body"] for m in list_mail(limit=10_000) if m["to"] == to and m["body"] != seen), None)
