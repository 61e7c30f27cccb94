"""Gateway settings and reconciliation are forms with their errors under the field: what was
typed stays (never a key), a refused save changes nothing."""
import re
from datetime import date

from app.blueprints.payments import accounts
from app.blueprints.payments.models import GatewayAccount, ReconciliationItem, ReconciliationRun
from tests import factories as f


def _error(page: str, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">([^<]*)</p>', page)
    assert found, f"no error under {field_id}"
    return found.group(1)


def test_a_key_that_cannot_work_is_said_under_its_field_and_never_shown_back(module_owner, module_store):
    url = f"/store/{module_store.slug}/payments/gateways/stripe"
    answer = module_owner.form(url, {"publishable_key": "pk_test_kept", "secret_key": "pk_oops_not_secret",
                                     "webhook_secret": "whsec_1", "enabled": "1"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "starts with sk_" in _error(page, "stripe-secret_key")
    assert 'value="pk_test_kept"' in page and "pk_oops_not_secret" not in page and "whsec_1" not in page
    assert f.count(module_store, GatewayAccount) == 0


def test_enabling_without_the_keys_is_refused_on_that_gateways_form(module_owner, module_store):
    url = f"/store/{module_store.slug}/payments/gateways/alipay"
    answer = module_owner.form(url, {"app_id": "2021000111", "environment": "sandbox", "enabled": "1"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    alipay_card = page[page.index('id="gateway-form-alipay"'):page.index('id="gateway-form-stripe"')]
    assert "Fill in" in alipay_card and 'value="2021000111"' in alipay_card
    assert "Fill in" not in page[page.index('id="gateway-form-stripe"'):]
    assert f.count(module_store, GatewayAccount) == 0
    bad_env = module_owner.form(url, {"app_id": "2021000111", "environment": "staging"})
    assert bad_env.status_code == 422 and "production or sandbox" in _error(bad_env.get_data(as_text=True),
                                                                           "alipay-environment")
    assert module_owner.form(url, {"app_id": "2021000111", "environment": "sandbox"}).status_code == 303
    assert f.read(module_store, lambda: accounts.account("alipay").settings["app_id"]) == "2021000111"


def test_reconciling_a_day_names_the_bad_day_and_the_gateway_under_their_fields(module_owner, module_store):
    url = f"/store/{module_store.slug}/payments/reconciliation/run"
    answer = module_owner.form(url, {"gateway": "sandbox", "day": "yesterday"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "YYYY-MM-DD" in _error(page, "day") and 'value="yesterday"' in page
    assert "enabled gateway" in _error(module_owner.form(url, {"gateway": "nope", "day": "2026-11-30"})
                                       .get_data(as_text=True), "gateway")
    assert f.count(module_store, ReconciliationRun) == 0


def test_resolving_a_difference_without_a_note_says_so_under_that_difference(module_owner, module_store):
    with f.bound(module_store) as session:
        run = ReconciliationRun(gateway="sandbox", day=date(2026, 11, 30), status="done", differences=2)
        session.add(run)
        session.flush()
        items = [ReconciliationItem(run_id=run.id, kind="missing_ours", record="payment", reference=f"P{i}")
                 for i in range(2)]
        session.add_all(items)
        session.flush()
        run_id, first, second = run.id, items[0].id, items[1].id
    base = f"/store/{module_store.slug}/payments/reconciliation/{run_id}"
    answer = module_owner.form(f"{base}/items/{first}/resolve", {"note": "   "})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Say how" in _error(page, f"note-{first}") and f'id="note-{second}-error"' not in page
    assert module_owner.form(f"{base}/items/{first}/resolve", {"note": "补记"}).status_code == 303
    assert f.get(module_store, ReconciliationItem, first).note == "补记"
