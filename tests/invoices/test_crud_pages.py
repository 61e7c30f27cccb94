"""The invoice requests list and one request's page through the shared page test base:
permission, another store's request out of reach, rows in a fixed number of queries."""
from app.blueprints.invoices.models import InvoiceRequest
from tests import factories as f
from tests.support.crud import StorePages


class TestInvoiceRequestPages(StorePages):
    list_path = "invoices/"
    detail_path = "invoices/{id}"
    permission = "invoices.view"
    model = InvoiceRequest
    few, many = 3, 12

    def make(self, store, i):
        from app.blueprints.invoices import services

        member = f.member(store)
        order = f.order(store, "paid", member_obj=member)
        with f.bound(store, request=True):
            return services.request_invoice(member, member.id, order.number, "company", f"抬头公司{i}",
                                            tax_number="91110000600037341L")

    def shown(self, row):
        return row.order_number
