"""Shopper sign-up: the email, the mainland mobile number and the name are checked, each
error under its field with the input kept; a shopper who came from the checkout goes back
to it."""
import re

from tests.conftest import PASSWORD


def _error_under(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{field_id}-error">([^<]+)</p>', html)
    assert found, f"no error under #{field_id}"
    return found.group(1)


def test_bad_email_phone_and_name_are_errors_under_their_fields(client, module_store):
    base = f"/shop/{module_store.slug}/register"
    response = client.form(base, {"email": "not-an-email", "password": PASSWORD, "name": "李<b>四", "phone": "12345"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "name@example.com" in _error_under(html, "email")
    assert "mainland China mobile number" in _error_under(html, "phone")
    assert _error_under(html, "name")
    assert 'value="not-an-email"' in html and 'value="12345"' in html
    landline = client.form(base, {"email": f"a@{module_store.slug}.cn", "password": PASSWORD, "phone": "021-6234 5678"})
    assert landline.status_code == 422 and _error_under(landline.get_data(as_text=True), "phone")


def test_a_good_sign_up_keeps_the_mobile_number_as_eleven_digits(app, client, module_store):
    from sqlalchemy import select

    from app.blueprints.members.models import Member
    from tests import factories as f

    email = f"mobile@{module_store.slug}.cn"
    response = client.form(f"/shop/{module_store.slug}/register", {"email": email, "password": PASSWORD,
                                                                   "name": "王小明", "phone": "+86 138-0013-8000"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    assert f.read(module_store, lambda: f.db_session().scalar(select(Member.phone).where(Member.email == email))) \
        == "13800138000"


def test_a_shopper_from_the_checkout_signs_up_and_is_back_at_the_checkout(client, module_store):
    slug = module_store.slug
    to_login = client.get(f"/shop/{slug}/checkout")
    assert to_login.status_code == 302 and "next=" in to_login.headers["Location"]
    login = client.get(to_login.headers["Location"]).get_data(as_text=True)
    register_link = re.search(r'href="([^"]*/register[^"]*)"', login).group(1).replace("&amp;", "&")
    assert "next=" in register_link and "checkout" in register_link
    page = client.get(register_link).get_data(as_text=True)
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"|type="hidden" name="next" value="([^"]*)"',
                           page)
    assert next_value and "checkout" in (next_value.group(1) or next_value.group(2))
    response = client.form(f"/shop/{slug}/register", {"email": f"back@{slug}.cn", "password": PASSWORD,
                                                      "next": f"/shop/{slug}/checkout"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/shop/{slug}/checkout")


def test_sign_up_never_sends_the_shopper_off_the_shop(client, module_store):
    slug = module_store.slug
    for target in ("https://evil.example/", "//evil.example/x", f"/store/{slug}/"):
        response = client.form(f"/shop/{slug}/register", {"email": f"safe{abs(hash(target))}@{slug}.cn",
                                                          "password": PASSWORD, "next": target})
        client.post(f"/shop/{slug}/logout", data={"csrf_token": client.csrf_token()})
        assert response.status_code == 303 and response.headers["Location"].endswith(f"/shop/{slug}/account"), target
