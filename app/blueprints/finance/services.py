"""Finance services: post a balanced journal entry once per (event, rule), reverse one, keep
moving-average cost, edit the chart of accounts and close periods.

An entry is checked here (balanced, known accounts) and again by the database at commit;
entries are never changed: a correction is a reversing entry, posted in the open period.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import event, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.blueprints.finance.models import ACCOUNT_TYPES, Account, CostMove, Entry, Line, Period, SkuCost
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.tenancy import current_store
from app.core.timeline import actor_name
from app.extensions import db

# the accounts the posting rules use (preset codes)
BANK, AR_GATEWAY, INVENTORY, INVENTORY_PENDING = "1002", "1122", "1405", "1901"
AP, GRNI, ADVANCES, CARD_BALANCES = "2202", "2202.01", "2203", "2203.01"
VAT, INPUT_VAT, CUSTOMS_TAX = "2221", "2221.01", "2241"
REVENUE, DISCOUNTS, RETURNS, SHIPPING_INCOME, OTHER_GAINS = "6001", "6001.01", "6001.02", "6051", "6301"
COUPON_DISCOUNTS = "6001.03"
COGS, PRICE_VARIANCE, PAYMENT_FEES, POINTS_COST, OTHER_LOSSES = "6401", "6401.01", "6601", "6601.01", "6711"


class Unbalanced(DomainError):
    """An entry whose debits and credits differ (or that names an unknown account)."""


class PeriodClosed(DomainError):
    """The day is in a closed period."""


@dataclass(frozen=True)
class Leg:
    """One side of one line: an account code and a debit or a credit (minor units)."""

    account: str
    debit: int = 0
    credit: int = 0
    party: str | None = None
    order_id: int | None = None
    order_line_id: int | None = None
    sku_id: int | None = None
    quantity: int | None = None


def dr(account: str, amount: int, **dims) -> Leg:
    return Leg(account, debit=amount, **dims) if amount >= 0 else Leg(account, credit=-amount, **dims)


def cr(account: str, amount: int, **dims) -> Leg:
    return Leg(account, credit=amount, **dims) if amount >= 0 else Leg(account, debit=-amount, **dims)


def today() -> date:
    """The store's calendar day now."""
    return utcnow().astimezone(ZoneInfo(current_store().timezone or "Asia/Shanghai")).date()


def local_day(moment) -> date:
    return moment.astimezone(ZoneInfo(current_store().timezone or "Asia/Shanghai")).date()


def period() -> Period:
    row = db.session.get(Period, 1)
    return row if row is not None else Period(id=1, closed_through=None)


def open_day(day: date) -> date:
    """`day`, or the first open day when `day` is in a closed period."""
    closed = period().closed_through
    return day if closed is None or day > closed else closed + timedelta(days=1)


def post(source_kind: str, source_id, legs: list[Leg], *, rule: str, event_id: int | None = None,
         source_number: str = "", memo: str = "", on: date | None = None, actor=None,
         currency: str | None = None, reverses: Entry | None = None) -> Entry | None:
    """Post one balanced entry. With an `event_id`, at most one entry per (event, rule): a
    redelivered event returns the entry posted the first time. Legs of zero are dropped; an
    entry with nothing left is not posted (None). Raises Unbalanced, changes nothing."""
    if event_id is not None and (event_id, rule) not in _unposted().pop(event_id, ()):
        existing = db.session.scalar(select(Entry).where(Entry.event_id == event_id, Entry.rule == rule))
        if existing is not None:
            return existing
    legs = [leg for leg in legs if leg.debit or leg.credit]
    if not legs:
        return None
    if any(leg.debit < 0 or leg.credit < 0 or (leg.debit and leg.credit) for leg in legs):
        raise Unbalanced(_("Each line is a debit or a credit of a positive amount."))
    if sum(leg.debit for leg in legs) != sum(leg.credit for leg in legs):
        raise Unbalanced(_("Debits and credits must be equal."))
    ids = account_ids({leg.account for leg in legs})
    day = open_day(on or today())
    entry = Entry(posted_on=day, source_kind=source_kind, source_id=str(source_id)[:40],
                  source_number=(source_number or "")[:64], event_id=event_id, rule=rule, memo=(memo or "")[:300],
                  currency=currency or current_store().currency, actor_name=actor_name(actor),
                  reverses_id=reverses.id if reverses is not None else None)
    db.session.add(entry)
    db.session.flush()
    db.session.add_all([Line(entry_id=entry.id, account_id=ids[leg.account], posted_on=day, debit=leg.debit,
                             credit=leg.credit, party=leg.party, order_id=leg.order_id,
                             order_line_id=leg.order_line_id, sku_id=leg.sku_id, quantity=leg.quantity)
                        for leg in legs])
    db.session.flush()
    return entry


