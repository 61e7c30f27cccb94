"""Back from the gateway, before it has answered: the order page refreshes itself and offers
neither pay nor cancel; once the attempt has an answer (here: failed) both are back."""
from app.blueprints.payments.models import Payment
from tests import factories as f


def test_the_order_page_waits_for_the_gateway_without_pay_or_cancel(module_store):
    member = f.member(module_store)
    order = f.order(module_store, member_obj=member)
    payment = f.payment(module_store, order, status="pending")
    shopper = f.shopper_client(module_store, member)
    url = f"/shop/{module_store.slug}/orders/{order.number}"

    waiting = shopper.get(f"{url}?paying=1").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in waiting and "data-paying" in waiting
    assert 'name="gateway"' not in waiting and 'value="cancel"' not in waiting

    plain = shopper.get(url).get_data(as_text=True)              # not back from a gateway: nothing to wait for
    assert 'http-equiv="refresh"' not in plain and 'value="cancel"' in plain

    from app.blueprints.payments import services

    with f.bound(module_store, request=True) as session:
        services.move(session.get(Payment, payment.id), "failed", "declined")
    answered = shopper.get(f"{url}?paying=1").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in answered and 'value="cancel"' in answered
