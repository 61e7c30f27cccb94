"""The payment center's list and detail pages through the shared page test base."""
from app.blueprints.payments.models import Payment, ReconciliationRun, Refund
from tests import factories as f
from tests.support.crud import StorePages


class TestPaymentPages(StorePages):
    list_path = "payments/"
    detail_path = "payments/{id}"
    permission = "payments.view"
    model = Payment

    def make(self, store, i):
        return f.payment(store)


class TestRefundPages(StorePages):
    list_path = "payments/refunds"
    permission = "payments.view"
    model = Refund

    def make(self, store, i):
        return f.refund(store, amount=100, status="failed" if i % 2 else "succeeded")

    def shown(self, row):
        return row.request_id


class TestReconciliationPages(StorePages):
    list_path = "payments/reconciliation"
    detail_path = "payments/reconciliation/{id}"
    permission = "payments.view"
    model = ReconciliationRun

    def make(self, store, i):
        return f.reconciliation(store)

    def shown(self, row):
        return f"/reconciliation/{row.id}"
