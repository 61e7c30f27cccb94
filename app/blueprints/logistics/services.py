"""Logistics operations: checking waybill numbers, shipments made from shipped delivery
notices (once per notice), tracking applied once per (shipment, time, status), electronic
waybills, and the flags that send a stuck, failed or returned parcel to staff. The caller commits."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert

from app.blueprints.logistics import accounts, carriers as registry
from app.blueprints.logistics.adapters import BadPush, Tracking, TrackingError
from app.blueprints.logistics.models import (FLAGS, SHIPMENT_STATUSES, Shipment, ShipmentEvent, TrackingEvent,
                                             TrackingPush)
from app.core import jobs
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.outbox import emit
from app.core.statemachine import StateMachine
from app.core.tenancy import current_store
from app.extensions import db

STATUS_LABELS = {"awaiting_pickup": _l("Awaiting pickup"), "in_transit": _l("In transit"),
                 "out_for_delivery": _l("Out for delivery"), "signed": _l("Signed for"),
                 "exception": _l("Delivery problem"), "returned": _l("Returned to sender")}
FLAG_LABELS = {"stale": _l("No tracking movement for too long"), "returned": _l("Returned to sender"),
               "exception": _l("The carrier reported a problem")}
SUBSCRIPTION_LABELS = {"pending": _l("Subscribing"), "subscribed": _l("Subscribed"), "failed": _l("Subscription failed"),
                       "none": _l("No tracking account"), "stopped": _l("Stopped by the tracking service")}
ACTION_LABELS = {"created": _l("Handed to the carrier"), "subscribed": _l("Tracking subscribed"),
                 "subscription_failed": _l("Tracking subscription failed"), "flagged": _l("Flagged: %(flag)s"),
                 "flag_cleared": _l("Flag cleared"), "tracking_stopped": _l("The tracking service stopped tracking")}
PUSH_SOURCE_LABELS = {"push": _l("Push"), "query": _l("Query")}
PUSH_OUTCOME_LABELS = {"applied": _l("Applied"), "duplicate": _l("Nothing new"), "bad_signature": _l("Bad signature"),
                       "bad_push": _l("Unreadable"), "unknown_waybill": _l("Unknown waybill"),
                       "no_account": _l("No tracking account"), "no_result": _l("No result")}
OPEN = ("awaiting_pickup", "in_transit", "out_for_delivery", "exception")
# when two scans share a second, the one further along wins
RANK = {"in_transit": 0, "out_for_delivery": 1, "exception": 2, "returned": 3, "signed": 4}
TRACKING_ACTOR = "kuaidi100"


def _signed_payload(shipment: Shipment, before: str) -> dict:
    open_left = db.session.scalar(select(func.count()).select_from(Shipment).where(
        Shipment.order_id == shipment.order_id, Shipment.status != "signed", Shipment.return_of.is_(None)))
    if shipment.return_of:      # a parcel coming back says nothing about the order's deliveries
        open_left = -1
    return {"return_of": shipment.return_of, "shipment_id": shipment.id, "shipment_number": shipment.number,
            "order_id": shipment.order_id, "order_number": shipment.order_number, "notice_number": shipment.notice_number,
            "carrier_code": shipment.carrier_code, "waybill_no": shipment.waybill_no, "all_signed": open_left == 0,
            "from": before}


SHIPMENT_STATES = StateMachine("shipment", {
    "awaiting_pickup": {"in_transit", "out_for_delivery", "signed", "exception", "returned"},
    "in_transit": {"out_for_delivery", "signed", "exception", "returned"},
    "out_for_delivery": {"in_transit", "signed", "exception", "returned"},
    "exception": {"in_transit", "out_for_delivery", "signed", "returned"},
}, STATUS_LABELS, timeline=ShipmentEvent, actions=ACTION_LABELS, emits={"signed"}, payload=_signed_payload)
assert set(SHIPMENT_STATES.states) == set(SHIPMENT_STATUSES)


# --- waybills -------------------------------------------------------------------------------------

def check_waybill(carrier_code: str, waybill_no: str) -> str:
    """The waybill number as the carrier prints it (upper case, no spaces or dashes), or a
    DomainError naming the field that is wrong: "carrier" (unknown code) or "waybill_no"."""
    carrier = registry.get(carrier_code)
    if carrier is None:
        raise DomainError(_("Choose a carrier from the list."), field="carrier")
    number = registry.normalise_waybill(waybill_no)
    if not number:
        raise DomainError(_("Enter the waybill number."), field="waybill_no")
    if not carrier.matches(number):
        raise DomainError(_("“%(number)s” is not a %(carrier)s waybill number (for example %(example)s).",
                            number=number, carrier=carrier.name, example=carrier.example), field="waybill_no")
    return number


def issue_waybill(actor, carrier_code: str, *, reference: str, sender: dict, receiver: dict, items: list[dict],
                  weight_grams: int | None = None) -> str:
    """An electronic waybill number (电子面单) from the carrier through the tracking service, on the
    store's account with that carrier. `sender`/`receiver`: {name, phone, address, company};
    `items`: [{title, quantity}]. DomainError (field "carrier") when the store cannot issue one."""
    carrier = registry.get(carrier_code)
    if carrier is None:
        raise DomainError(_("Choose a carrier from the list."), field="carrier")
    adapter = accounts.tracking_adapter()
    if adapter is None:
        raise DomainError(_("Set up the Kuaidi100 account under Carrier accounts to print electronic waybills."),
                          field="carrier")
    account = accounts.carrier_account(carrier.code)
    if not account:
        raise DomainError(_("Set up the store's %(carrier)s account under Carrier accounts first.",
                            carrier=carrier.name), field="carrier")
    for person, message in ((sender, _("The sender needs a name, a phone number and an address.")),
                            (receiver, _("The receiver needs a name, a phone number and an address."))):
        if not (person.get("name") and (person.get("phone") or person.get("mobile")) and person.get("address")):
            raise DomainError(message)
    try:
        waybill = adapter.create_waybill(carrier.code, account, reference=reference, sender=sender, receiver=receiver,
                                         items=items, weight_grams=weight_grams)
    except TrackingError as err:
        raise DomainError(_("The carrier issued no waybill: %(error)s", error=str(err)), field="carrier") from err
    return check_waybill(carrier.code, waybill.number)


# --- shipments ------------------------------------------------------------------------------------

def shipment_for_notice(notice_id: int) -> Shipment | None:
    return db.session.scalar(select(Shipment).where(Shipment.notice_id == notice_id))


def create_shipment(actor, *, notice_id: int | None, notice_number: str = "", order_id: int, order_number: str,
                    carrier_code: str, waybill_no: str, warehouse_id: int | None = None, outbound_number: str = "",
                    weight_grams: int | None = None, lines: list | None = None) -> Shipment:
    """A parcel handed to a carrier. Once per delivery notice: the same notice again returns the
    shipment made the first time. Tracking is subscribed by a job on the logistics queue after commit."""
    if notice_id is not None:
        existing = shipment_for_notice(notice_id)
        if existing is not None:
            return existing
    code = (carrier_code or "").strip().lower()
    number = registry.normalise_waybill(waybill_no)
    if not code or not number:
        raise DomainError(_("A shipment needs its carrier and waybill number."), field="waybill_no")
    taken = db.session.scalar(select(Shipment.order_number).where(Shipment.carrier_code == code,
                                                                  Shipment.waybill_no == number))
    if taken is not None:
        raise DomainError(_("Waybill %(number)s is already used by order %(order)s.", number=number, order=taken),
                          field="waybill_no")
    shipment = Shipment(number="", notice_id=notice_id, notice_number=notice_number or "", order_id=order_id,
                        order_number=order_number, warehouse_id=warehouse_id, outbound_number=outbound_number or "",
                        carrier_code=code, waybill_no=number, weight_grams=weight_grams,
                        lines=[{"order_line_id": line.get("order_line_id"), "sku_id": line.get("sku_id"),
                                "quantity": line.get("quantity")} for line in (lines or [])],
                        status="awaiting_pickup", subscription="pending", last_activity_at=utcnow())
    db.session.add(shipment)
    db.session.flush()
    shipment.number = f"S{utcnow():%y%m%d}{shipment.id:06d}"
    SHIPMENT_STATES.start(shipment, actor, carrier=code, tracking=number, document=notice_number or None)
    store_id, shipment_id = current_store().id, shipment.id
    jobs.after_commit(lambda: _enqueue_subscription(store_id, shipment_id))
    return shipment


def track_return(actor, *, reference: str, order_id: int, order_number: str, carrier_code: str, waybill_no: str,
                 warehouse_id: int | None = None) -> Shipment:
    """A parcel a shopper sends back for after-sales request `reference`: tracked like any
    shipment (its signature emits `shipment.signed` with `return_of`), but not one of the
    order's deliveries. Once per request: the same request again returns the first shipment."""
    existing = db.session.scalar(select(Shipment).where(Shipment.return_of == reference))
    if existing is not None:
        return existing
    shipment = create_shipment(actor, notice_id=None, notice_number="", order_id=order_id, order_number=order_number,
                               carrier_code=carrier_code, waybill_no=waybill_no, warehouse_id=warehouse_id)
    shipment.return_of = reference
    return shipment


