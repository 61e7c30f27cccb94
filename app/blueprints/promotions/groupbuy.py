"""Group buying (拼团). An activity sells one SKU at a group price to groups of `group_size`
shoppers. A shopper opens a group by placing a `group_buy` order and paying it; the group is
open from that payment for the activity's time limit, and others join through its share link
(each join is an order too). A place is taken by a conditional UPDATE (`taken < size`), so a
group is never over-joined; an unpaid order that is cancelled frees its place.

When the last place is paid the group has succeeded: `group_buy.succeeded` names its orders
and dispatch releases their delivery notices, which it holds while the group is still filling
(`waiting`). A group whose time runs out fails (the periodic job `fail_expired`): every paid
order is refunded in full through the payment center (the order closes and its stock goes
back when the refund succeeds), every unpaid one is cancelled. A payment that arrives for a
group that has failed meanwhile is refunded at once."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.blueprints.promotions.models import GroupBuy, GroupMember, GroupTeam
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError, IllegalTransition
from app.core.outbox import emit
from app.core.statemachine import StateMachine
from app.extensions import db

STATUS_LABELS = {"draft": _l("Draft"), "active": _l("Live"), "ended": _l("Ended")}
ACTIVITY_STATES = StateMachine("group_buy", {"draft": {"active", "ended"}, "active": {"ended"}}, STATUS_LABELS)
GROUP_LABELS = {"pending": _l("Waiting for the leader's payment"), "open": _l("Open"),
                "succeeded": _l("Succeeded"), "failed": _l("Failed (refunded)"), "cancelled": _l("Cancelled")}
MEMBER_LABELS = {"pending": _l("Not paid yet"), "paid": _l("Paid"), "refund_due": _l("To refund by hand"),
                 "refunded": _l("Refunded"), "cancelled": _l("Cancelled")}
# why a place is due a refund by hand, then what staff did: a code and its values are stored
# (`refund_code`, `refund_params`), the words are the reader's (`refund_note_text`)
REFUND_NOTES = {
    "paid_offline": _l("This order was not paid through a payment gateway: refund it by hand."),
    "refund_refused": _l("The payment center could not refund it: %(why)s"),
    "gateway_failed": _l("The gateway's refund failed: %(why)s"),
    "refunded_by_hand": _l("Refunded by hand: %(reference)s"),
}
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
FIELDS = ("name", "sku_id", "group_price", "group_size", "time_limit_minutes", "starts_at", "ends_at")


class GroupClosed(DomainError):
    """The group cannot be joined (full, over, or not open yet)."""


# --- activities (staff) --------------------------------------------------------------------------

def save_activity(actor, activity: GroupBuy | None, values: dict) -> GroupBuy:
    """Create or change a draft activity; each value is checked and a DomainError names the field."""
    from app.blueprints.catalog import queries as catalog

    name = (values.get("name") or "").strip()
    if not name:
        raise DomainError(_("This field is required."), field="name")
    sku_id = values.get("sku_id")
    if not isinstance(sku_id, int) or not catalog.sellable_skus([sku_id]):
        raise DomainError(_("Choose a SKU that is on sale."), field="sku_code")
    price, size, minutes = values.get("group_price"), values.get("group_size"), values.get("time_limit_minutes")
    if not isinstance(price, int) or price < 0:
        raise DomainError(_("Cannot be negative."), field="group_price")
    if not isinstance(size, int) or not 2 <= size <= 50:
        raise DomainError(_("From 2 to 50 shoppers."), field="group_size")
    if not isinstance(minutes, int) or not 5 <= minutes <= 10080:
        raise DomainError(_("From 5 minutes to 7 days (10080 minutes)."), field="time_limit_minutes")
    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    if not starts_at or not ends_at or ends_at <= starts_at:
        raise DomainError(_("The end comes after the start."), field="ends_at")
    new = activity is None
    if new:
        activity = GroupBuy(status="draft", groups_succeeded=0, groups_failed=0, orders=0, gmv=0)
        db.session.add(activity)
    elif activity.status != "draft":
        raise IllegalTransition(_("A live or ended group buy cannot change."))
    activity.name, activity.sku_id, activity.group_price = name[:120], sku_id, price
    activity.group_size, activity.time_limit_minutes = size, minutes
    activity.starts_at, activity.ends_at = starts_at, ends_at
    changes = audit.changes_of(activity) if not new else {k: [None, str(values.get(k))] for k in FIELDS}
    db.session.flush()
    audit.record(actor, "group_buy.saved", activity, label=activity.name, changes=changes)
    return activity


def set_status(actor, activity: GroupBuy, status: str) -> GroupBuy:
    """Publish (draft → live) or end an activity. An ended activity opens no new group; groups
    already open run to their end."""
    ACTIVITY_STATES.check(activity.status, status)
    before = activity.status
    activity.status = status
    db.session.flush()
    audit.record(actor, "group_buy.status", activity, label=activity.name, changes={"status": [before, status]})
    return activity


def activity(activity_id: int) -> GroupBuy | None:
    return db.session.get(GroupBuy, activity_id) if 0 < activity_id < 2 ** 31 else None


def _live(activity_row: GroupBuy | None, now: datetime) -> bool:
    return activity_row is not None and activity_row.status == "active" and \
        activity_row.starts_at <= now < activity_row.ends_at


# --- opening and joining (shoppers) -------------------------------------------------------------

def _code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def _place(activity_row: GroupBuy, team: GroupTeam, member_id: int, address: dict, shopper: dict, leader: bool,
           now: datetime, points: int = 0, idempotency_key: str | None = None, request_hash: str | None = None):
    """The shopper's order in `team` and their place in it: (team, order). With an idempotency key
    that a concurrent retry used first, the order center answers with that order: then its group
    is the answer and `team`, just started for nothing, is dropped."""
    from app.blueprints.orders import services as orders

    minutes = None
    if team.expires_at is not None:    # a joiner pays before the group's time runs out
        left = int((team.expires_at - now).total_seconds() // 60)
        minutes = max(1, min(left, orders.settings_for("group_buy").payment_timeout_minutes))
    order = orders.place_order([orders.LineRequest(activity_row.sku_id, 1)], address, shopper=shopper,
                               shopper_id=member_id, order_type="group_buy", source="storefront",
                               flash_prices={activity_row.sku_id: activity_row.group_price},
                               payment_minutes=minutes, points=points, idempotency_key=idempotency_key,
                               request_hash=request_hash)
    if idempotency_key is not None and (first := team_of_order(order.id)) is not None:
        db.session.delete(team)
        db.session.flush()
        return first, order
    try:
        with db.session.begin_nested():
            db.session.add(GroupMember(team_id=team.id, member_id=member_id, order_id=order.id, leader=leader,
                                       status="pending"))
    except IntegrityError:     # the same shopper joining twice at once: the second is refused whole
        raise GroupClosed(_("You are in this group already.")) from None
    return team, order


def open_group(activity_id: int, member_id: int, address: dict, shopper: dict, now: datetime | None = None,
               points: int = 0, idempotency_key: str | None = None, request_hash: str | None = None):
    """The shopper starts a group: the group (waiting for this payment) and its first order.
    Returns (team, order); the group opens when the order is paid. With an idempotency key
    (the order center's, `orders.order_for_key`; `request_hash` names the request) a retry
    returns the first group and order, also when retries arrive at once; the same key with
    another request raises IdempotencyConflict."""
    now = now or utcnow()
    activity_row = activity(activity_id)
    if not _live(activity_row, now):
        raise GroupClosed(_("This group buy is not on now."))
    team = GroupTeam(activity_id=activity_row.id, code=_code(), leader_id=member_id, status="pending",
                     size=activity_row.group_size, taken=1, paid=0)
    db.session.add(team)
    db.session.flush()
    return _place(activity_row, team, member_id, address, shopper, True, now, points, idempotency_key, request_hash)


def join_group(code: str, member_id: int, address: dict, shopper: dict, now: datetime | None = None,
               points: int = 0):
    """The shopper joins an open group through its share link: a place is taken (never more
    than the group's size, whatever the concurrency) and their order placed. Returns (team, order)."""
    now = now or utcnow()
    team = team_by_code(code)
    if team is None:
        raise GroupClosed(_("There is no such group."))
    if db.session.scalar(select(GroupMember.id).where(GroupMember.team_id == team.id,
                                                      GroupMember.member_id == member_id,
                                                      GroupMember.status.in_(("pending", "paid")))):
        raise GroupClosed(_("You are in this group already."))
    taken = db.session.scalar(update(GroupTeam).where(
        GroupTeam.id == team.id, GroupTeam.status == "open", GroupTeam.taken < GroupTeam.size,
        GroupTeam.expires_at > now).values(taken=GroupTeam.taken + 1).returning(GroupTeam.taken)
        .execution_options(synchronize_session=False))
    if taken is None:
        db.session.refresh(team)
        raise GroupClosed(_("This group is full.") if team.status == "open" and team.taken >= team.size
                          else _("This group is no longer open."))
    db.session.refresh(team)
    return _place(activity(team.activity_id), team, member_id, address, shopper, False, now, points)


# --- what the order center's events do ---------------------------------------------------------

def _member_of(order_id: int) -> GroupMember | None:
    return db.session.scalar(select(GroupMember).where(GroupMember.order_id == order_id).with_for_update())


def _team(team_id: int) -> GroupTeam:
    return db.session.get(GroupTeam, team_id, with_for_update=True, populate_existing=True)


def order_paid(order_id: int, now: datetime | None = None) -> str | None:
    """A group order was paid: the leader's payment opens the group (its time starts now), the
    last place paid completes it. A payment for a group that failed or was cancelled is refunded
    at once. Once per order (the member's status says it was counted)."""
    now = now or utcnow()
    place = _member_of(order_id)
    if place is None or place.status != "pending":
        return None
    team = _team(place.team_id)
    if team.status in ("failed", "cancelled") or team.status == "succeeded":
        place.status = "paid"
        _refund(team, place, _("the group had closed before this payment"))
        return "refunded"
    place.status = "paid"
    team.paid += 1
    if team.status == "pending" and place.leader:
        activity_row = db.session.get(GroupBuy, team.activity_id)
        team.status, team.opened_at = "open", now
        team.expires_at = now + timedelta(minutes=activity_row.time_limit_minutes)
    if team.paid >= team.size and team.status == "open":
        _succeed(team, now)
    db.session.flush()
    return team.status


def _succeed(team: GroupTeam, now: datetime) -> None:
    from app.blueprints.orders import queries as orders

    team.status, team.finished_at = "succeeded", now
    order_ids = db.session.scalars(select(GroupMember.order_id).where(GroupMember.team_id == team.id,
                                                                      GroupMember.status == "paid")
                                   .order_by(GroupMember.id)).all()
    gmv = sum(ref.payable for ref in map(orders.order_ref, order_ids) if ref is not None)
    db.session.execute(update(GroupBuy).where(GroupBuy.id == team.activity_id).values(
        groups_succeeded=GroupBuy.groups_succeeded + 1, orders=GroupBuy.orders + len(order_ids),
        gmv=GroupBuy.gmv + gmv))
    emit("group_buy.succeeded", {"team_id": team.id, "code": team.code, "activity_id": team.activity_id,
                                 "order_ids": list(order_ids)})


def order_cancelled(order_id: int) -> None:
    """An unpaid group order was cancelled: its place is free again; the leader's cancels the group."""
    place = _member_of(order_id)
    if place is None or place.status != "pending":
        return
    team = _team(place.team_id)
    place.status = "cancelled"
    team.taken = max(0, team.taken - 1)
    if place.leader and team.status == "pending":
        team.status, team.finished_at = "cancelled", utcnow()
    db.session.flush()


def _refund_request(team_id: int, order_id: int) -> str:
    return f"group-{team_id}-{order_id}"


def _refund(team: GroupTeam, place: GroupMember, reason: str) -> None:
    """Pay the place's order back through the payment center (once per order): what is still
    refundable of its payment (after-sales may have refunded part of it already; nothing left,
    nothing to do). An order the payment center cannot refund (paid offline) is flagged for staff
    to refund by hand, for what it paid."""
    from app.blueprints.orders import queries as orders
    from app.blueprints.payments import refunds

    left = refunds.order_refundable(place.order_id)
    if left is None:                 # paid offline: a person pays it back
        ref = orders.order_ref(place.order_id)
        _refund_by_hand(place, "paid_offline", {}, ref.payable if ref is not None else 0)
        return
    if left > 0:
        try:
            refunds.refund_order(None, place.order_id, _refund_request(team.id, place.order_id), amount=left,
                                 reason=reason)
        except DomainError as err:   # the payment cannot be refunded through its gateway
            _refund_by_hand(place, "refund_refused", {"why": err.message[:200]}, left)
            return
    place.status, place.refund_amount = "refunded", 0


def _refund_by_hand(place: GroupMember, code: str, params: dict, amount: int) -> None:
    """The group failed and nothing refunds this order by itself: it is closed (it will never
    ship; its stock goes back) and listed for staff to refund `amount` by hand (`refunds_due`),
    with why (a REFUND_NOTES code and its values, put in words when shown)."""
    from app.blueprints.orders import services as orders

    place.status, place.refund_amount = "refund_due", max(0, amount)
    place.refund_code, place.refund_params = code, params
    order = orders.order_for_update(place.order_id)
    if order is not None and order.status in ("paid", "allocated"):
        orders.close_order(None, order, _("the group buy failed; the payment is to be refunded by hand"))
    db.session.flush()
    emit("group_buy.refund_due", {"order_id": place.order_id, "team_id": place.team_id, "place_id": place.id,
                                  "amount": place.refund_amount})


def _place_of_request(request_id: str) -> GroupMember | None:
    parts = (request_id or "").split("-")
    if len(parts) != 3 or parts[0] != "group" or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    place = _member_of(int(parts[2]))
    return place if place is not None and place.team_id == int(parts[1]) else None


def refund_failed(request_id: str, why: str = "") -> bool:
    """The payment center's refund of a failed group's order failed (the gateway refused it, or
    cannot refund it automatically): the order is flagged for a refund by hand. Once.

    The refund's state now decides, not the event: the gateway's notices may be handled out of
    order, and a "failed" that a later "succeeded" overtook asks staff for nothing."""
    from app.blueprints.payments import refunds

    place = _place_of_request(request_id)
    if place is None or place.status != "refunded" or place.refund_code == "refunded_by_hand":
        return False         # refunded by hand: the shopper has their money; nothing more is due
    if refunds.refund_state(request_id) != "failed":
        return False

    _refund_by_hand(place, "gateway_failed", {"why": (why or "-")[:200]}, refunds.order_refundable(place.order_id) or 0)
    return True


def refund_succeeded(request_id: str) -> bool:
    """A group refund that had failed went through after all (the gateway said so later): nothing
    is due by hand any more. If staff had refunded the place by hand meanwhile, the shopper has
    been paid back twice: the refund's payment is flagged for staff (the payments list's "Needs
    attention"), as a payment the order did not need is. As for a failure, the refund's state
    now decides: a stale "succeeded" handled after a later "failed" changes nothing."""
    from app.blueprints.payments import refunds

    place = _place_of_request(request_id)
    if place is None or refunds.refund_state(request_id) != "succeeded":
        return False
    if place.status == "refunded" and place.refund_code == "refunded_by_hand":
        reference = (place.refund_params or {}).get("reference", "")
        return refunds.flag_refund(request_id, _(
            "Refund %(ref)s went through after the order had been refunded by hand (%(reference)s): the shopper "
            "was paid back twice; recover one of the two.", ref=request_id, reference=reference))
    if place.status != "refund_due":
        return False
    place.status, place.refund_amount = "refunded", 0
    db.session.flush()
    return True


def refund_note_text(place: GroupMember) -> str:
    """Why the place is due a refund by hand, or how it was refunded, in the reader's language
    (a row written before codes were kept shows the sentence it was stored with)."""
    label = REFUND_NOTES.get(place.refund_code or "")
    if label is None:
        return place.refund_note or ""
    return str(label) % _Values(place.refund_params or {})


class _Values(dict):
    def __missing__(self, key):
        return "-"


def refunds_due() -> list[dict]:
    """Orders of failed groups that staff must refund by hand, oldest first: the place, its
    group and activity, the order (number, payable) and why it is due."""
    from app.blueprints.orders import queries as orders

    rows = db.session.execute(select(GroupMember, GroupTeam, GroupBuy)
                              .join(GroupTeam, GroupTeam.id == GroupMember.team_id)
                              .join(GroupBuy, GroupBuy.id == GroupTeam.activity_id)
                              .where(GroupMember.status == "refund_due").order_by(GroupMember.id).limit(500)).all()
    refs = orders.order_refs(m.order_id for m, _t, _a in rows)
    return [{"place": m, "team": t, "activity": a, "order": refs.get(m.order_id), "note": refund_note_text(m)}
            for m, t, a in rows]


def count_refunds_due() -> int:
    return db.session.scalar(select(func.count()).select_from(GroupMember).where(GroupMember.status == "refund_due"))


def record_manual_refund(actor, place_id: int, reference: str) -> GroupMember:
    """Staff paid a failed group's order back by hand (bank transfer, cash): the place is
    refunded, the order's timeline and the audit log say how, and `group_buy.refunded_by_hand`
    (what was paid back, the reference) lets finance post the money out of the bank. Refused
    unless it was due."""
    from app.blueprints.orders import services as orders

    reference = (reference or "").strip()
    if not reference:
        raise DomainError(_("Give the refund's reference (bank transfer, receipt number)."), field="reference")
    place = db.session.get(GroupMember, place_id, with_for_update=True) if 0 < place_id < 2 ** 62 else None
    if place is None or place.status != "refund_due":
        raise IllegalTransition(_("This order is not waiting for a refund by hand."))
    amount = place.refund_amount
    place.status, place.refund_amount = "refunded", 0
    place.refund_code, place.refund_params = "refunded_by_hand", {"reference": reference[:200], "amount": amount}
    order = orders.order_for_update(place.order_id)
    if order is not None:
        orders.add_note(actor, order, _("Refunded by hand (the group buy failed): %(ref)s", ref=reference[:200]))
    db.session.flush()
    audit.record(actor, "group_buy.refunded_by_hand", place, label=order.number if order else str(place.order_id),
                 changes={"status": ["refund_due", "refunded"], "reference": [None, reference[:200]]})
    emit("group_buy.refunded_by_hand", {
        "place_id": place.id, "order_id": place.order_id, "team_id": place.team_id, "amount": amount,
        "currency": order.currency if order is not None else None, "order_number": order.number if order else "",
        "reference": reference[:64]})
    return place


def fail_expired(now: datetime | None = None, limit: int = 200) -> int:
    """Groups whose time ran out before they filled fail: every paid order is refunded in full,
    every unpaid one cancelled. Returns how many groups failed."""
    from app.blueprints.orders import services as orders

    now = now or utcnow()
    teams = db.session.scalars(select(GroupTeam).where(GroupTeam.status == "open", GroupTeam.expires_at <= now)
                               .order_by(GroupTeam.id).limit(limit).with_for_update(skip_locked=True)).all()
    reason = _("the group did not fill in time")
    for team in teams:
        team.status, team.finished_at = "failed", now
        db.session.execute(update(GroupBuy).where(GroupBuy.id == team.activity_id)
                           .values(groups_failed=GroupBuy.groups_failed + 1))
        places = db.session.scalars(select(GroupMember).where(GroupMember.team_id == team.id,
                                                              GroupMember.status.in_(("pending", "paid")))
                                    .order_by(GroupMember.id).with_for_update()).all()
        for place in places:
            if place.status == "paid":
                _refund(team, place, reason)
            else:
                order = orders.order_for_update(place.order_id)
                if order is not None and order.status == "pending_payment":
                    orders.cancel_order(None, order, reason)
                place.status = "cancelled"
                team.taken = max(0, team.taken - 1)
    db.session.flush()
    return len(teams)


# --- reads --------------------------------------------------------------------------------------

def waiting(order_id: int, lock: bool = False) -> bool:
    """Whether this group order must not ship yet: its group has not succeeded. With `lock` the
    group row is share-locked, so a group completing at this moment waits for the caller's
    commit (and its `group_buy.succeeded` then finds what the caller wrote)."""
    team_id = db.session.scalar(select(GroupMember.team_id).where(GroupMember.order_id == order_id))
    if team_id is None:
        return False
    stmt = select(GroupTeam.status).where(GroupTeam.id == team_id)
    status = db.session.scalar(stmt.with_for_update(read=True) if lock else stmt)
    return status != "succeeded"


def team_by_code(code: str) -> GroupTeam | None:
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    return db.session.scalar(select(GroupTeam).where(GroupTeam.code == code))


def places(team_id: int) -> list[GroupMember]:
    return db.session.scalars(select(GroupMember).where(GroupMember.team_id == team_id)
                              .order_by(GroupMember.id)).all()


def team_of_order(order_id: int) -> GroupTeam | None:
    team_id = db.session.scalar(select(GroupMember.team_id).where(GroupMember.order_id == order_id))
    return db.session.get(GroupTeam, team_id) if team_id else None


def member_groups(member_id: int, limit: int = 50) -> list[tuple[GroupMember, GroupTeam]]:
    """The shopper's places in groups with their group, newest first (one query)."""
    return db.session.execute(select(GroupMember, GroupTeam).join(GroupTeam, GroupTeam.id == GroupMember.team_id)
                              .where(GroupMember.member_id == member_id).order_by(GroupMember.id.desc())
                              .limit(limit)).all()


def open_teams(activity_id: int, now: datetime | None = None, limit: int = 10) -> list[GroupTeam]:
    """Groups of the activity a shopper can join now, the nearest to full first."""
    now = now or utcnow()
    return db.session.scalars(select(GroupTeam).where(
        GroupTeam.activity_id == activity_id, GroupTeam.status == "open", GroupTeam.expires_at > now,
        GroupTeam.taken < GroupTeam.size).order_by((GroupTeam.size - GroupTeam.taken), GroupTeam.expires_at)
        .limit(limit)).all()


def shop_activities(now: datetime | None = None) -> list[dict]:
    """The live activities the shop shows, with their SKU and the groups open to join."""
    from app.blueprints.catalog import queries as catalog

    now = now or utcnow()
    rows = db.session.scalars(select(GroupBuy).where(GroupBuy.status == "active", GroupBuy.starts_at <= now,
                                                     GroupBuy.ends_at > now).order_by(GroupBuy.id).limit(50)).all()
    skus = catalog.sku_snapshots([a.sku_id for a in rows])
    counts = dict(db.session.execute(select(GroupTeam.activity_id, func.count()).where(
        GroupTeam.activity_id.in_([a.id for a in rows]), GroupTeam.status == "open",
        GroupTeam.expires_at > now).group_by(GroupTeam.activity_id)).all()) if rows else {}
    return [{"activity": a, "sku": skus[a.sku_id], "open_groups": counts.get(a.id, 0)} for a in rows
            if a.sku_id in skus]
