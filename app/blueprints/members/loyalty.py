"""Member admin, levels by growth value, and the points ledger (积分).

Every change of a points balance is one conditional ``UPDATE members SET points = points + d
WHERE id = ? AND points + d >= 0 RETURNING points`` plus one ledger row, inside the caller's
transaction (the shape of ``inventory.services.move``): the balance cannot go negative, however
many requests spend at once. Entries that belong to an order or a refund carry a reference
that is unique per kind, so a retried handler or a double click changes nothing twice.
`members.services` re-exports the operations other centers call.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app.blueprints.members.models import GrowthEntry, Level, LoyaltySettings, Member, MemberEvent, PointsEntry
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.outbox import emit
from app.core.statemachine import StateMachine
from app.core.timeline import actor_name
from app.extensions import db

STATUS_LABELS = {"active": _l("Active"), "disabled": _l("Disabled")}
ACTION_LABELS = {
    "created": _l("Signed up"), "note": _l("Staff note"),
    "level_up": _l("Level raised to %(level)s"), "level_down": _l("Level lowered to %(level)s"),
    "level_set": _l("Level set to %(level)s by staff"), "level_kept": _l("Level %(level)s kept at review"),
    "blacklisted": _l("Blacklisted"), "unblacklisted": _l("Taken off the blacklist"),
    "tagged": _l("Tag %(tag)s added"), "untagged": _l("Tag %(tag)s removed"),
    "points_adjusted": _l("Points adjusted by %(points)s"), "card_bound": _l("Card %(card)s bound"),
    "birthday": _l("Birthday benefit sent"),
}
MEMBER_STATES = StateMachine("member", {"active": {"disabled"}, "disabled": {"active"}}, STATUS_LABELS,
                             timeline=MemberEvent, actions=ACTION_LABELS, internal={"note"})
POINTS_KINDS = {"earn": _l("Earned"), "spend": _l("Spent at checkout"), "adjust": _l("Adjusted by staff"),
                "expire": _l("Expired"), "reverse": _l("Taken back (refund)"), "return": _l("Returned (refund)")}
MAX_POINTS = 10 ** 9
MAX_TAGS = 20


class NotEnoughPoints(DomainError):
    """The balance does not cover the points asked for; nothing changed."""


def months_before(moment: datetime, months: int) -> datetime:
    """The same time `months` calendar months earlier (the 31st becomes the month's last day)."""
    import calendar

    year, month = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + year, month + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


# --- settings ---------------------------------------------------------------------------------

SETTING_LIMITS = {"growth_per_yuan": (0, 1000), "growth_per_order": (0, 100000), "level_months": (0, 120),
                  "points_per_yuan": (0, 1000), "points_value": (1, 100000), "points_max_share": (0, 100),
                  "points_expiry_months": (0, 120)}
FLAG_SETTINGS = ("growth_from_cards",)
SETTING_LABELS = {"growth_from_cards": _l("Money paid from stored-value and gift cards earns growth and points"),
                  "growth_per_yuan": _l("Growth per ¥1 of completed orders"),
                  "growth_per_order": _l("Growth per completed order"),
                  "level_months": _l("Level review period (months, 0 = never lowered)"),
                  "points_per_yuan": _l("Points earned per ¥1 paid"),
                  "points_value": _l("What 100 points are worth (fen)"),
                  "points_max_share": _l("Points pay at most this share of the payable (percent)"),
                  "points_expiry_months": _l("Points expire after (months, 0 = never)")}


def settings() -> LoyaltySettings:
    """The store's growth and points rules (defaults until staff save them)."""
    row = db.session.get(LoyaltySettings, 1)
    if row is None:
        row = LoyaltySettings(id=1, **{k: LoyaltySettings.__table__.c[k].default.arg
                                       for k in (*SETTING_LIMITS, *FLAG_SETTINGS)})
    return row


def save_settings(actor, values: dict) -> LoyaltySettings:
    """Change the growth, level and points rules; each value is a whole number in its range."""
    row = settings()
    for key, (low, high) in SETTING_LIMITS.items():
        value = values.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise DomainError(_("Enter a whole number from %(low)d to %(high)d.", low=low, high=high), field=key)
        setattr(row, key, value)
    for key in FLAG_SETTINGS:
        if key in values:
            setattr(row, key, bool(values[key]))
    db.session.add(row)
    changes = audit.changes_of(row)
    db.session.flush()
    if changes:
        audit.record(actor, "members.settings_saved", row, changes=changes)
    return row


# --- points -----------------------------------------------------------------------------------

def _change(member_id: int, delta: int, kind: str, *, order_id: int | None = None, reference: str = "",
            reason: str = "", actor=None) -> PointsEntry | None:
    """One conditional UPDATE and one ledger row. A debit the balance does not cover raises
    NotEnoughPoints; an entry whose (kind, reference) exists already returns that entry and
    changes nothing (in a savepoint, so the caller's work stays)."""
    if reference:
        existing = db.session.scalar(select(PointsEntry).where(PointsEntry.kind == kind,
                                                               PointsEntry.reference == reference))
        if existing is not None:
            return existing
    try:
        with db.session.begin_nested():
            balance = db.session.scalar(update(Member).where(Member.id == member_id, Member.points + delta >= 0)
                                        .values(points=Member.points + delta).returning(Member.points)
                                        .execution_options(synchronize_session=False))
            if balance is None:
                have = db.session.scalar(select(Member.points).where(Member.id == member_id))
                if have is None:
                    raise DomainError(_("No such member."))
                raise NotEnoughPoints(_("Only %(n)d points are available.", n=have), field="points")
            entry = PointsEntry(member_id=member_id, kind=kind, delta=delta, balance_after=balance, order_id=order_id,
                                reference=reference, reason=(reason or "")[:300], actor_name=actor_name(actor))
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:   # the same reference committed meanwhile: that one stands
        existing = db.session.scalar(select(PointsEntry).where(PointsEntry.kind == kind,
                                                               PointsEntry.reference == reference))
        if existing is None:
            raise
        return existing
    for obj in list(db.session.identity_map.values()):   # a loaded member shows the new balance
        if isinstance(obj, Member) and obj.id == member_id:
            set_committed_value(obj, "points", balance)
    return entry


def points_value(points: int) -> int:
    """What `points` are worth at checkout, in minor units (rounded down)."""
    return points * settings().points_value // 100


def earn_points(member_id: int, points: int, order_id: int | None = None, reason: str = "") -> PointsEntry | None:
    """Credit points an order earned (once per order)."""
    if points <= 0:
        return None
    return _change(member_id, min(points, MAX_POINTS), "earn", order_id=order_id,
                   reference=f"order:{order_id}" if order_id else "", reason=reason)


def spend_points(member_id: int, points: int, order_id: int, payable: int | None = None) -> PointsEntry:
    """Spend points as a deduction on an order (once per order; the same order again returns
    the first spend). With `payable` (minor units before the deduction) the store's cap is
    checked: the points may pay at most its share of the payable. Raises NotEnoughPoints."""
    if not isinstance(points, int) or points <= 0:
        raise DomainError(_("Enter a number of points above zero."), field="points")
    if payable is not None:
        allowed = max_points_for(member_id, payable, balance_only=False)
        if points > allowed:
            raise DomainError(_("At most %(n)d points can pay for this order.", n=allowed), field="points")
    return _change(member_id, -points, "spend", order_id=order_id, reference=f"order:{order_id}")


def max_points_for(member_id: int, payable: int, balance_only: bool = True) -> int:
    """The most points that may pay for a payable (minor units): the store's share cap, in whole
    points, and (by default) no more than the member's balance."""
    rule = settings()
    cap_value = payable * rule.points_max_share // 100
    cap = cap_value * 100 // rule.points_value
    if not balance_only:
        return cap
    balance = db.session.scalar(select(Member.points).where(Member.id == member_id)) or 0
    return max(0, min(cap, balance))


def refund_points(member_id: int, order_id: int, *, refund_id: int, amount: int, payable: int,
                  full: bool = False) -> tuple[int, int]:
    """A refund of `amount` out of the order's `payable`: take back that share of the points the
    order earned and give back that share of the points it spent (all that is left when `full`).
    Once per refund. Points already spent elsewhere are taken back only as far as the balance
    goes (the balance never goes negative). Returns (taken back, given back)."""
    def total(kind: str) -> int:
        return abs(int(db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
            PointsEntry.order_id == order_id, PointsEntry.kind == kind))))

    def share(kind: str, back: str) -> int:
        base, done = total(kind), total(back)
        left = base - done
        if full or payable <= 0:
            return max(0, left)
        return max(0, min(left, base * amount // payable))

    reference = f"refund:{refund_id}"
    if db.session.scalar(select(PointsEntry.id).where(PointsEntry.reference == reference).limit(1)):
        return 0, 0
    # the member row is locked first so the share and the balance read below stay true
    db.session.execute(select(Member.id).where(Member.id == member_id).with_for_update())
    returned = share("spend", "return")
    if returned:
        _change(member_id, returned, "return", order_id=order_id, reference=reference)
    taken = share("earn", "reverse")
    balance = db.session.scalar(select(Member.points).where(Member.id == member_id)) or 0
    taken = min(taken, balance)
    if taken:
        _change(member_id, -taken, "reverse", order_id=order_id, reference=reference)
    return taken, returned


def adjust_points(actor, member: Member, delta: int, reason: str) -> PointsEntry:
    """Staff add or take points, with a reason (on the ledger and the member's timeline)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason for the adjustment."), field="reason")
    if not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_POINTS:
        raise DomainError(_("Enter a number of points other than zero."), field="points")
    entry = _change(member.id, delta, "adjust", reason=reason, actor=actor)
    MEMBER_STATES.record(member, actor, "points_adjusted", reason, points=f"{delta:+d}")
    audit.record(actor, "member.points_adjusted", member, label=member.email, changes={"points": [None, delta]})
    return entry


def expire_points(now: datetime | None = None, limit: int = 500) -> int:
    """Points older than the store's expiry period lapse, oldest first: what was credited
    before the cutoff and has not been used since (debits consume the oldest points first).
    Returns how many members lost points."""
    months = settings().points_expiry_months
    if not months:
        return 0
    now = now or utcnow()
    cutoff = months_before(now, months)
    credits = (select(PointsEntry.member_id, func.sum(PointsEntry.delta).label("old"))
               .where(PointsEntry.delta > 0, PointsEntry.at < cutoff).group_by(PointsEntry.member_id).subquery())
    debits = (select(PointsEntry.member_id, func.sum(-PointsEntry.delta).label("used"))
              .where(PointsEntry.delta < 0).group_by(PointsEntry.member_id).subquery())
    due = db.session.execute(
        select(credits.c.member_id).outerjoin(debits, debits.c.member_id == credits.c.member_id)
        .where(credits.c.old > func.coalesce(debits.c.used, 0)).order_by(credits.c.member_id).limit(limit)).scalars().all()
    count = 0
    for member_id in due:
        db.session.execute(select(Member.id).where(Member.id == member_id).with_for_update())   # fixes the sums
        old = db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
            PointsEntry.member_id == member_id, PointsEntry.delta > 0, PointsEntry.at < cutoff))
        used = db.session.scalar(select(func.coalesce(func.sum(-PointsEntry.delta), 0)).where(
            PointsEntry.member_id == member_id, PointsEntry.delta < 0))
        balance = db.session.scalar(select(Member.points).where(Member.id == member_id))
        lapse = min(int(old) - int(used), balance)
        if lapse > 0:
            _change(member_id, -lapse, "expire", reason=_("credited before %(day)s", day=cutoff.date().isoformat()))
            count += 1
    return count


# --- growth and levels ------------------------------------------------------------------------

def levels() -> list[Level]:
    return db.session.scalars(select(Level).order_by(Level.threshold)).all()


def level_for(growth: int) -> Level | None:
    """The highest level whose threshold this growth value reaches."""
    return db.session.scalar(select(Level).where(Level.threshold <= growth).order_by(Level.threshold.desc()).limit(1))


def recent_growth(member_id: int, now: datetime | None = None) -> int:
    """Growth earned within the review period (all of it when levels are never lowered)."""
    months = settings().level_months
    stmt = select(func.coalesce(func.sum(GrowthEntry.amount), 0)).where(GrowthEntry.member_id == member_id)
    if months:
        stmt = stmt.where(GrowthEntry.at >= months_before(now or utcnow(), months))
    return int(db.session.scalar(stmt))


def _set_level(member: Member, level: Level | None, action: str, actor=None, reason: str = "") -> None:
    before = db.session.get(Level, member.level_id) if member.level_id else None
    member.level_id = level.id if level else None
    member.level_since = utcnow()
    MEMBER_STATES.record(member, actor, action, reason, level=level.name if level else _("no level"),
                         before=before.name if before else None)
    emit("member.level_changed", {"member_id": member.id, "level": level.code if level else None,
                                  "before": before.code if before else None})


def _rank(level: Level | None) -> int:
    return level.threshold if level is not None else -1


def add_growth(member: Member, amount: int, order_id: int | None = None) -> Level | None:
    """Growth from a completed order; the member rises to every level the recent growth reaches
    (never lower here: lowering happens at the periodic review). Returns the new level if raised."""
    if amount <= 0:
        return None
    db.session.add(GrowthEntry(member_id=member.id, amount=amount, order_id=order_id))
    member.growth = (member.growth or 0) + amount
    db.session.flush()
    target = level_for(recent_growth(member.id))
    current = db.session.get(Level, member.level_id) if member.level_id else None
    if target is not None and _rank(target) > _rank(current):
        _set_level(member, target, "level_up")
        return target
    return None


def review_levels(now: datetime | None = None, limit: int = 1000) -> int:
    """The periodic review: a member whose level is older than the review period keeps it only if
    the growth of the last period still reaches it; else the level drops to what that growth
    reaches. Either way the period starts again. Returns how many were lowered."""
    months = settings().level_months
    if not months:
        return 0
    now = now or utcnow()
    due = db.session.scalars(select(Member).where(Member.level_id.is_not(None),
                                                  Member.level_since < months_before(now, months))
                             .order_by(Member.id).limit(limit).with_for_update(skip_locked=True)).all()
    lowered = 0
    for member in due:
        current = db.session.get(Level, member.level_id)
        target = level_for(recent_growth(member.id, now))
        if _rank(target) < _rank(current):
            _set_level(member, target, "level_down", reason=_("growth of the last %(n)d months: %(g)d",
                                                              n=months, g=recent_growth(member.id, now)))
            lowered += 1
        else:
            member.level_since = now
            MEMBER_STATES.record(member, None, "level_kept", level=current.name)
    return lowered


def set_level(actor, member: Member, level: Level | None, reason: str) -> Member:
    """Staff put a member on a level by hand (the review period starts again)."""
    if not (reason or "").strip():
        raise DomainError(_("Give a reason for the change."), field="reason")
    _set_level(member, level, "level_set", actor, reason.strip())
    audit.record(actor, "member.level_set", member, label=member.email,
                 changes={"level": [None, level.code if level else None]})
    return member


LEVEL_FIELDS = ("code", "name", "threshold", "discount_percent", "free_shipping", "points_multiplier",
                "birthday_coupon")


def save_level(actor, values: dict, level: Level | None = None) -> Level:
    """Create or change a level: a code (what member prices in the catalog are keyed by), a name,
    the growth value that reaches it, and its benefits."""
    code = (values.get("code") or "").strip()[:40]
    name = (values.get("name") or "").strip()[:80]
    if not code or not code.replace("-", "").replace("_", "").isalnum():
        raise DomainError(_("Use letters, digits, - and _ for the code."), field="code")
    if not name:
        raise DomainError(_("This field is required."), field="name")
    checks = {"threshold": (0, 10 ** 8), "discount_percent": (1, 100), "points_multiplier": (100, 1000)}
    for key, (low, high) in checks.items():
        value = values.get(key)
        if not isinstance(value, int) or not low <= value <= high:
            raise DomainError(_("Enter a whole number from %(low)d to %(high)d.", low=low, high=high), field=key)
    clash = select(Level.id).where(func.lower(Level.code) == code.lower())
    if level is not None:
        clash = clash.where(Level.id != level.id)
    if db.session.scalar(clash):
        raise DomainError(_("Another level has this code."), field="code")
    clash = select(Level.id).where(Level.threshold == values["threshold"])
    if level is not None:
        clash = clash.where(Level.id != level.id)
    if db.session.scalar(clash):
        raise DomainError(_("Another level starts at this growth value."), field="threshold")
    level = level or Level()
    level.code, level.name = code, name
    for key in ("threshold", "discount_percent", "points_multiplier"):
        setattr(level, key, values[key])
    level.free_shipping, level.birthday_coupon = bool(values.get("free_shipping")), bool(values.get("birthday_coupon"))
    db.session.add(level)
    changes = audit.changes_of(level)
    db.session.flush()
    audit.record(actor, "member.level_saved", level, label=level.code, changes=changes)
    return level


def delete_level(actor, level: Level) -> None:
    """Remove a level; its members have no level until growth or staff give them one."""
    audit.record(actor, "member.level_deleted", level, label=level.code)
    db.session.delete(level)
    db.session.flush()


# --- member admin -----------------------------------------------------------------------------

def add_note(actor, member: Member, text: str) -> None:
    if not (text or "").strip():
        raise DomainError(_("Write the note first."), field="note")
    MEMBER_STATES.record(member, actor, "note", text.strip()[:500])


def clean_tag(tag: str) -> str:
    tag = " ".join((tag or "").split())[:40]
    if not tag:
        raise DomainError(_("Enter a tag."), field="tag")
    return tag


def add_tag(actor, member: Member, tag: str) -> Member:
    tag = clean_tag(tag)
    if tag in (member.tags or []):
        return member
    if len(member.tags or []) >= MAX_TAGS:
        raise DomainError(_("A member has at most %(n)d tags.", n=MAX_TAGS), field="tag")
    member.tags = [*(member.tags or []), tag]
    MEMBER_STATES.record(member, actor, "tagged", tag=tag)
    return member


def remove_tag(actor, member: Member, tag: str) -> Member:
    if tag in (member.tags or []):
        member.tags = [t for t in member.tags if t != tag]
        MEMBER_STATES.record(member, actor, "untagged", tag=tag)
    return member


def blacklist(actor, member: Member, reason: str) -> Member:
    """A blacklisted member cannot place orders or claim coupons (orders and promotions ask
    `members.queries.member_pricing` / `may_order`)."""
    reason = (reason or "").strip()[:300]
    if not reason:
        raise DomainError(_("Give a reason for blacklisting."), field="reason")
    if member.blacklisted:
        raise DomainError(_("This member is blacklisted already."))
    member.blacklisted, member.blacklist_reason = True, reason
    MEMBER_STATES.record(member, actor, "blacklisted", reason)
    audit.record(actor, "member.blacklisted", member, label=member.email, changes={"blacklisted": [False, True]})
    return member


def unblacklist(actor, member: Member, reason: str = "") -> Member:
    if not member.blacklisted:
        raise DomainError(_("This member is not blacklisted."))
    member.blacklisted, member.blacklist_reason = False, ""
    MEMBER_STATES.record(member, actor, "unblacklisted", (reason or "").strip()[:300])
    audit.record(actor, "member.unblacklisted", member, label=member.email, changes={"blacklisted": [True, False]})
    return member


def set_birthday(member: Member, birthday) -> Member:
    member.birthday = birthday
    return member


# --- what orders do to members (called by the handlers) ---------------------------------------

def record_order_paid(member_id: int, amount: int, at: datetime) -> None:
    """A paid order of the member: the list's order count, total spend and last order date."""
    db.session.execute(update(Member).where(Member.id == member_id).values(
        order_count=Member.order_count + 1, total_spent=Member.total_spent + amount,
        last_order_at=func.greatest(func.coalesce(Member.last_order_at, at), at)))


def record_order_refund(member_id: int, amount: int) -> None:
    db.session.execute(update(Member).where(Member.id == member_id).values(
        total_spent=func.greatest(Member.total_spent - amount, 0)))


def earning_basis(order_id: int) -> int:
    """What a completed order earns growth and points on: what the shopper actually paid for the
    goods kept. That is each line's amount after every discount (promotions, coupons and the
    points spent, which are shares of the line's discount), less what was refunded (a refund is
    counted against the goods, also one of freight); freight and customs tax earn nothing. Money
    paid from a stored-value or gift card earns nothing unless the store's rule says it does (it
    was paid once already, when the card was bought). An offline payment counts like any other."""
    from app.blueprints.members.card_gateway import NAME as CARD
    from app.blueprints.orders import queries as orders
    from app.blueprints.payments import queries as payments

    goods = sum(line.unit_price * line.quantity - line.discount for line in orders.lines_of(order_id))
    money = payments.order_money(order_id)
    if money is None:
        return max(0, goods)
    if money["gateway"] == CARD and not settings().growth_from_cards:
        return 0
    return max(0, goods - money["refunded"])


def order_completed(member_id: int, order_id: int, paid: int) -> tuple[int, Level | None]:
    """A completed order earns points (the level's multiplier applies) and growth value on
    `paid` (see `earning_basis`). Once per order. Returns (points earned, the level reached if it rose)."""
    member = db.session.get(Member, member_id, with_for_update=True)
    if member is None:
        return 0, None
    if db.session.scalar(select(GrowthEntry.id).where(GrowthEntry.member_id == member_id,
                                                      GrowthEntry.order_id == order_id)):
        return 0, None
    rule = settings()
    level = db.session.get(Level, member.level_id) if member.level_id else None
    multiplier = level.points_multiplier if level else 100
    points = paid // 100 * rule.points_per_yuan * multiplier // 100
    earn_points(member_id, points, order_id, _("order completed"))
    raised = add_growth(member, paid // 100 * rule.growth_per_yuan + rule.growth_per_order, order_id)
    return points, raised


def growth_refund_basis(order_id: int) -> tuple[int, int]:
    """What a refund of the order's growth is prorated on, and how much has been refunded against
    it: (the earning basis the growth was earned on, the refunds that succeeded since it was
    earned). The basis is the same as `earning_basis` was at completion: the goods after every
    discount, less what had been refunded by then; freight and customs tax earned nothing, so a
    refund is counted against the goods (one of freight too) and the growth is all taken back
    once refunds since reach the basis."""
    from app.blueprints.orders import queries as orders
    from app.blueprints.payments import queries as payments

    goods = sum(line.unit_price * line.quantity - line.discount for line in orders.lines_of(order_id))
    earned_at = db.session.scalar(select(func.min(GrowthEntry.at)).where(GrowthEntry.order_id == order_id,
                                                                         GrowthEntry.amount > 0))
    now = payments.order_money(order_id)
    if now is None or earned_at is None:
        return max(0, goods), 0
    before = payments.order_money(order_id, before=earned_at)["refunded"]
    return max(0, goods - before), max(0, now["refunded"] - before)


def refund_growth(member_id: int, order_id: int, *, amount: int, basis: int, full: bool = False) -> int:
    """A refund of `amount` takes back that share of the growth value the order earned, prorated
    on `basis`, what the growth was earned on (`growth_refund_basis`: the goods paid for, never
    the freight), all that is left when `full`, as a negative growth entry: the recent growth the
    level review reads drops with it (the level itself is reviewed on its schedule). Never more
    than the order earned. Returns the growth taken back."""
    member = db.session.get(Member, member_id, with_for_update=True)
    if member is None:
        return 0
    rows = db.session.scalars(select(GrowthEntry.amount).where(GrowthEntry.member_id == member_id,
                                                                GrowthEntry.order_id == order_id)).all()
    earned = sum(a for a in rows if a > 0)
    left = earned + sum(a for a in rows if a < 0)
    if left <= 0:
        return 0
    taken = left if full or basis <= 0 else min(left, earned * amount // basis)
    if taken <= 0:
        return 0
    db.session.add(GrowthEntry(member_id=member_id, amount=-taken, order_id=order_id))
    member.growth = max(0, (member.growth or 0) - taken)
    db.session.flush()
    return taken


@dataclass(frozen=True)
class Birthday:
    member_id: int
    level_code: str


def birthdays(today, year: int, limit: int = 1000) -> list[Birthday]:
    """Members whose birthday is `today` (the store's date) and whose level has the birthday
    benefit: `member.birthday` is emitted once per member and year (promotions issues the coupon)."""
    rows = db.session.execute(select(Member, Level).join(Level, Level.id == Member.level_id).where(
        Level.birthday_coupon.is_(True), Member.birthday.is_not(None), Member.status == "active",
        func.extract("month", Member.birthday) == today.month, func.extract("day", Member.birthday) == today.day,
        func.coalesce(Member.birthday_year, 0) < year).limit(limit).with_for_update(of=Member, skip_locked=True)).all()
    out = []
    for member, level in rows:
        member.birthday_year = year
        MEMBER_STATES.record(member, None, "birthday", level=level.name)
        emit("member.birthday", {"member_id": member.id, "level": level.code, "year": year})
        out.append(Birthday(member.id, level.code))
    return out
