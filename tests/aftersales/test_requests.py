"""Asking for after-sales: per line and quantity, inside the window, what the kind allows, a
reason and photos; refusals change nothing; staff approve or reject."""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.blueprints.aftersales import queries, services
from app.blueprints.aftersales.models import AfterSalesRequest
from app.core.db import utcnow
from app.core.errors import DomainError
from tests import factories as f
from tests.aftersales.conftest import ask, bought, request_row, rules
from tests.conftest import wait_for


def _count(store):
    return f.count(store, AfterSalesRequest)


def test_a_delivered_order_takes_a_return_of_one_of_two_items(store):
    member = f.member(store)
    a, b = f.sku(store, price=3000, stock=5), f.sku(store, price=2000, stock=5)
    order = bought(store, member, [(a, 1), (b, 2)], state="delivered")
    req = ask(store, member, order, "return_refund", {order.lines[1].id: 1})
    assert req.status == "awaiting_return" or req.status == "requested"
    assert [(l.sku_id, l.quantity, l.amount) for l in req.lines] == [(b.id, 1, 2000)]
    with f.bound(store, request=True):
        summary = queries.request_summary(req.id)
    assert summary["number"] == req.number and summary["order_number"] == order.number
    assert summary["shopper_id"] == member.id and summary["status_label"] == "Requested"


def test_more_than_bought_or_already_requested_is_refused_and_changes_nothing(store):
    member = f.member(store)
    order = bought(store, member, [(f.sku(store, stock=5), 2)], state="delivered")
    line = order.lines[0]
    with pytest.raises(DomainError, match="between 1 and 2"):
        ask(store, member, order, "return_refund", {line.id: 3})
    ask(store, member, order, "return_refund", {line.id: 2})
    with pytest.raises(DomainError, match="every unit"):
        ask(store, member, order, "return_refund", {line.id: 1})
    assert _count(store) == 1


def test_outside_the_window_is_refused(store):
    member = f.member(store)
    order = bought(store, member, state="delivered")
    with time_machine.travel(utcnow() + timedelta(days=8), tick=True):
        with pytest.raises(services.OutsideWindow):
            ask(store, member, order, "return_refund")
    assert _count(store) == 0
    with time_machine.travel(utcnow() + timedelta(days=6), tick=True):
        ask(store, member, order, "return_refund")


def test_an_unpaid_order_or_another_shoppers_order_is_refused(store):
    member, other = f.member(store), f.member(store)
    unpaid = f.order(store, member_obj=member)
    with pytest.raises(services.OutsideWindow):
        ask(store, member, unpaid)
    order = bought(store, member, state="delivered")
    with pytest.raises(DomainError, match="No such order"):
        ask(store, other, order, "return_refund")
    assert _count(store) == 0


def test_a_return_before_shipment_is_refused(store):
    member = f.member(store)
    order = bought(store, member, state="paid")
    with pytest.raises(DomainError, match="refund only"):
        ask(store, member, order, "return_refund")


def test_photos_must_be_images_of_at_most_5_mb(store):
    member = f.member(store)
    order = bought(store, member, state="delivered")
    with pytest.raises(DomainError, match="PNG"):
        ask(store, member, order, "return_refund", images=[b"%PDF-1.4 not an image"])
    with pytest.raises(DomainError, match="PNG"):
        ask(store, member, order, "return_refund", images=[f.png() + b"0" * (5 * 1024 * 1024)])
    req = ask(store, member, order, "return_refund", images=[f.png()])
    with f.bound(store):
        assert len(queries.shopper_request(member.id, req.number).evidence_ids) == 1
