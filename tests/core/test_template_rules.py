"""Pages ask the objects what can be done (predicates in models and queries) instead of
spelling out the rule in the template: the order, payment and document pages compare no
status themselves."""
import pathlib
import re

import pytest

TEMPLATES = pathlib.Path(__file__).resolve().parents[2] / "app" / "templates"


@pytest.mark.parametrize("name", ["shop/order.html", "payments/payment.html", "inventory/document.html"])
def test_the_page_compares_no_status_itself(name):
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    assert not re.findall(r"\.status\s*(==|!=|in\b)|status\s*==\s*'", text), name


def test_the_predicates_answer_what_the_pages_ask():
    from app.blueprints.orders.queries import OrderView
    from app.blueprints.payments.models import Payment, Refund

    def view(status):
        return OrderView(number="1", status=status, order_type="normal", currency="CNY", goods_total=0,
                         discount_total=0, shipping_fee=0, payable=0, created_at=None, payment_deadline=None,
                         address={}, lines=())

    assert view("pending_payment").awaiting_payment and not view("paid").awaiting_payment
    assert view("delivered").receipt_confirmable and not view("shipped").receipt_confirmable
    assert Refund(status="pending").resendable and not Refund(status="failed").resendable
    assert Payment(status="created").awaiting_gateway and not Payment(status="succeeded").awaiting_gateway
