"""Cross-border orders: the tax is estimated before placing, charged in the payable, stored
on the order with the payer, and the payer's ¥26,000 year counts every live order."""
import pytest
from sqlalchemy import select

from app.blueprints.crossborder.models import CustomsDeclaration
from app.blueprints.orders import services as orders
from app.blueprints.orders.models import Order
from app.core.errors import DomainError
from tests import factories as f
from tests.crossborder.conftest import OTHER_PAYER, PAYER, customs_sku, sell_cross_border


def _place(store, lines, payer=PAYER):
    with f.bound(store, request=True):
        order = orders.place_order([orders.LineRequest(s.id, q) for s, q in lines], f.ADDRESS, shopper=f.SHOPPER,
                                   payer=payer)
        return order.id, order.number, order.payable, order.tax_total


def test_the_tax_is_charged_in_the_payable_and_stored_with_the_payer(store):
    sell_cross_border(store)
    cream = customs_sku(store, 10000, consumption_bp=1500)       # ¥100 at 15 % consumption tax
    milk = customs_sku(store, 30000)                              # ¥300 milk powder
    with f.bound(store, request=True):
        preview = orders.preview_checkout({cream.id: 1, milk.id: 2}, "310115")
    # cream 10000 → 1235 + 1071; milk 60000 × 9.1 % = 5460 (freight 0: no templates, no flat fee)
    assert (preview.shipping_fee, preview.tax_total, preview.payable) == (0, 7766, 77766)
    order_id, number, payable, tax_total = _place(store, [(cream, 1), (milk, 2)])
    assert (payable, tax_total) == (77766, 7766)
    with f.bound(store) as session:
        decl = session.scalar(select(CustomsDeclaration).where(CustomsDeclaration.order_id == order_id))
        assert (decl.regime, decl.dutiable, decl.consumption_tax, decl.vat, decl.tax_total) == \
            ("cross_border", 70000, 1235, 6531, 7766)
        assert decl.payer_name == "李四" and decl.payer_id_masked == "440305********4563"
        assert PAYER["id_number"] not in decl.payer_id_sealed                       # sealed, not in the clear
        assert [line["hs_code"] for line in decl.lines] == ["3304990000", "3304990000"]


def test_the_order_page_shows_the_tax_and_the_declaration(store, owner):
    sell_cross_border(store)
    cream = customs_sku(store, 10000, consumption_bp=1500)
    order_id, *_ = _place(store, [(cream, 1)])
    page = owner.get(f"/store/{store.slug}/orders/{order_id}").get_data(as_text=True)
    assert 'data-regime="cross_border"' in page and "440305********4563" in page
    assert "23.06" in page and "12.35" in page and "10.71" in page and "123.06" in page


def test_the_payers_year_limit_counts_live_orders_and_taxes_the_order_over_it_in_full(store):
    sell_cross_border(store)
    bag = customs_sku(store, 480000, duty_bp=1000, stock=10)       # ¥4,800 a piece
    for _ in range(5):                                              # ¥24,000 this year
        _place(store, [(bag, 1)])
    with f.bound(store, request=True):
        assert orders.preview_checkout({bag.id: 1}, "310115", payer=PAYER).tax.assessment.reason == "year_limit"
        assert orders.preview_checkout({bag.id: 1}, "310115", payer=OTHER_PAYER).tax.assessment.regime == \
            "cross_border"
    order_id, _n, payable, tax_total = _place(store, [(bag, 1)])
    # in full: duty 48000, VAT (480000 + 48000) × 13 % = 68640
    assert (tax_total, payable) == (116640, 596640)
    # cancelled orders leave the payer's year (the handler of order.cancelled, run as the worker would)
    from app.core import outbox

    for number in range(2):
        first = f.get(store, CustomsDeclaration, 1 + number)
        with f.bound(store, request=True) as session:
            orders.cancel_order(None, session.get(Order, first.order_id), "changed my mind")
            event_id = session.scalar(select(outbox.OutboxEvent.id).where(outbox.OutboxEvent.topic == "order.cancelled")
                                      .order_by(outbox.OutboxEvent.id.desc()).limit(1))
        with f.bound(store, request=True):
            outbox.run_handler(event_id, "app.blueprints.crossborder.handlers.cancelled_order")
            outbox.run_handler(event_id, "app.blueprints.crossborder.handlers.cancelled_order")   # redelivered
    with f.bound(store, request=True):
        again = orders.preview_checkout({bag.id: 1}, "310115", payer=PAYER).tax
        assert (again.assessment.regime, again.assessment.year_before) == ("cross_border", 4 * 480000)   # 6 placed (the one taxed in full counts too), 2 gone


def test_a_cross_border_order_needs_the_payer_and_customs_data_and_changes_nothing_without(store):
    sell_cross_border(store)
    plain = f.sku(store, price=1000, stock=5)                     # no HS code, no origin
    cream = customs_sku(store, 10000, consumption_bp=1500)
    with pytest.raises(DomainError) as err:
        _place(store, [(cream, 1)], payer=None)
    assert err.value.field == "payer_id_number"
    with pytest.raises(DomainError) as err:
        _place(store, [(cream, 1)], payer={"name": "李四", "id_number": "440305198511204560"})   # bad check digit
    assert err.value.field == "payer_id_number"
    with pytest.raises(DomainError) as err:
        _place(store, [(cream, 1)], payer={"name": "", "id_number": PAYER["id_number"]})
    assert err.value.field == "payer_name"
    with pytest.raises(DomainError, match="HS code or country of origin"):
        _place(store, [(plain, 1), (cream, 1)])
    assert f.count(store, Order) == 0 and f.count(store, CustomsDeclaration) == 0


def test_a_store_that_does_not_sell_cross_border_charges_no_tax(store):
    sku = f.sku(store, price=10000, stock=5)
    order_id, _n, payable, tax_total = _place(store, [(sku, 1)], payer=None)
    assert (payable, tax_total) == (10000, 0) and f.count(store, CustomsDeclaration) == 0