def posted(event_id: int, rule: str) -> bool:
    """Whether this (event, rule) has its entry already. The answer no is remembered for the
    `post()` of the same (event, rule) that follows in this transaction, so a handler that asks
    first (to skip its reads on a redelivery) makes one lookup per posting, not two; the unique
    (event_id, rule) of the table still refuses a second entry."""
    if db.session.scalar(select(Entry.id).where(Entry.event_id == event_id, Entry.rule == rule)) is not None:
        return True
    _unposted()[event_id] = {(event_id, rule)}
    return False


def _unposted() -> dict:
    """(event, rule) pairs this session found without an entry, not posted yet; forgotten at the
    transaction's end (commit or rollback)."""
    return db.session.info.setdefault(_UNPOSTED, {})


_UNPOSTED = "finance_unposted"


@event.listens_for(Session, "after_transaction_end")
def _forget_unposted(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_UNPOSTED, None)


def account_ids(codes) -> dict[str, int]:
    codes = set(codes)
    found = dict(db.session.execute(select(Account.code, Account.id).where(Account.code.in_(codes))).all())
    missing = codes - set(found)
    if missing:
        raise Unbalanced(_("Unknown account %(code)s.", code=", ".join(sorted(missing))))
    return found


def reverse_entry(actor, entry: Entry, memo: str = "", event_id: int | None = None, rule: str = "reversal") -> Entry:
    """Post the mirror image of `entry` (debits become credits) in the open period; an entry is
    reversed at most once, and a reversal is not reversed again."""
    if entry.reverses_id is not None:
        raise DomainError(_("A reversing entry cannot be reversed; post the original again instead."))
    done = db.session.scalar(select(Entry).where(Entry.reverses_id == entry.id))
    if done is not None:
        if event_id is not None:
            return done
        raise DomainError(_("Entry %(number)s was reversed already (%(by)s).", number=entry.number, by=done.number))
    codes = dict(db.session.execute(select(Account.id, Account.code)).all())
    legs = [Leg(codes[line.account_id], debit=line.credit, credit=line.debit, party=line.party,
                order_id=line.order_id, order_line_id=line.order_line_id, sku_id=line.sku_id, quantity=line.quantity)
            for line in entry.lines]
    reversal = post(entry.source_kind, entry.source_id, legs, rule=rule, event_id=event_id,
                    source_number=entry.source_number, memo=memo or _("Reversal of %(number)s", number=entry.number),
                    actor=actor, currency=entry.currency, reverses=entry)
    if actor is not None:
        audit.record(actor, "entry.reversed", reversal, label=entry.number)
    return reversal


def posted_for(source_kind: str, source_id, rule: str) -> Entry | None:
    """The newest entry of this rule for this source that no entry reverses."""
    reversed_ids = select(Entry.reverses_id).where(Entry.reverses_id.is_not(None))
    return db.session.scalar(select(Entry).where(Entry.source_kind == source_kind, Entry.source_id == str(source_id),
                                                 Entry.rule == rule, Entry.id.not_in(reversed_ids))
                             .order_by(Entry.id.desc()).limit(1))


