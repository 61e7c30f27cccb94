"""The predicates the pages ask instead of comparing statuses, each against the rule it
replaced in a template (every status of the model tried)."""
import pytest

from app.blueprints.aftersales.models import STATUSES as REQUEST_STATUSES, AfterSalesRequest
from app.blueprints.dispatch.models import NOTICE_STATUSES, DeliveryNotice
from app.blueprints.invoices.models import STATUSES as INVOICE_STATUSES, InvoiceRequest
from app.blueprints.orders.models import ORDER_STATUSES, Order
from app.blueprints.platform.models import STORE_STATUSES, Store
from app.blueprints.promotions.models import (FLASH_STATUSES, GROUP_BUY_STATUSES, GROUP_STATUSES, PROMOTION_STATUSES,
                                             FlashSession, GroupBuy, GroupTeam, Promotion)
from app.blueprints.purchasing.models import PO_STATUSES, PurchaseOrder
from app.blueprints.store.models import STAFF_STATUSES, StaffUser

RULES = [
    (Order, ORDER_STATUSES, "awaiting_shipment", lambda s: s in ("paid", "allocated", "partially_shipped")),
    (Order, ORDER_STATUSES, "awaiting_payment", lambda s: s == "pending_payment"),
    (PurchaseOrder, PO_STATUSES, "returnable", lambda s: s in ("partially_received", "received", "closed")),
    (PurchaseOrder, PO_STATUSES, "invoiceable", lambda s: s not in ("draft", "submitted", "approved", "cancelled")),
    (PurchaseOrder, PO_STATUSES, "supplier_may_invoice",
     lambda s: s not in ("draft", "submitted", "approved", "sent", "cancelled")),
    (PurchaseOrder, PO_STATUSES, "receivable_without_notice", lambda s: s in ("confirmed", "shipped", "partially_received")),
    (PurchaseOrder, PO_STATUSES, "closable", lambda s: s in ("partially_received", "received")),
    (DeliveryNotice, NOTICE_STATUSES, "held", lambda s: s == "held"),
    (DeliveryNotice, NOTICE_STATUSES, "is_packed", lambda s: s == "packed"),
    (Store, STORE_STATUSES, "live", lambda s: s != "deleted"),
    (Store, STORE_STATUSES, "suspendable", lambda s: s == "active"),
    (StaffUser, STAFF_STATUSES, "invited", lambda s: s == "invited"),
    (InvoiceRequest, INVOICE_STATUSES, "issued", lambda s: s == "issued"),
    (Promotion, PROMOTION_STATUSES, "simulable", lambda s: s in ("draft", "paused")),
    (FlashSession, FLASH_STATUSES, "editable", lambda s: s == "draft"),
    (GroupBuy, GROUP_BUY_STATUSES, "is_draft", lambda s: s == "draft"),
    (GroupBuy, GROUP_BUY_STATUSES, "endable", lambda s: s != "ended"),
    (GroupTeam, GROUP_STATUSES, "is_open", lambda s: s == "open"),
    (AfterSalesRequest, REQUEST_STATUSES, "awaiting_answer", lambda s: s in ("requested", "escalated")),
    (AfterSalesRequest, REQUEST_STATUSES, "closable_after_refusal", lambda s: s in ("rejected", "escalated")),
]


@pytest.mark.parametrize("model, statuses, predicate, rule", RULES, ids=[f"{m.__name__}.{p}" for m, _s, p, _r in RULES])
def test_each_predicate_says_what_the_template_rule_said(model, statuses, predicate, rule):
    for status in statuses:
        assert getattr(model(status=status), predicate) is rule(status), status


def test_a_refund_only_request_has_no_goods_to_receive():
    for status in REQUEST_STATUSES:
        goods = AfterSalesRequest(status=status, kind="return_refund")
        assert goods.receivable is (status in ("awaiting_return", "returned"))
        assert AfterSalesRequest(status=status, kind="refund_only").receivable is False


def test_a_group_has_room_while_open_and_not_every_place_is_held():
    for status in GROUP_STATUSES:
        for taken in (2, 3):
            team = GroupTeam(status=status, size=3, taken=taken)
            assert team.has_room is (status == "open" and taken < 3), (status, taken)
