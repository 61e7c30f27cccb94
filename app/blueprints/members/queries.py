"""The member center's read side: what pricing, orders and promotions ask about a member
(`member_pricing`, `points_balance`, `points_rule`, `may_order`), the member-list rules that
segments save, and the figures of the member pages. Plain snapshots out, never ORM rows."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, literal, or_, select, union_all

from app.blueprints.members.models import Card, Level, Member, PointsEntry, Segment
from app.core.money import to_minor
from app.core.tenancy import current_store
from app.extensions import db


# --- what other centers ask -------------------------------------------------------------------

@dataclass(frozen=True)
class MemberPricing:
    """What a member's level and standing mean for a price. Readable as attributes or as a
    dict (``pricing["level_code"]``). `level_price_rule` is "tier": the catalog's member price
    keyed by `level_code` applies, and `discount_percent` of the sale price for SKUs without one
    (100 = no level discount); the catalog price service applies both (`catalog.pricing.best_price`)."""

    member_id: int | None
    level_code: str | None = None
    level_name: str | None = None
    discount_percent: int = 100
    free_shipping: bool = False
    points_multiplier: int = 100          # percent: 150 = 1.5x points
    segment_ids: tuple[int, ...] = ()
    blacklisted: bool = False
    level_price_rule: str = "tier"

    def __getitem__(self, key: str):
        return getattr(self, key)

    def get(self, key: str, default=None):
        return getattr(self, key, default)

    @property
    def discount(self) -> int:
        return self.discount_percent


GUEST = MemberPricing(None)


def member_pricing(member_id: int | None, segments: bool = True) -> MemberPricing:
    """The member's level benefits, segments and blacklist flag (a guest or unknown id gets
    no level and no benefits). One statement, plus two for the segments (`segments=False`: the
    order placement needs only the level and the blacklist)."""
    if not isinstance(member_id, int) or not 0 < member_id < 2 ** 31:
        return GUEST
    row = db.session.execute(select(Member.id, Member.blacklisted, Level).outerjoin(Level, Level.id == Member.level_id)
                             .where(Member.id == member_id)).first()
    if row is None:
        return GUEST
    _id, blacklisted, level = row
    common = {"member_id": member_id, "segment_ids": segment_ids(member_id) if segments else (),
              "blacklisted": bool(blacklisted)}
    if level is None:
        return MemberPricing(**common)
    return MemberPricing(level_code=level.code, level_name=level.name, discount_percent=level.discount_percent,
                         free_shipping=level.free_shipping, points_multiplier=level.points_multiplier, **common)


def level_code(member_id: int | None) -> str | None:
    """The code of the member's level (catalog member prices are keyed by it), or None."""
    if not isinstance(member_id, int) or not 0 < member_id < 2 ** 31:
        return None
    return db.session.scalar(select(Level.code).join(Member, Member.level_id == Level.id).where(Member.id == member_id))


def may_order(member_id: int | None) -> bool:
    """False for a blacklisted member (placing orders and claiming coupons are refused)."""
    if not isinstance(member_id, int) or not 0 < member_id < 2 ** 31:
        return True
    return not db.session.scalar(select(Member.blacklisted).where(Member.id == member_id))


def points_balance(member_id: int | None) -> int:
    if not isinstance(member_id, int) or not 0 < member_id < 2 ** 31:
        return 0
    return int(db.session.scalar(select(Member.points).where(Member.id == member_id)) or 0)