def split(amount: int, weights: dict[str, int], rest: str) -> dict[str, int]:
    """`amount` shared in proportion to `weights` (each part rounded down); `rest` takes what
    the rounding leaves, so the parts always add up to `amount`."""
    total = sum(max(0, w) for w in weights.values())
    if total <= 0:
        return {rest: amount}
    out = {k: amount * max(0, w) // total for k, w in weights.items() if k != rest}
    out[rest] = amount - sum(out.values())
    return out


def unit_share(total: int, quantity: int, before: int, now: int) -> int:
    """The part of `total` (spread over `quantity` units) carried by the `now` units after the
    first `before`: counted cumulatively, so once every unit is booked the parts add up to
    `total` exactly, however the units were split (parcels)."""
    if quantity <= 0:
        return 0
    return total * min(before + now, quantity) // quantity - total * min(before, quantity) // quantity


def lock(key: str) -> None:
    """Serialise postings about one thing in this store until the transaction ends."""
    db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"{current_store().schema}:{key}"))))


# --- moving-average cost ------------------------------------------------------------------------

def unit_cost(sku_id: int, fallback: int = 0) -> int:
    """The SKU's moving-average cost now (minor units, rounded); `fallback` (the catalog's cost
    price) when finance has valued none of it yet."""
    row = db.session.get(SkuCost, sku_id)
    if row is None:
        return fallback
    if row.quantity > 0:
        return round(row.value / row.quantity)
    return row.last_unit_cost or fallback


def _applied(event_id, rule: str, reference: str) -> int | None:
    """The value of a cost move this (event, rule, reference) made already, else None."""
    if event_id is None:
        return None
    return db.session.scalar(select(CostMove.value).where(CostMove.event_id == event_id, CostMove.rule == rule,
                                                          CostMove.reference == str(reference)))


def receive_units(sku_id: int, quantity: int, unit: int, event_id: int | None = None, rule: str = "",
                  reference: str = "") -> int:
    """Units came in at `unit` each: the average moves (once per event, rule and reference).
    Returns their value."""
    done = _applied(event_id, rule, reference)
    if done is not None:
        return done
    value = unit * quantity
    stmt = insert(SkuCost).values(sku_id=sku_id, quantity=quantity, value=value, last_unit_cost=unit,
                                  updated_at=utcnow())
    db.session.execute(stmt.on_conflict_do_update(index_elements=[SkuCost.sku_id], set_={
        "quantity": SkuCost.quantity + quantity, "value": SkuCost.value + value, "last_unit_cost": unit,
        "updated_at": utcnow()}))
    db.session.add(CostMove(sku_id=sku_id, event_id=event_id, rule=rule, reference=str(reference)[:40],
                            quantity=quantity, value=value))
    db.session.flush()
    return value


