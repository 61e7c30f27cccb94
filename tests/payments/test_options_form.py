"""The payment options form: a choice outside the list is said under it and changes nothing."""
import re

from tests import factories as f


def _errors(html: str, field_id: str) -> list[str]:
    block = html.split(f'id="field-{field_id}"', 1)[1].split("</fieldset>", 1)[0]
    return re.findall(r'<p class="error"[^>]*>([^<]+)</p>', block)


def test_a_late_payment_choice_outside_the_list_is_said_under_it_and_changes_nothing(app, owner, store):
    from app.blueprints.payments import accounts

    url = f"/store/{store.slug}/payments/options"
    response = owner.form(url, {"late_payment": "keep"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _errors(html, "late_payment") == ["Not a valid choice."]
    assert owner.form(url, {}).status_code == 422
    with f.bound(store):
        assert accounts.options().late_payment == "flag"
    assert owner.form(url, {"late_payment": "refund"}).status_code == 303
    with f.bound(store):
        assert accounts.options().late_payment == "refund"