def _enqueue_subscription(store_id: int, shipment_id: int) -> None:
    from app.blueprints.logistics.jobs import subscribe_tracking

    jobs.enqueue(subscribe_tracking, shipment_id, store_id=store_id)


def push_url() -> str:
    """Where Kuaidi100 posts this store's pushes: an absolute URL it can reach (PUBLIC_URL, else
    the host of the current request, else localhost in development and tests)."""
    from flask import has_request_context, request

    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not base and has_request_context():
        base = request.host_url.rstrip("/")
    if not base:
        if not (current_app.config.get("DEVELOPMENT") or current_app.testing):
            raise TrackingError("PUBLIC_URL is not set, so the tracking service has nowhere to push to")
        base = "http://localhost"
    # built from the URL map directly: no request context of our own to push (and tear down)
    path = current_app.url_map.bind("localhost").build("logistics_push.kuaidi100_push", {"slug": current_store().slug})
    return base + path


def subscribe(shipment: Shipment) -> str:
    """Subscribe the shipment's waybill to pushes. Returns the subscription state; a refusal is
    recorded on the shipment (the periodic follow-up tries again), never raised."""
    if shipment.subscription == "subscribed":
        return shipment.subscription
    adapter = accounts.tracking_adapter()
    if adapter is None:
        shipment.subscription, shipment.subscription_error = "none", None
        return shipment.subscription
    try:
        adapter.subscribe(shipment.carrier_code, shipment.waybill_no, push_url(),
                          phone=_receiver_phone_tail(shipment))
    except TrackingError as err:
        first_failure = shipment.subscription != "failed"
        shipment.subscription, shipment.subscription_error = "failed", str(err)[:300]
        if first_failure:
            SHIPMENT_STATES.record(shipment, TRACKING_ACTOR, "subscription_failed", str(err)[:300])
        return shipment.subscription
    shipment.subscription, shipment.subscription_error = "subscribed", None
    SHIPMENT_STATES.record(shipment, TRACKING_ACTOR, "subscribed")
    return shipment.subscription


