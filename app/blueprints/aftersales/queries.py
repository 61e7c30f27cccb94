"""After-sales read side: the summary other centers show (the service center's tickets), a
shopper's requests, an order's requests, and the figures of the list page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.blueprints.aftersales.models import AfterSalesRequest, Evidence, RequestLine, RequestStage
from app.extensions import db


def request_summary(request_id: int) -> dict | None:
    """What another center shows of a request: number, status (code and words), kind, order
    number, shopper id, amount, currency, outcome. None when there is no such request."""
    from app.blueprints.aftersales import services

    req = db.session.get(AfterSalesRequest, request_id)
    if req is None:
        return None
    return {"id": req.id, "number": req.number, "status": req.status,
            "status_label": str(services.STATUS_LABELS[req.status]), "kind": req.kind,
            "kind_label": str(services.KIND_LABELS[req.kind]), "order_id": req.order_id,
            "order_number": req.order_number, "shopper_id": req.shopper_id, "amount": req.total,
            "currency": req.currency, "outcome": req.outcome,
            "outcome_label": str(services.OUTCOME_LABELS[req.outcome]) if req.outcome else ""}


@dataclass(frozen=True)
class LineView:
    order_line_id: int
    sku_code: str
    title: str
    quantity: int
    amount: int
    exchange_sku_code: str


@dataclass(frozen=True)
class RequestView(RequestStage):
    """A request as its shopper sees it."""

    id: int
    number: str
    order_number: str
    kind: str
    status: str
    outcome: str | None
    reason: str
    description: str
    currency: str
    amount: int
    shipping_refund: int
    refunded: int
    reject_reason: str
    return_address: str
    return_carrier: str
    return_waybill: str
    ship_back_due_at: datetime | None
    created_at: datetime
    lines: tuple[LineView, ...]
    evidence_ids: tuple[int, ...]
    timeline: tuple = ()

    @property
    def total(self) -> int:
        return self.amount + self.shipping_refund

    @property
    def status_label(self) -> str:
        from app.blueprints.aftersales.services import STATUS_LABELS

        return str(STATUS_LABELS[self.status])

    @property
    def kind_label(self) -> str:
        from app.blueprints.aftersales.services import KIND_LABELS

        return str(KIND_LABELS[self.kind])


def _view(req: AfterSalesRequest, timeline: tuple = ()) -> RequestView:
    return RequestView(req.id, req.number, req.order_number, req.kind, req.status, req.outcome, req.reason,
                       req.description, req.currency, req.amount, req.shipping_refund, req.refunded, req.reject_reason,
                       req.return_address, req.return_carrier, req.return_waybill, req.ship_back_due_at,
                       req.created_at, tuple(LineView(l.order_line_id, l.sku_code, l.title, l.quantity, l.amount,
                                                      l.exchange_sku_code) for l in req.lines),
                       tuple(e.id for e in req.evidence), timeline)


def _loaded():
    return select(AfterSalesRequest).options(selectinload(AfterSalesRequest.lines),
                                             selectinload(AfterSalesRequest.evidence))


def shopper_requests(shopper_id: int, page: int = 1, per_page: int = 20) -> tuple[list[RequestView], int]:
    """A shopper's requests, newest first, one page (three statements)."""
    stmt = select(AfterSalesRequest).where(AfterSalesRequest.shopper_id == shopper_id)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(_loaded().where(AfterSalesRequest.shopper_id == shopper_id)
                              .order_by(AfterSalesRequest.id.desc()).limit(per_page).offset((page - 1) * per_page))
    return [_view(r) for r in rows], total


def shopper_request(shopper_id: int, number: str) -> RequestView | None:
    """One of the shopper's requests with its public timeline; another shopper's is None."""
    from app.blueprints.aftersales.services import REQUEST_STATES

    req = db.session.scalar(_loaded().where(AfterSalesRequest.number == number,
                                            AfterSalesRequest.shopper_id == shopper_id))
    if req is None:
        return None
    return _view(req, tuple(REQUEST_STATES.history(req, public=True)))


class OrderRequests(list):
    """An order's requests (a list of RequestView) with what they refunded together."""

    @property
    def refunded(self) -> int:
        """Minor units paid back through these requests, in the order's currency."""
        return sum(r.refunded for r in self)


def order_requests(order_number: str) -> OrderRequests:
    """An order's requests, oldest first (the order pages list them; two statements)."""
    return OrderRequests(_view(r) for r in db.session.scalars(
        _loaded().where(AfterSalesRequest.order_number == order_number).order_by(AfterSalesRequest.id)))


def can_ask(order_status: str) -> bool:
    """Whether the order page offers an after-sales request (the service checks the rest)."""
    from app.blueprints.aftersales.services import AFTER_PAYMENT

    return order_status in AFTER_PAYMENT


def evidence_key(evidence_id: int, shopper_id: int | None = None) -> str | None:
    """The stored file of a photo: for staff (any request of the bound store) or only for the
    shopper whose request it is."""
    stmt = select(Evidence.key).where(Evidence.id == evidence_id)
    if shopper_id is not None:
        stmt = stmt.join(AfterSalesRequest, AfterSalesRequest.id == Evidence.request_id).where(
            AfterSalesRequest.shopper_id == shopper_id)
    return db.session.scalar(stmt)


def rate_by_sku(limit: int = 20) -> list[tuple[str, int]]:
    """SKU codes by how many units were asked about (the service dashboard's after-sales rate)."""
    return [(code, int(n)) for code, n in db.session.execute(
        select(RequestLine.sku_code, func.sum(RequestLine.quantity)).group_by(RequestLine.sku_code)
        .order_by(func.sum(RequestLine.quantity).desc()).limit(limit))]


def open_count() -> int:
    from app.blueprints.aftersales.services import OPEN

    return db.session.scalar(select(func.count()).select_from(AfterSalesRequest)
                             .where(AfterSalesRequest.status.in_(OPEN)))
