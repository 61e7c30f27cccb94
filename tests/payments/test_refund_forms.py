"""Refund by order lines from the payment page: a refused quantity is an error under that
line's field with the input kept, and no refund is made."""
import re

from sqlalchemy import select

from app.blueprints.payments.models import Refund
from tests import factories as f
from tests.conftest import wait_for


def _error_under(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">([^<]+)</p>', html)
    assert found, f"no error under #{field_id}"
    return found.group(1)


def _refunds(store):
    return f.read(store, lambda: f.db_session().scalars(select(Refund.amount)).all())


def test_refunding_more_of_a_line_than_was_bought_is_an_error_on_that_line(module_owner, module_store):
    order = f.order(module_store, quantity=3, price=1000)
    payment = f.payment(module_store, order)
    line_id = order.lines[0].id
    page = f"/store/{module_store.slug}/payments/{payment.id}"
    before = _refunds(module_store)
    response = module_owner.form(f"{page}/refund", {"by": "lines", f"qty_{line_id}": "5", "request_id": "lines-x",
                                                    "reason": "破损"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _error_under(html, f"qty_{line_id}")
    assert 'value="5"' in html and 'value="破损"' in html
    response = module_owner.form(f"{page}/refund", {"by": "lines", f"qty_{line_id}": "两", "request_id": "lines-y"})
    assert response.status_code == 422 and _error_under(response.get_data(as_text=True), f"qty_{line_id}")
    response = module_owner.form(f"{page}/refund", {"by": "lines", f"qty_{line_id}": "0", "request_id": "lines-z"})
    assert response.status_code == 422 and "how many of a line" in response.get_data(as_text=True)
    assert _refunds(module_store) == before
    assert module_owner.form(f"{page}/refund", {"by": "lines", f"qty_{line_id}": "1",
                                                "request_id": "lines-ok"}).status_code == 303
    assert len(_refunds(module_store)) == len(before) + 1
    # the refund goes to the gateway in the background: let it finish before the module's store is dropped
    wait_for(lambda: "pending" not in f.read(module_store, lambda: f.db_session().scalars(select(Refund.status)).all()))