def _receiver_phone_tail(shipment: Shipment) -> str:
    return ""     # SF asks for the receiver's phone; the order's address is not ours to read here


def apply_tracking(shipment: Shipment, tracking: Tracking) -> int:
    """Store the traces not seen before (once per time and status, whatever the order or number
    of pushes) and move the shipment to what its newest trace says. Returns how many were new."""
    rows = [{"shipment_id": shipment.id, "at": t.at, "status": t.status, "carrier_status": t.carrier_status[:40],
             "description": t.description[:500], "location": t.location[:120], "raw": t.raw, "received_at": utcnow()}
            for t in tracking.traces]
    new = len(db.session.execute(insert(TrackingEvent).values(rows).on_conflict_do_nothing(
        constraint="uq_tracking_events_once").returning(TrackingEvent.id)).all()) if rows else 0
    if tracking.stopped and shipment.subscription != "stopped" and shipment.status in OPEN:
        shipment.subscription = "stopped"
        SHIPMENT_STATES.record(shipment, TRACKING_ACTOR, "tracking_stopped", tracking.message[:300])
    if not new:
        return 0
    shipment.last_activity_at = utcnow()
    newest = max(db.session.execute(
        select(TrackingEvent.at, TrackingEvent.status, TrackingEvent.description, TrackingEvent.location)
        .where(TrackingEvent.shipment_id == shipment.id,
               TrackingEvent.at == select(func.max(TrackingEvent.at)).where(
                   TrackingEvent.shipment_id == shipment.id).scalar_subquery())).all(),
        key=lambda row: RANK[row.status])
    shipment.last_event_at = newest.at
    if shipment.flag == "stale":
        _clear_flag(shipment, TRACKING_ACTOR, "")
    if newest.status != shipment.status and SHIPMENT_STATES.can(shipment, newest.status):
        SHIPMENT_STATES.move(shipment, newest.status, TRACKING_ACTOR, newest.description[:300],
                             location=newest.location or None, at=newest.at.isoformat())
        if newest.status == "signed":
            shipment.signed_at = newest.at
        elif newest.status in ("exception", "returned"):
            flag(shipment, newest.status, TRACKING_ACTOR, newest.description)
    return new


