"""Flash sales (秒杀): a session's items sell from a stock pool. Arming a session reserves each
pool in inventory (one reservation per item) and loads it into Redis; a claim is one atomic Lua
script on Redis (stock left, the shopper's count), so the hot path never waits on a database
row; a winning claim becomes a `flash_sale` order with the session's short payment timeout,
its units handed from the pool's reservation to the order's. An unpaid order, cancelled by the
order center's payment timeout, gives its units back to the pool; an ended session gives what
is left back to inventory."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.blueprints.promotions.models import FlashClaim, FlashItem, FlashSession
from app.core.db import utcnow
from app.core.errors import DomainError, IllegalTransition
from app.core.redisconn import get_redis
from app.core.tenancy import current_store
from app.extensions import db

# KEYS: stock, buyers; ARGV: member, quantity, limit. Returns what is left, or -1 sold out,
# -2 the shopper's limit, -3 not armed.
CLAIM_LUA = """
local stock = redis.call('GET', KEYS[1])
if not stock then return -3 end
stock = tonumber(stock)
local qty = tonumber(ARGV[2])
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if held + qty > tonumber(ARGV[3]) then return -2 end
if stock < qty then return -1 end
redis.call('DECRBY', KEYS[1], qty)
redis.call('HINCRBY', KEYS[2], ARGV[1], qty)
return stock - qty
"""
# KEYS: stock, buyers; ARGV: member, quantity. Gives a claim back (only while armed).
GIVE_BACK_LUA = """
if not redis.call('GET', KEYS[1]) then return -3 end
redis.call('INCRBY', KEYS[1], ARGV[2])
local held = redis.call('HINCRBY', KEYS[2], ARGV[1], -tonumber(ARGV[2]))
if held <= 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
return 1
"""
STATUS_LABELS = {"draft": "Draft", "armed": "Armed", "ended": "Ended"}


class SoldOut(DomainError):
    """The pool is empty (or the session is not on)."""


def _keys(item_id: int) -> tuple[str, str]:
    prefix = f"houtai:{current_store().id}:flash:{item_id}"
    return f"{prefix}:stock", f"{prefix}:buyers"


_scripts: dict = {}


def _script(name: str, body: str):
    redis = get_redis()
    key = (name, id(redis))
    if key not in _scripts:
        _scripts[key] = redis.register_script(body)
    return _scripts[key]


def _reference(item_id: int) -> str:
    return f"flash:{item_id}"


def save_session(actor, session: FlashSession | None, name: str, starts_at: datetime, ends_at: datetime,
                 payment_minutes: int = 5) -> FlashSession:
    if not (name or "").strip():
        raise DomainError(_("This field is required."), field="name")
    if not starts_at or not ends_at or ends_at <= starts_at:
        raise DomainError(_("The end comes after the start."), field="ends_at")
    if not 1 <= (payment_minutes or 0) <= 120:
        raise DomainError(_("From 1 to 120 minutes."), field="payment_minutes")
    if session is None:
        session = FlashSession(status="draft")
        db.session.add(session)
    elif session.status != "draft":
        raise IllegalTransition(_("An armed or ended session cannot change."))
    session.name, session.starts_at, session.ends_at = name.strip()[:120], starts_at, ends_at
    session.payment_minutes = payment_minutes
    db.session.flush()
    return session


def add_item(actor, session: FlashSession, sku_id: int, flash_price: int, pool: int, per_member_limit: int = 1):
    from app.blueprints.catalog import queries as catalog

    if session.status != "draft":
        raise IllegalTransition(_("An armed or ended session cannot change."))
    if not catalog.sellable_skus([sku_id]):
        raise DomainError(_("Choose a SKU that is on sale."), field="sku_code")
    if pool < 1 or flash_price < 0 or per_member_limit < 1:
        raise DomainError(_("The pool and the limit are 1 or more; the price zero or more."), field="pool")
    if db.session.scalar(select(FlashItem.id).where(FlashItem.session_id == session.id, FlashItem.sku_id == sku_id)):
        raise DomainError(_("That SKU is in this session already."), field="sku_code")
    item = FlashItem(session_id=session.id, sku_id=sku_id, flash_price=flash_price, pool=pool,
                     per_member_limit=per_member_limit, sold=0)
    db.session.add(item)
    db.session.flush()
    return item


def items_of(session_id: int) -> list[FlashItem]:
    return db.session.scalars(select(FlashItem).where(FlashItem.session_id == session_id).order_by(FlashItem.id)).all()


def arm(actor, session: FlashSession) -> FlashSession:
    """Take each item's pool from inventory (a reservation; OutOfStock when the stock is not
    there, and nothing changes) and load it into Redis."""
    from app.blueprints.inventory import services as inventory

    if session.status != "draft":
        raise IllegalTransition(_("Only a draft session can be armed."))
    items = items_of(session.id)
    if not items:
        raise DomainError(_("Add a SKU to the session first."))
    for item in items:
        inventory.reserve([inventory.Line(item.sku_id, item.pool)], _reference(item.id), expires_at=None, actor=actor,
                          fresh=True)
    session.status = "armed"
    db.session.flush()
    redis = get_redis()
    for item in items:    # after the reservations: a failed arm leaves Redis untouched
        stock, buyers = _keys(item.id)
        redis.set(stock, item.pool)
        redis.delete(buyers)
    return session


def end(actor, session: FlashSession) -> FlashSession:
    """The session is over: what the pools still hold goes back to inventory and Redis forgets them."""
    from app.blueprints.inventory import services as inventory

    if session.status != "armed":
        raise IllegalTransition(_("Only an armed session can end."))
    session.status = "ended"
    redis = get_redis()
    for item in items_of(session.id):
        inventory.release(_reference(item.id), actor)
        redis.delete(*_keys(item.id))
    return session


def end_due(now: datetime | None = None) -> int:
    now = now or utcnow()
    sessions = db.session.scalars(select(FlashSession).where(FlashSession.status == "armed",
                                                             FlashSession.ends_at <= now).with_for_update()).all()
    for session in sessions:
        end(None, session)
    return len(sessions)


def left(item_id: int) -> int | None:
    """Units left in the pool now (None when not armed)."""
    value = get_redis().get(_keys(item_id)[0])
    return int(value) if value is not None else None


def take(item: FlashItem, member_id: int, quantity: int = 1) -> int:
    """The hot path: one atomic script on Redis. Returns what is left; SoldOut or a limit error."""
    stock, buyers = _keys(item.id)
    result = _script("claim", CLAIM_LUA)(keys=[stock, buyers], args=[member_id, quantity, item.per_member_limit])
    if result == -2:
        raise DomainError(_("You have bought as many as one shopper may in this flash sale."))
    if result < 0:
        raise SoldOut(_("Sold out."))
    return result


def give_back(item_id: int, member_id: int, quantity: int) -> None:
    stock, buyers = _keys(item_id)
    _script("give_back", GIVE_BACK_LUA)(keys=[stock, buyers], args=[member_id, quantity])


def claim(item_id: int, member_id: int, address: dict, shopper: dict, quantity: int = 1, now: datetime | None = None):
    """A shopper claims a flash item: Redis first (most claimers stop here, sold out), then the
    order in the caller's transaction. If the order cannot be placed the units go back to Redis
    (`compensate` after the rollback: the caller calls it). Returns (order, compensate)."""
    from app.blueprints.inventory import services as inventory
    from app.blueprints.orders import services as orders

    now = now or utcnow()
    item = db.session.get(FlashItem, item_id)
    session = db.session.get(FlashSession, item.session_id) if item else None
    if item is None or session is None or session.status != "armed" or not session.starts_at <= now < session.ends_at:
        raise SoldOut(_("This flash sale is not on now."))
    if not 1 <= quantity <= item.per_member_limit:
        raise DomainError(_("You have bought as many as one shopper may in this flash sale."), field="quantity")
    take(item, member_id, quantity)

    def compensate():
        give_back(item_id, member_id, quantity)

    try:
        inventory.resize(_reference(item.id), item.sku_id, -quantity)   # the units pass from the pool to the order
        order = orders.place_order([orders.LineRequest(item.sku_id, quantity)], address, shopper=shopper,
                                   shopper_id=member_id, order_type="flash_sale",
                                   flash_prices={item.sku_id: item.flash_price},
                                   payment_minutes=session.payment_minutes)
        db.session.add(FlashClaim(item_id=item.id, member_id=member_id, quantity=quantity, order_id=order.id,
                                  returned=False))
        db.session.execute(update(FlashItem).where(FlashItem.id == item.id).values(sold=FlashItem.sold + quantity))
    except Exception:
        compensate()
        raise
    return order


def return_unpaid(order_id: int) -> int:
    """A flash order cancelled unpaid: its units go back to the pool (inventory, then Redis) while
    the session is armed; once the session ended they simply stay in inventory. Once per order."""
    from app.blueprints.inventory import services as inventory

    claim_row = db.session.scalar(select(FlashClaim).where(FlashClaim.order_id == order_id,
                                                           FlashClaim.returned.is_(False)).with_for_update())
    if claim_row is None:
        return 0
    claim_row.returned = True
    item = db.session.get(FlashItem, claim_row.item_id)
    item.sold = max(0, item.sold - claim_row.quantity)
    session = db.session.get(FlashSession, item.session_id)
    if session.status == "armed":
        try:
            with db.session.begin_nested():
                inventory.resize(_reference(item.id), item.sku_id, claim_row.quantity)
        except (inventory.OutOfStock, IllegalTransition):
            return 0     # sold elsewhere meanwhile: the pool stays smaller
        give_back(item.id, claim_row.member_id, claim_row.quantity)
    return claim_row.quantity


def place_claim(item_id: int, member_id: int, address: dict, shopper: dict, quantity: int = 1) -> str:
    """`claim` with its commit: the order's number. Whatever fails after the Redis claim gives
    the units back to Redis (the database never sold them)."""
    from app.core.retry import in_transaction

    state = {"taken": False}

    def run():
        if state["taken"]:          # a deadlock victim run again: its first claim was rolled back
            give_back(item_id, member_id, quantity)
            state["taken"] = False
        order = claim(item_id, member_id, address, shopper, quantity)
        state["taken"] = True
        return order.number

    try:
        return in_transaction(run)
    except Exception:
        db.session.rollback()
        if state["taken"]:
            give_back(item_id, member_id, quantity)
        raise


def shop_items(now: datetime | None = None) -> list[dict]:
    """What the shop shows: the armed sessions' items that are on or coming, with what is left
    (from Redis) and the seconds to the start or the end."""
    from app.blueprints.catalog import queries as catalog

    now = now or utcnow()
    rows = db.session.execute(select(FlashItem, FlashSession).join(FlashSession, FlashSession.id == FlashItem.session_id)
                              .where(FlashSession.status == "armed", FlashSession.ends_at > now)
                              .order_by(FlashSession.starts_at, FlashItem.id).limit(100)).all()
    skus = catalog.sku_snapshots([i.sku_id for i, _s in rows])
    out = []
    for item, session in rows:
        sku = skus.get(item.sku_id)
        if sku is None:
            continue
        on = session.starts_at <= now
        out.append({"item": item, "session": session, "sku": sku, "left": left(item.id) or 0, "on": on,
                    "seconds": int(((session.ends_at if on else session.starts_at) - now).total_seconds())})
    return out


def item_exists(item_id: int) -> bool:
    return db.session.get(FlashItem, item_id) is not None