def issue_units(sku_id: int, quantity: int, fallback: int = 0, event_id: int | None = None, rule: str = "",
                reference: str = "") -> int:
    """Units left (shipped): their cost at this moment's average, taken out of the SKU's value in
    one UPDATE under the row's lock (the last units take exactly what value is left), once per
    event, rule and reference. Units finance never valued leave at the last known cost, else
    `fallback`. Returns the cost."""
    done = _applied(event_id, rule, reference)
    if done is not None:
        return -done
    row = db.session.scalar(select(SkuCost).where(SkuCost.sku_id == sku_id).with_for_update()
                            .execution_options(populate_existing=True))
    if row is None:
        row = SkuCost(sku_id=sku_id, quantity=0, value=0, last_unit_cost=fallback)
        db.session.add(row)
        db.session.flush()
    if row.quantity >= quantity and row.quantity > 0:
        cost = row.value if row.quantity == quantity else round(row.value * quantity / row.quantity)
    else:
        valued = max(row.quantity, 0)
        unit = round(row.value / row.quantity) if row.quantity > 0 else (row.last_unit_cost or fallback)
        cost = (row.value if valued else 0) + unit * (quantity - valued)
    db.session.execute(update(SkuCost).where(SkuCost.sku_id == sku_id).values(
        quantity=SkuCost.quantity - quantity, value=SkuCost.value - cost, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.expire(row)
    db.session.add(CostMove(sku_id=sku_id, event_id=event_id, rule=rule, reference=str(reference)[:40],
                            quantity=-quantity, value=-cost))
    db.session.flush()
    return cost


# --- chart of accounts and period close ---------------------------------------------------------

def create_account(actor, code: str, name_zh: str, name_en: str, type_: str) -> Account:
    code = (code or "").strip()
    if not code or len(code) > 20:
        raise DomainError(_("Give a code of up to 20 characters."), field="code")
    if type_ not in ACCOUNT_TYPES:
        raise DomainError(_("Choose a type."), field="type")
    if db.session.scalar(select(Account.id).where(Account.code == code)) is not None:
        raise DomainError(_("Account %(code)s exists already.", code=code), field="code")
    account = Account(code=code, name_zh=name_zh.strip()[:80], name_en=name_en.strip()[:80], type=type_,
                      active=True, preset=False)
    db.session.add(account)
    db.session.flush()
    audit.record(actor, "account.created", account, label=f"{code} {account.name_zh}")
    return account


def update_account(actor, account: Account, name_zh: str, name_en: str, active: bool) -> Account:
    """Rename an account or take it out of use (its postings stay; posting rules keep the presets)."""
    if account.preset and not active:
        raise DomainError(_("The posting rules use this account: it stays active."), field="active")
    changes = {}
    for field, value in (("name_zh", name_zh.strip()[:80]), ("name_en", name_en.strip()[:80]), ("active", active)):
        if getattr(account, field) != value:
            changes[field] = [getattr(account, field), value]
            setattr(account, field, value)
    if changes:
        audit.record(actor, "account.updated", account, changes=changes, label=f"{account.code} {account.name_zh}")
    return account


def close_period(actor, through: date) -> Period:
    """Lock every entry on or before `through`; later postings for those days go to the first
    open day. A closed period stays closed (the lock only moves forward)."""
    if through >= today():
        raise PeriodClosed(_("Close a day before today."), field="through")
    row = db.session.get(Period, 1, with_for_update=True)
    if row is None:
        row = Period(id=1)
        db.session.add(row)
    before = row.closed_through
    if before is not None and through <= before:
        raise PeriodClosed(_("The books are closed through %(day)s already.", day=before.isoformat()), field="through")
    row.closed_through, row.closed_by, row.closed_at = through, actor_name(actor), utcnow()
    db.session.flush()
    audit.record(actor, "period.closed", label=through.isoformat(),
                 changes={"closed_through": [before.isoformat() if before else None, through.isoformat()]})
    return row


# --- the platform's usage summary ---------------------------------------------------------------

USAGE_DAYS = 30


def refresh_usage(now=None) -> dict:
    """This store's last USAGE_DAYS local days (GMV and paid orders from the order center, refunds
    from the payment center, each one query) and its database space, written to its row of the
    platform summary (`platform.store_usage`, the platform center's table). Returns the figures."""
    from sqlalchemy import text

    from app.blueprints.finance.queries import local_window
    from app.blueprints.orders import queries as order_queries
    from app.blueprints.payments import queries as payment_queries
    from app.blueprints.platform import services as platform_services

    store = current_store()
    day = local_day(now or utcnow())
    start, end, tz_name = local_window(day - timedelta(days=USAGE_DAYS - 1), day)
    sales = order_queries.sales_by_day(start, end, tz_name)
    refunds = payment_queries.refunded_between(start, end, tz_name)
    size = db.session.scalar(text(
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'r'"), {"s": store.schema})
    figures = {"days": USAGE_DAYS, "orders": sum(n for n, _g in sales.values()),
               "gmv": sum(g for _n, g in sales.values()), "refunds": sum(refunds.values()),
               "currency": store.currency, "bytes": int(size or 0), "refreshed_at": utcnow()}
    platform_services.record_store_usage(store.id, **figures)
    return figures