def handle_push(form: dict, body: str) -> tuple[str, bool]:
    """A push from the tracking service: verified with the store's salt, then applied once.
    Returns (outcome, answer_ok). A bad signature or shape changes nothing but its record."""
    adapter = accounts.tracking_adapter()
    if adapter is None:
        db.session.add(TrackingPush(source="push", body=body[:20000], outcome="no_account"))
        return "no_account", False
    try:
        tracking = adapter.parse_push(form)
    except BadPush as err:
        outcome = "bad_signature" if "signature" in str(err) else "bad_push"
        db.session.add(TrackingPush(source="push", body=body[:20000], outcome=outcome))
        return outcome, False
    # the waybill, on the carrier named (Kuaidi100 may have corrected a wrong company: comNew)
    shipment = db.session.scalar(select(Shipment).where(Shipment.waybill_no == tracking.waybill_no)
                                 .order_by((Shipment.carrier_code == tracking.carrier_code).desc(), Shipment.id)
                                 .limit(1).with_for_update())
    if shipment is None:
        db.session.add(TrackingPush(source="push", body=body[:20000], outcome="unknown_waybill"))
        return "unknown_waybill", True       # nothing of ours: Kuaidi100 need not push it again
    new = apply_tracking(shipment, tracking)
    db.session.add(TrackingPush(source="push", shipment_id=shipment.id, body=body[:20000],
                                outcome="applied" if new else "duplicate", new_events=new))
    return ("applied" if new else "duplicate"), True