@dataclass(frozen=True)
class PointsRule:
    """How points pay: `value_per_100` minor units for 100 points, at most `max_share_percent`
    of the payable; `earn_per_yuan` points per ¥1 paid; they lapse after `expiry_months` (0: never)."""

    value_per_100: int
    max_share_percent: int
    earn_per_yuan: int
    expiry_months: int

    def __getitem__(self, key: str):
        return getattr(self, key)

    def value_of(self, points: int) -> int:
        """What `points` are worth, in minor units (rounded down)."""
        return points * self.value_per_100 // 100

    def points_for(self, amount: int) -> int:
        """The fewest points worth at least `amount` minor units."""
        return -(-amount * 100 // self.value_per_100)

    def max_points(self, payable: int, balance: int) -> int:
        """The most points that may pay for `payable`: the share cap, and no more than the balance."""
        cap = payable * self.max_share_percent // 100 * 100 // self.value_per_100
        return max(0, min(cap, balance))


def points_rule() -> PointsRule:
    from app.blueprints.members.loyalty import settings

    row = settings()
    return PointsRule(row.points_value, row.points_max_share, row.points_per_yuan, row.points_expiry_months)


@dataclass(frozen=True)
class PointsDeduction:
    points: int
    amount: int        # minor units


def points_deduction(member_id: int | None, payable: int, requested: int | None = None) -> PointsDeduction:
    """What the member's points can take off `payable` (minor units): `requested` points, or as
    many as allowed, capped by the store's share and the balance (a read; `spend_points` spends)."""
    rule = points_rule()
    most = rule.max_points(payable, points_balance(member_id))
    points = most if requested is None else max(0, min(int(requested), most))
    return PointsDeduction(points, min(rule.value_of(points), payable))


def level_choices() -> list[tuple[str, str]]:
    """(code, name) of the store's levels, lowest first (for member-price forms and filters)."""
    return [(code, name) for code, name in db.session.execute(select(Level.code, Level.name).order_by(Level.threshold))]


# --- member-list rules (the list's filters; a segment saves them) -----------------------------

def escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(stmt: Select, q: str) -> Select:
    """Name, phone or email containing `q` (case-insensitive)."""
    pattern = f"%{escaped(q.strip()[:100])}%"
    return stmt.where(or_(Member.name.ilike(pattern), Member.phone.ilike(pattern), Member.email.ilike(pattern)))


def _money(raw: str) -> int:
    return to_minor(raw, current_store().currency)


def _count(raw: str) -> int:
    value = int(raw)
    if not 0 <= value < 2 ** 31:
        raise ValueError(raw)
    return value


def _level_rule(stmt: Select, code: str) -> Select:
    if code == "-":
        return stmt.where(Member.level_id.is_(None))
    return stmt.where(Member.level_id.in_(select(Level.id).where(func.lower(Level.code) == code.lower())))


@dataclass(frozen=True)
class Rule:
    label: Any
    apply: Callable[[Select, Any], Select]
    parse: Callable[[str], Any] | None = None
    placeholder: Any = None


def _rules() -> dict[str, Rule]:
    from flask_babel import lazy_gettext as _l

    day = date.fromisoformat
    return {
        "level": Rule(_l("Level"), _level_rule),
        "tag": Rule(_l("Tag"), lambda q, v: q.where(Member.tags.contains([v]))),
        "min_spent": Rule(_l("Total spend from"), lambda q, v: q.where(Member.total_spent >= v), _money, "0.00"),
        "max_spent": Rule(_l("Total spend to"), lambda q, v: q.where(Member.total_spent <= v), _money, "999.00"),
        "min_orders": Rule(_l("Orders from"), lambda q, v: q.where(Member.order_count >= v), _count, "0"),
        "max_orders": Rule(_l("Orders to"), lambda q, v: q.where(Member.order_count <= v), _count, "10"),
        "ordered_since": Rule(_l("Last order from"), lambda q, v: q.where(Member.last_order_at >= v), day,
                              "2026-01-31"),
        "ordered_until": Rule(_l("Last order to"),
                              lambda q, v: q.where(Member.last_order_at < v + timedelta(days=1)), day, "2026-01-31"),
        "blacklisted": Rule(_l("Blacklist"), lambda q, v: q.where(Member.blacklisted.is_(v == "yes"))),
    }


RULE_NAMES = ("q", "level", "tag", "min_spent", "max_spent", "min_orders", "max_orders", "ordered_since",
              "ordered_until", "blacklisted")


def rules() -> dict[str, Rule]:
    return _rules()


def clean_rules(values: dict) -> dict[str, str]:
    """The rules of a segment from form or query-string values: known names only, non-empty,
    each one parsed once to refuse a bad value (ValueError names the rule)."""
    out = {}
    table = _rules()
    for name in RULE_NAMES:
        raw = str(values.get(name) or "").strip()[:100]
        if not raw:
            continue
        rule = table.get(name)
        if rule is not None and rule.parse is not None:
            try:
                rule.parse(raw)
            except (ValueError, ArithmeticError):
                raise ValueError(name)
        if name == "blacklisted" and raw not in ("yes", "no"):
            raise ValueError(name)
        out[name] = raw
    return out


def apply_rules(stmt: Select, saved: dict) -> Select:
    """`stmt` (over members) narrowed by saved rules; a rule that no longer parses matches nobody."""
    table = _rules()
    for name, raw in (saved or {}).items():
        if name == "q":
            stmt = search(stmt, raw)
            continue
        rule = table.get(name)
        if rule is None:
            continue
        try:
            stmt = rule.apply(stmt, rule.parse(raw) if rule.parse else raw)
        except (ValueError, ArithmeticError):
            stmt = stmt.where(literal(False))
    return stmt


def segment_ids(member_id: int) -> tuple[int, ...]:
    """The segments the member belongs to now (one statement for all segments)."""
    segments = db.session.execute(select(Segment.id, Segment.rules).order_by(Segment.id)).all()
    if not segments:
        return ()
    parts = [select(literal(seg_id).label("id")).where(exists(apply_rules(select(Member.id).where(
        Member.id == member_id), rules_))) for seg_id, rules_ in segments]
    return tuple(sorted(db.session.scalars(union_all(*parts)).all()))


def segment_member_ids(segment_id: int, limit: int | None = None) -> list[int]:
    """The ids of the members a segment holds now (promotions grant coupons to them)."""
    seg = db.session.get(Segment, segment_id)
    if seg is None:
        return []
    stmt = apply_rules(select(Member.id), seg.rules).order_by(Member.id)
    return db.session.scalars(stmt.limit(limit) if limit else stmt).all()


def segment_choices() -> list[tuple[int, str]]:
    return [(i, n) for i, n in db.session.execute(select(Segment.id, Segment.name).order_by(Segment.name))]


def segment_sizes(segments) -> dict[int, int]:
    """How many members each segment holds (one statement)."""
    if not segments:
        return {}
    parts = [select(literal(s.id).label("id"), select(func.count()).select_from(
        apply_rules(select(Member.id), s.rules).subquery()).scalar_subquery().label("n")) for s in segments]
    return {i: n for i, n in db.session.execute(union_all(*parts)).all()}


def level_sizes() -> dict[int | None, int]:
    return dict(db.session.execute(select(Member.level_id, func.count()).group_by(Member.level_id)).all())


# --- points and cards on the member pages -----------------------------------------------------

def points_history(member_id: int, limit: int = 50) -> list[PointsEntry]:
    return db.session.scalars(select(PointsEntry).where(PointsEntry.member_id == member_id)
                              .order_by(PointsEntry.id.desc()).limit(limit)).all()


def cards_of(member_id: int) -> list[Card]:
    return db.session.scalars(select(Card).where(Card.member_id == member_id).order_by(Card.id)).all()


@dataclass(frozen=True)
class Liability:
    """What the store owes card holders: the balance of active cards (finance books it as a
    liability until spent or expired)."""

    amount: int
    cards: int
    currency: str
    by_kind: dict = field(default_factory=dict)


def card_liability() -> Liability:
    rows = db.session.execute(select(Card.currency, func.count(), func.coalesce(func.sum(Card.balance), 0))
                              .where(Card.status == "active", or_(Card.expires_on.is_(None),
                                                                  Card.expires_on >= func.current_date()))
                              .group_by(Card.currency)).all()
    currency = current_store().currency
    amount = sum(int(total) for cur, _n, total in rows if cur == currency)
    return Liability(amount, sum(n for _c, n, _t in rows), currency)


def member_label(member_id: int | None) -> str:
    """A member's name or email for another center's page ("" when unknown)."""
    if not isinstance(member_id, int):
        return ""
    row = db.session.execute(select(Member.name, Member.email).where(Member.id == member_id)).first()
    return (row[0] or row[1]) if row else _("(deleted member)")


# --- referral codes ---------------------------------------------------------------------------

_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_TAG = 5    # check characters: a made-up or mistyped code names nobody


def _referral_tag(member_id: int) -> str:
    import hashlib
    import hmac

    from flask import current_app

    message = f"referral:{current_store().id}:{member_id}".encode()
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    return "".join(_B36[(number // 36 ** i) % 36] for i in range(_TAG))


def referral_code(member_id: int) -> str:
    """The member's share code, carried by the links and posters they share (`?ref=CODE`): the
    member number in base 36 and a keyed check, so it is short, stable and cannot be guessed
    for another member. No table is read."""
    number, digits = member_id, ""
    while True:
        number, rest = divmod(number, 36)
        digits = _B36[rest] + digits
        if not number:
            break
    return digits + _referral_tag(member_id)


def member_for_referral(code: str) -> int | None:
    """The member id a share code names (None when the code is malformed or forged). The member
    may since have been deleted: the caller checks before crediting anyone."""
    import hmac

    code = (code or "").strip().upper()
    if not 1 + _TAG <= len(code) <= 13 + _TAG or any(c not in _B36 for c in code):
        return None
    member_id = int(code[:-_TAG], 36)
    if not 0 < member_id < 2 ** 31 or not hmac.compare_digest(code[-_TAG:], _referral_tag(member_id)):
        return None
    return member_id


def registered_by_day(start, end, tz: str) -> dict:
    """New members per local day in [start, end) (the sales dashboard; one query)."""
    from sqlalchemy import Date, cast

    day = cast(func.timezone(tz, Member.created_at), Date)
    return {d: int(n) for d, n in db.session.execute(
        select(day, func.count()).where(Member.created_at >= start, Member.created_at < end).group_by(day))}