def refresh_tracking(shipment: Shipment) -> int:
    """Ask the tracking service now (the fallback when pushes do not come). Returns new traces;
    DomainError with the service's answer when it has nothing."""
    adapter = accounts.tracking_adapter()
    if adapter is None:
        raise DomainError(_("Set up the Kuaidi100 account under Carrier accounts to follow tracking."))
    shipment.last_queried_at = utcnow()
    try:
        tracking = adapter.query(shipment.carrier_code, shipment.waybill_no)
    except TrackingError as err:
        db.session.add(TrackingPush(source="query", shipment_id=shipment.id, body=str(err)[:2000], outcome="no_result"))
        raise DomainError(_("The tracking service has nothing for this waybill yet: %(error)s", error=str(err))) from err
    new = apply_tracking(shipment, tracking)
    db.session.add(TrackingPush(source="query", shipment_id=shipment.id, body="", new_events=new,
                                outcome="applied" if new else "duplicate"))
    return new


# --- flags ----------------------------------------------------------------------------------------

def flag(shipment: Shipment, reason: str, actor=None, note: str = "") -> bool:
    """Send the shipment to staff (stale / returned / exception); once while it stays flagged."""
    if reason not in FLAGS:
        raise ValueError(reason)
    if shipment.flag == reason:
        return False
    shipment.flag, shipment.flagged_at = reason, utcnow()
    SHIPMENT_STATES.record(shipment, actor, "flagged", (note or "")[:300], flag=reason)
    emit("shipment.exception", {"shipment_id": shipment.id, "shipment_number": shipment.number,
                                "order_id": shipment.order_id, "order_number": shipment.order_number,
                                "flag": reason, "status": shipment.status})
    return True


def _clear_flag(shipment: Shipment, actor, note: str) -> None:
    before = shipment.flag
    shipment.flag, shipment.flagged_at = None, None
    SHIPMENT_STATES.record(shipment, actor, "flag_cleared", (note or "")[:300], flag=before)


def clear_flag(actor, shipment: Shipment, note: str = "") -> Shipment:
    """Staff dealt with the flag (called the carrier, re-sent the parcel)."""
    if shipment.flag is None:
        raise DomainError(_("This shipment is not flagged."))
    _clear_flag(shipment, actor, note)
    return shipment


def flag_stuck(now: datetime | None = None, limit: int = 500) -> int:
    """Flag open shipments whose tracking has not moved for the store's N hours. Returns how many."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=accounts.settings().stale_hours)
    stuck = db.session.scalars(select(Shipment).where(
        Shipment.status.in_(OPEN), Shipment.flag.is_(None),
        func.coalesce(Shipment.last_event_at, Shipment.created_at) < cutoff)
        .order_by(Shipment.id).limit(limit).with_for_update(skip_locked=True)).all()
    for shipment in stuck:
        flag(shipment, "stale", None, _("No tracking movement since %(when)s.",
                                        when=(shipment.last_event_at or shipment.created_at).isoformat(timespec="minutes")))
    return len(stuck)


def follow_up(now: datetime | None = None, limit: int = 100) -> dict:
    """Subscriptions that did not go through are tried again; open shipments that have heard
    nothing for TRACKING_QUERY_AFTER_HOURS are asked for directly (the query fallback)."""
    now = now or utcnow()
    done = {"subscribed": 0, "queried": 0}
    if accounts.tracking_adapter() is None:
        return done
    for shipment in db.session.scalars(select(Shipment).where(
            Shipment.status.in_(OPEN), Shipment.subscription.in_(("pending", "failed", "none")),
            Shipment.created_at < now - timedelta(minutes=2)).order_by(Shipment.id).limit(limit)):
        done["subscribed"] += subscribe(shipment) == "subscribed"
    quiet = now - timedelta(hours=current_app.config["TRACKING_QUERY_AFTER_HOURS"])
    for shipment in db.session.scalars(select(Shipment).where(
            Shipment.status.in_(OPEN), Shipment.last_activity_at < quiet,
            or_(Shipment.last_queried_at.is_(None), Shipment.last_queried_at < quiet))
            .order_by(Shipment.last_activity_at).limit(limit).with_for_update(skip_locked=True)):
        try:
            refresh_tracking(shipment)
        except DomainError:
            pass         # recorded as a query with no result; asked again after the same wait
        done["queried"] += 1
    return done
