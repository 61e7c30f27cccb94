"""Valid objects in one line each (after indico's testing/fixtures).

    from tests import factories as f

    product = f.product(store, stock=10, price=5900)      # on sale, one SKU, 10 in a warehouse
    order = f.order(store, state="shipped")               # a product of its own unless lines= says
    payment = f.payment(store, order)                     # succeeded; the order is paid
    f.refund(store, payment, 500)

Every factory takes the store first (a StoreInfo from `make_store`, or a Store). Called
outside a store context it opens one, commits, and returns the object detached with its
columns loaded (read `.id`, `.title`, `.number`...; relationships the factory says it
loads). Called inside `f.bound(store)` (or any context where that store is bound) it only
flushes, so factories compose and the caller commits.

The same builders are pytest fixtures (see the bottom of this module, registered from
conftest): `make` is this module, and `product`, `warehouse`, `order`, `member` build one
of each in the test's `store`.
"""
from __future__ import annotations

import itertools
import os
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)

ADDRESS = {"name": "张三", "phone": "13800000000", "region_code": "310115", "province": "上海市", "city": "上海市", "district": "浦东新区",
           "street": "世纪大道 1 号", "postcode": "200120"}
SHOPPER = {"name": "张三", "email": "zhang@example.com", "phone": "13800000000"}

# how to reach each order state from pending_payment, through the order services
ORDER_PATHS = {
    "pending_payment": [],
    "paid": ["paid"],
    "allocated": ["paid", "allocated"],
    "shipped": ["paid", "allocated", "shipped"],
    "delivered": ["paid", "allocated", "shipped", "delivered"],
    "completed": ["paid", "allocated", "shipped", "delivered", "completed"],
    "cancelled": ["cancelled"],
    "closed": ["paid", "closed"],
}

_app = None


def use_app(app) -> None:
    """Called once by the session's `app` fixture, so that factories need no app argument."""
    global _app
    _app = app


_hashes: dict[str, str] = {}


def password_hash(password: str = PASSWORD) -> str:
    """The argon2 hash of `password`, computed once per run (a hash keeps its own salt, so one
    serves every account; hashing on purpose costs tens of milliseconds)."""
    from app.core.security import hash_password

    if password not in _hashes:
        _hashes[password] = hash_password(password)
    return _hashes[password]


@contextmanager
def _fast_hashing():
    """The services' password hashing answered from `password_hash` while a factory runs."""
    from unittest import mock

    with mock.patch("app.blueprints.platform.services.hash_password", password_hash), \
            mock.patch("app.blueprints.store.services.hash_password", password_hash), \
            mock.patch("app.blueprints.members.services.hash_password", password_hash):
        yield


def unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid() % 1000}-{next(_seq)}"


# --- binding ----------------------------------------------------------------------------------

def _store_id(store) -> int:
    return store if isinstance(store, int) else store.id


@contextmanager
def bound(store, request: bool = False):
    """The store bound for what follows; commits at the end (rolls back on error). With
    `request=True` a request context in English is pushed too (services that format
    messages or read the locale need one)."""
    from app.blueprints.platform.models import Store
    from app.core.tenancy import store_context
    from app.extensions import db

    ctx = _app.test_request_context(headers={"Accept-Language": "en"}) if request else _app.app_context()
    with ctx:
        db.session().expire_on_commit = False    # objects stay readable after the context ends
        with store_context(db.session.get(Store, _store_id(store))):
            try:
                yield db.session
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise


@contextmanager
def _within(store):
    """Reuse the caller's context when that store is bound already (flush only); else open one."""
    from app.core.tenancy import bound_store
    from app.extensions import db

    current = bound_store()
    if current is not None and current.id == _store_id(store):
        yield db.session
        db.session.flush()
    else:
        with bound(store, request=True) as session:
            yield session


def read(store, fn):
    """`fn()` with the store bound; its value (rows come back detached, readable)."""
    with bound(store) as session:
        value = fn()
        session.expunge_all()
        return value


def db_session():
    from app.extensions import db

    return db.session


def get(store, model, object_id: int):
    """One row by id, detached with its columns loaded."""
    with bound(store) as session:
        return session.get(model, object_id)


def count(store, model, *where) -> int:
    from sqlalchemy import func, select

    with bound(store) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


# --- platform ---------------------------------------------------------------------------------

def store(plan: str = "standard", **kwargs):
    """A new store (its own schema, six built-in roles, an owner whose password is PASSWORD)."""
    from app.blueprints.platform.services import create_store
    from app.extensions import db
    from tests.conftest import StoreInfo

    slug = kwargs.pop("slug", None) or unique("shop")
    with _app.app_context(), _fast_hashing():
        kwargs.setdefault("default_locale", "en")
        row = create_store(None, slug, kwargs.pop("name", f"Store {slug}"), f"owner@{slug}.cn", PASSWORD,
                           plan_code=plan, **kwargs)
        db.session.commit()
        return StoreInfo(row)


def drop_store(info) -> None:
    """Remove a store and its schema (what a module-scoped store does when its module ends)."""
    from app.blueprints.platform.models import Store
    from app.blueprints.platform.services import delete_store
    from app.extensions import db

    from app.core.retry import in_transaction

    def drop():
        row = db.session.get(Store, info.id)
        if row is not None and row.status != "deleted":
            delete_store(None, row, row.slug)

    with _app.app_context():   # the worker may still be handling the store's last events: a deadlock runs it again
        in_transaction(drop)


def platform_audit_entry(label: str, action: str = "platform.test"):
    """One entry of the platform audit log, labelled `label`."""
    from app.core import audit
    from app.extensions import db

    with _app.app_context():
        db.session().expire_on_commit = False
        entry = audit.record_platform(None, action, label=label)
        db.session.commit()
        return entry


def platform_user(email: str | None = None, name: str = "Admin"):
    from app.blueprints.platform.services import create_platform_user
    from app.extensions import db

    with _app.app_context(), _fast_hashing():
        db.session().expire_on_commit = False
        user = create_platform_user(None, email or f"{unique('admin')}@houtai.cn", name, PASSWORD)
        db.session.commit()
        return user


def supplier(email: str | None = None, name: str = "Supplier", company: str = "Supplier Co", store=None,
             code: str = "SUP1"):
    """A supplier account (password PASSWORD), linked to `store` when given."""
    from app.blueprints.platform.services import create_supplier_account, link_supplier
    from app.extensions import db

    with _app.app_context(), _fast_hashing():
        db.session().expire_on_commit = False
        account = create_supplier_account(None, email or f"{unique('supplier')}@supplier.cn", name, company, PASSWORD)
        db.session.flush()
        if store is not None:
            link_supplier(None, account, store.slug, code)
        db.session.commit()
        return account


def client(realm: str = "store", email: str | None = None, store=None):
    """A test client signed in as `email` (the store's owner when not given)."""
    test_client = _app.test_client()
    if realm == "store":
        test_client.login("store", email or store.owner_email, slug=store.slug)
    else:
        test_client.login(realm, email)
    return test_client


# --- store: staff, roles, webhooks, saved filters --------------------------------------------

def role(store, permissions: list[str] | None = None, name: str | None = None):
    from app.blueprints.store import services

    with _within(store) as session:
        row = services.create_role(None, name or unique("role"), "", permissions or ["store.dashboard"])
        session.flush()
        return row


def staff(store, role_name: str | None = None, permissions: list[str] | None = None, status: str = "active",
          email: str | None = None, name: str = "Staff"):
    """A staff member with a built-in role (`role_name`: owner, operations, service, warehouse,
    finance, purchasing) or a role of their own with exactly `permissions`. Active members
    have the password PASSWORD; `status="invited"` leaves the invitation open."""
    from sqlalchemy import select

    from app.blueprints.store import services
    from app.blueprints.store.models import Role

    email = email or f"{unique('staff')}@{store.slug}.cn"
    with _within(store) as session:
        if permissions is not None:
            role_obj = services.create_role(None, unique("role"), "", permissions)
            session.flush()
        else:
            role_obj = session.scalar(select(Role).where(Role.builtin == (role_name or "operations")))
        member, _token = services.invite_staff(None, email, name, role_obj.id)
        if status in ("active", "disabled"):
            member.password_hash = password_hash()
            member.status = status
        session.flush()
        return member


def staff_client(store, role_name: str | None = None, permissions: list[str] | None = None):
    """A client signed in as a new staff member (see `staff`)."""
    return client("store", staff(store, role_name, permissions).email, store=store)


def webhook(store, url: str = "https://hooks.example.com/houtai", topics=("order.paid",), description: str = ""):
    from app.blueprints.store.webhooks import WebhookEndpoint
    import secrets

    with _within(store) as session:
        # inserted directly: the service may resolve the host name, and tests run offline
        row = WebhookEndpoint(url=url, description=description, topics=list(topics), secret=secrets.token_hex(24),
                              active=True)
        session.add(row)
        session.flush()
        return row


def webhook_delivery(store, endpoint=None, status: str = "dead", topic: str = "order.paid"):
    from app.blueprints.store.webhooks import WebhookDelivery

    with _within(store) as session:
        endpoint = endpoint or webhook(store)
        row = WebhookDelivery(endpoint_id=endpoint.id, topic=topic, body='{"test": true}', status=status,
                              attempts=1 if status != "pending" else 0)
        session.add(row)
        session.flush()
        return row


def saved_filter(store, staff_id: int = 1, view: str = "orders.orders", name: str | None = None,
                 query: str = "status=paid"):
    from app.core import savedfilters

    with _within(store) as session:
        row = savedfilters.save(staff_id, view, name or unique("filter"), query)
        session.flush()
        return row


def event(store, topic: str = "test.effect", payload: dict | None = None, status: str = "pending"):
    """An outbox event as a service would emit it (`status="dead"` for one a person must retry)."""
    from app.core.outbox import OutboxEvent

    with _within(store) as session:
        row = OutboxEvent(topic=topic, payload=payload or {}, status=status, attempts=5 if status == "dead" else 0)
        session.add(row)
        session.flush()
        return row


def task(store, kind: str = "store.audit_export", state: str = "done", title: str = "Audit export"):
    """A background task row in `state`, as the jobs page lists it (not queued to a worker)."""
    from app.core.tasks import Task

    with _within(store) as session:
        row = Task(kind=kind, title=title, params={}, state=state, created_by_name="system")
        session.add(row)
        session.flush()
        return row


def audit_entry(store, action: str = "test.done", label: str = "test"):
    from app.core import audit

    with _within(store):
        audit.record(None, action, None, label=label)


# --- catalog ----------------------------------------------------------------------------------

def category(store, name: str | None = None, parent=None, template=None):
    from app.blueprints.catalog import services

    with _within(store):
        return services.create_category(None, name or unique("类目"), getattr(parent, "id", parent),
                                        getattr(template, "id", template))


def brand(store, name: str | None = None, name_en: str = "", enabled: bool = True):
    from app.blueprints.catalog import services

    with _within(store):
        return services.save_brand(None, None, name or unique("品牌"), name_en, "", enabled)


def template(store, name: str | None = None, attributes: dict[str, list[str]] | None = None):
    """An attribute template with sales attributes, e.g. {"颜色": ["红", "蓝"], "尺码": ["S", "M"]}."""
    from app.blueprints.catalog import services

    with _within(store) as session:
        row = services.save_template(None, None, name or unique("模板"), "")
        session.flush()
        for attr_name, options in (attributes or {}).items():
            services.add_attribute(None, row, attr_name, "sales", "choice", options=list(options))
        session.flush()
        return row


def attribute(store, template_obj=None, name: str | None = None, kind: str = "key", input_type: str = "text",
              options: list[str] | None = None):
    from app.blueprints.catalog import services

    from app.blueprints.catalog.models import AttributeTemplate

    with _within(store) as session:
        template_obj = session.get(AttributeTemplate, template_obj.id) if template_obj is not None else template(store)
        row = services.add_attribute(None, template_obj, name or unique("属性"), kind, input_type,
                                     options=options)
        session.flush()
        return row


def product(store, title: str | None = None, price: int = 1000, list_price: int | None = None, cost: int = 100,
            stock: int = 0,
            warehouse=None, status: str = "on_sale", category_obj=None, options: dict[str, list[str]] | None = None,
            tags: str = ""):
    """A product with its SKUs (`.skus` is loaded), priced, in `status`, and with `stock`
    received for every SKU into `warehouse` (a new one when not given and stock > 0).
    `options` makes a SKU grid, e.g. {"颜色": ["红", "蓝"], "尺码": ["S", "M", "L"]} → 6 SKUs."""
    from sqlalchemy import select

    from app.blueprints.catalog import services
    from app.blueprints.catalog.models import Attribute, Product
    from app.blueprints.inventory import services as inventory

    with _within(store) as session:
        tpl = template(store, attributes=options) if options else None
        category_obj = category_obj or category(store, template=tpl)
        row = services.save_product(None, None, title=title or unique("商品"), category_id=category_obj.id,
                                    tags=tags)
        session.flush()
        if options:
            attrs = {a.name: a.id for a in session.scalars(select(Attribute).where(Attribute.template_id == tpl.id))}
            services.set_sales_options(None, row, {attrs[n]: list(v) for n, v in options.items()})
            session.flush()
        services.set_all_prices(None, row, list_price if list_price is not None else price + 1000, price, cost)
        if status != "draft":
            services.change_status(None, row, status)
        session.flush()
        session.refresh(row)
        skus = list(row.skus)
        if stock:
            warehouse = warehouse or globals()["warehouse"](store)
            for sku in skus:
                inventory.receive(None, sku.id, getattr(warehouse, "id", warehouse), stock, "factory")
        session.flush()
        for sku in skus:                  # loaded, so readable once detached
            sku.code, sku.options
        session.get(Product, row.id)
        return row


def sku(store, **kwargs):
    """The one SKU of a new product (same arguments as `product`)."""
    return product(store, **kwargs).skus[0]


def image(store, product_obj=None, data: bytes | None = None):
    from app.blueprints.catalog import services

    with _within(store) as session:
        product_obj = product_obj or product(store)
        row = services.add_image(None, product_obj, data or png())
        session.flush()
        return row


def tier_price(store, sku_obj=None, price: int = 800, min_quantity: int | None = 3, member_group: str | None = None):
    from app.blueprints.catalog import pricing
    from app.blueprints.catalog.models import Sku

    with _within(store) as session:
        sku_obj = session.get(Sku, sku_obj.id) if sku_obj is not None else sku(store)
        row = pricing.add_tier_price(None, sku_obj, price, member_group=member_group,
                                     min_quantity=None if member_group else min_quantity)
        session.flush()
        return row


def png(width: int = 2, height: int = 2) -> bytes:
    """A real, tiny PNG."""
    import struct
    import zlib

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# --- inventory --------------------------------------------------------------------------------

def warehouse(store, code: str | None = None, name: str = "仓库", kind: str = "own", priority: int = 10,
              active: bool = True):
    from app.blueprints.inventory import services

    with _within(store) as session:
        row = services.save_warehouse(None, None, code or f"W{next(_seq)}", name, kind, "", priority, active)
        session.flush()
        return row


def location(store, warehouse_obj=None, zone: str = "A", aisle: str = "01", shelf: str = "01", bin_: str | None = None):
    from app.blueprints.inventory import services
    from app.blueprints.inventory.models import Warehouse

    with _within(store) as session:
        warehouse_obj = session.get(Warehouse, warehouse_obj.id) if warehouse_obj is not None else warehouse(store)
        row = services.add_location(None, warehouse_obj, zone, aisle, shelf, bin_ or f"{next(_seq):02d}")
        session.flush()
        return row


def stock(store, sku_obj, warehouse_obj, quantity: int):
    """Receive `quantity` of the SKU into the warehouse (one ledger row)."""
    from app.blueprints.inventory import services

    with _within(store):
        return services.receive(None, getattr(sku_obj, "id", sku_obj), getattr(warehouse_obj, "id", warehouse_obj),
                                quantity, "factory")


def document(store, doc_type: str = "inbound", kind: str | None = None, warehouse_obj=None, lines=None,
             to_warehouse=None):
    """A stock document (inbound, outbound, transfer, stocktake) in its first state, with
    `lines` as [(sku, quantity)]; an inbound gets one line of a new product when not given."""
    from app.blueprints.inventory import documents
    from app.blueprints.catalog.models import Sku

    default_kind = {"inbound": "purchase", "outbound": "other", "transfer": "transfer", "stocktake": "full"}
    with _within(store) as session:
        warehouse_obj = warehouse_obj or warehouse(store)
        if doc_type == "transfer" and to_warehouse is None:
            to_warehouse = warehouse(store)
        row = documents.create(None, doc_type, kind or default_kind[doc_type], warehouse_obj.id,
                               to_warehouse_id=getattr(to_warehouse, "id", to_warehouse), reference=unique("REF"))
        session.flush()
        if lines is None and doc_type == "inbound":
            lines = [(sku(store), 5)]
        for sku_obj, quantity in lines or []:
            code = session.get(Sku, getattr(sku_obj, "id", sku_obj)).code
            documents.add_line(None, row, code, quantity)
        session.flush()
        return row


# --- shoppers ---------------------------------------------------------------------------------

def member(store, email: str | None = None, name: str = "张三", password: str = PASSWORD):
    """A shopper account of the store (sign in with `f.shopper_client`)."""
    from app.blueprints.members import services

    with _within(store) as session, _fast_hashing():
        row = services.register(email or f"{unique('shopper')}@example.com", password, name, "13800000000")
        session.flush()
        return row


def address(store, member_obj=None, **values):
    from app.blueprints.members import services
    from app.blueprints.members.models import Member

    with _within(store) as session:
        member_obj = session.get(Member, member_obj.id) if member_obj is not None else member(store)
        row = services.save_address(member_obj, {**ADDRESS, **values})
        session.flush()
        return row


def shopper_client(store, member_obj=None):
    """A client signed in to the storefront as `member_obj` (a new member when not given)."""
    member_obj = member_obj or member(store)
    test_client = _app.test_client()
    response = test_client.form(f"/shop/{store.slug}/login", {"email": member_obj.email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code
    return test_client


def level(store, code: str | None = None, threshold: int = 0, name: str | None = None, **benefits):
    """A member level (growth value `threshold`); benefits: discount_percent, free_shipping,
    points_multiplier, birthday_coupon."""
    from app.blueprints.members import loyalty

    code = code or unique("lv").replace("-", "_")
    values = {"code": code, "name": name or code.upper(), "threshold": threshold, "discount_percent": 100,
              "points_multiplier": 100, **benefits}
    with _within(store) as session:
        row = loyalty.save_level(None, values)
        session.flush()
        return row


def on_level(store, member_obj, level_obj):
    """Put the member on the level (as staff would)."""
    from app.blueprints.members import loyalty
    from app.blueprints.members.models import Level, Member

    with _within(store) as session:
        loyalty.set_level(None, session.get(Member, member_obj.id), session.get(Level, level_obj.id), "factory")
        session.flush()


def segment(store, name: str | None = None, rules: dict | None = None):
    from app.blueprints.members import segments

    with _within(store) as session:
        row = segments.save_segment(None, {"name": name or unique("segment"), **(rules or {})})
        session.flush()
        return row


# --- orders and money -------------------------------------------------------------------------

def order(store, state: str = "pending_payment", lines=None, member_obj=None, quantity: int = 1, price: int = 1000,
          address_values: dict | None = None, key: str | None = None, **kwargs):
    """An order placed through `place_order` and moved to `state` through the order services
    (see ORDER_PATHS). `lines` is [(sku, quantity)]; a new product with enough stock when
    not given. `.lines` is loaded."""
    from app.blueprints.orders import services
    from app.blueprints.orders.models import Order

    if state not in ORDER_PATHS:
        raise ValueError(f"no path to order state {state!r}")
    with _within(store) as session:
        if lines is None:
            lines = [(sku(store, price=price, stock=max(10, quantity)), quantity)]
        shopper = dict(SHOPPER)
        if member_obj is not None:
            shopper.update(name=member_obj.name, email=member_obj.email)
        row = services.place_order([services.LineRequest(getattr(s, "id", s), q) for s, q in lines],
                                   address_values or ADDRESS, shopper=shopper,
                                   shopper_id=getattr(member_obj, "id", None), idempotency_key=key, **kwargs)
        session.flush()
        for step in ORDER_PATHS[state]:
            _order_step(services, row, step)
            session.flush()
        row = session.get(Order, row.id)
        list(row.lines)
        return row


def _order_step(services, row, step: str) -> None:
    if step == "paid":
        services.mark_paid(None, row, "factory")
    elif step == "cancelled":
        services.cancel_order(None, row, "factory")
    elif step == "closed":
        services.close_order(None, row, "factory")
    elif step == "allocated":
        services.allocate(None, row)
    elif step == "shipped":
        services.ship(None, row, "SF0000000001")
    elif step == "delivered":
        services.deliver(None, row)
    elif step == "completed":
        services.confirm_receipt(None, row)


def payment(store, order_obj=None, status: str = "succeeded", gateway: str = "sandbox"):
    """A payment of the order's payable amount through `start_payment`; `succeeded` also
    marks the order paid (as the payment.succeeded handler does)."""
    from app.blueprints.orders import services as orders
    from app.blueprints.orders.models import Order
    from app.blueprints.payments import services
    from app.core.db import utcnow

    with _within(store) as session:
        order_obj = session.get(Order, order_obj.id) if order_obj is not None else order(store)
        row = services.start_payment(order_obj, gateway)
        session.flush()
        if status != "pending":
            services.move(row, status, "factory")
        if status == "succeeded":
            row.paid_at = row.gateway_paid_at = utcnow()
            row.gateway_trade_no = unique("T")
            orders.record_payment(order_obj, row.number, row.amount)
        session.flush()
        return row


def refund(store, payment_obj=None, amount: int | None = None, status: str = "succeeded", reason: str = "",
           lines: dict | None = None):
    """A refund row of the payment (not sent to any gateway); a succeeded one moves the
    payment to partially_refunded or refunded. `lines` is {order line id: (units, amount)}
    (the amount is then their sum unless given)."""
    from app.blueprints.payments import services
    from app.blueprints.payments.models import Payment, Refund
    from app.core.db import utcnow

    with _within(store) as session:
        payment_obj = session.get(Payment, payment_obj.id) if payment_obj is not None else payment(store)
        by_line = {str(i): {"quantity": q, "amount": a} for i, (q, a) in (lines or {}).items()}
        amount = amount or sum(part["amount"] for part in by_line.values()) or payment_obj.amount
        row = Refund(payment_id=payment_obj.id, request_id=unique("refund"), amount=amount, reason=reason,
                     status=status, finished_at=utcnow() if status != "pending" else None, lines=by_line)
        session.add(row)
        session.flush()
        if status == "succeeded":
            refunded = sum(session.scalars(db_select_refunds(payment_obj.id)))
            target = "refunded" if refunded >= payment_obj.amount else "partially_refunded"
            if payment_obj.status != target:
                services.move(payment_obj, target, "factory")
            session.flush()
        return row


def db_select_refunds(payment_id: int):
    from sqlalchemy import select

    from app.blueprints.payments.models import Refund

    return select(Refund.amount).where(Refund.payment_id == payment_id, Refund.status == "succeeded")


def reconciliation(store, gateway: str = "sandbox", day: date | None = None, differences: int = 1):
    """A finished reconciliation run with `differences` open items (payment amount mismatches)."""
    from app.blueprints.payments.models import ReconciliationItem, ReconciliationRun
    from app.core.db import utcnow

    with _within(store) as session:
        day = day or (date.today() - timedelta(days=next(_seq)))
        run = ReconciliationRun(gateway=gateway, day=day, status="done", statement_rows=differences,
                                differences=differences, finished_at=utcnow())
        session.add(run)
        session.flush()
        for i in range(differences):
            session.add(ReconciliationItem(run_id=run.id, kind="amount_mismatch", record="payment",
                                           reference=unique("P"), our_amount=1000, gateway_amount=900))
        session.flush()
        return run


# --- as fixtures --------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _factories_follow_app(app):
    """Factories build through the app the test uses (a test package may point `app` elsewhere,
    as tests/pgbouncer does)."""
    use_app(app)
    yield

@pytest.fixture()
def make():
    """This module: `make.product(store, stock=3)`."""
    import tests.factories as module

    return module


@pytest.fixture(name="warehouse")
def warehouse_fixture(store):
    return warehouse(store)


@pytest.fixture(name="product")
def product_fixture(store):
    """A product on sale with one SKU and 10 in stock, in the test's store."""
    return product(store, stock=10)


@pytest.fixture(name="order")
def order_fixture(store):
    """An order waiting for payment, in the test's store."""
    return order(store)


@pytest.fixture(name="member")
def member_fixture(store):
    return member(store)


@pytest.fixture(scope="module")
def module_store(app):
    """One store for every test of a module that only needs the database (the module's tests
    must not count on an empty store); dropped with its schema when the module ends."""
    use_app(app)
    info = store()
    yield info
    drop_store(info)


@pytest.fixture(scope="module")
def module_owner(app, module_store):
    return client("store", store=module_store)


# --- dispatch -----------------------------------------------------------------------------------

def notice(store, order_obj=None, **order_kwargs):
    """The first delivery notice of a paid order (a new one unless given), routed at once
    (the `order.paid` handler finds it done)."""
    from app.blueprints.dispatch import services

    with _within(store) as session:
        order_obj = order_obj or order(store, state="paid", **order_kwargs)
        row = services.create_notices(order_obj.id)[0]
        session.flush()
        list(row.lines)
        return row


def wave(store, notices=None):
    """A picking wave of `notices` (one new notice when not given)."""
    from app.blueprints.dispatch import services

    with _within(store) as session:
        notices = notices or [notice(store)]
        row = services.create_wave(None, [n.id for n in notices])
        session.flush()
        return row


def freight_template(store, name: str | None = None, basis: str = "piece", rate=(1, 1000, 1, 500), rules=(),
                     free_rules=(), undeliverable=(), products=()):
    """A freight template (the store's first becomes its default); `rate` = (first units, first
    fee, additional units, additional fee) in stored units; `rules` = [(codes, rate)];
    `free_rules` = [(codes, kind, threshold)]; `products` get it as their template."""
    from app.blueprints.catalog.models import Product
    from app.blueprints.logistics import freight

    def _rate(r):
        return dict(zip(("first_units", "first_fee", "extra_units", "extra_fee"), r))

    with _within(store) as session:
        row = freight.save_template(None, {
            "name": name or unique("运费"), "basis": basis, **_rate(rate), "undeliverable": list(undeliverable),
            "rules": [{"regions": list(codes), **_rate(r)} for codes, r in rules],
            "free_rules": [{"regions": list(codes), "kind": kind, "threshold": threshold}
                           for codes, kind, threshold in free_rules]})
        for product_id in products:
            session.get(Product, product_id).freight_template_id = row.id
        session.flush()
        row.rules, row.free_rules
        return row


# --- purchasing ---------------------------------------------------------------------------------

def supplier_record(store, account=None, code: str | None = None, name: str | None = None,
                    email: str = "orders@supplier.cn", lead_time_days: int = 7):
    """A supplier in the store's directory; with `account` (a platform supplier account) it is
    linked to the store, so that account's users see it in the portal."""
    from app.blueprints.platform.services import link_supplier_account
    from app.blueprints.purchasing import services

    with _within(store) as session:
        code = code or f"S{next(_seq)}"
        row = services.save_supplier(None, None, code=code, name=name or unique("供应商"), email=email,
                                     lead_time_days=lead_time_days)
        session.flush()
        if account is not None:
            row.account_id = account.id
            link_supplier_account(None, account.id, _store_id(store), row.code)
            session.flush()
        return row


def supplier_sku(store, supplier_obj, sku_obj, price: int = 500, moq: int = 1, pack_size: int = 1,
                 lead_time_days: int = 7, preferred: bool = True):
    from app.blueprints.catalog.models import Sku
    from app.blueprints.purchasing import services

    with _within(store) as session:
        code = session.get(Sku, getattr(sku_obj, "id", sku_obj)).code
        row = services.save_supplier_sku(None, None, supplier_id=supplier_obj.id, sku_code=code, price=price,
                                         supplier_code=f"X-{code}", moq=moq, pack_size=pack_size,
                                         lead_time_days=lead_time_days, preferred=preferred)
        session.flush()
        return row


PO_STEPS = ("draft", "submitted", "approved", "sent", "confirmed", "shipped", "received")


def purchase_order(store, supplier_obj=None, lines=None, state: str = "draft", warehouse_obj=None,
                   unit_price: int = 500, tax_rate: int = 1300, confirm_date=None):
    """A purchase order of `lines` [(sku, quantity)] (one new SKU × 10 when not given), walked
    to `state` along the happy path: submitted and approved (by the system when under the
    store's approval amount), sent, confirmed in full, shipped on one notice, received."""
    from datetime import date, timedelta

    from app.blueprints.purchasing import orders
    from app.blueprints.purchasing.models import PurchaseOrder

    with _within(store) as session:
        supplier_obj = supplier_obj or supplier_record(store)
        warehouse_obj = warehouse_obj or warehouse(store)
        lines = lines if lines is not None else [(sku(store), 10)]
        po = orders.create_order(None, supplier_obj.id, warehouse_obj.id)
        for sku_obj, quantity in lines:
            orders.add_line(None, po, getattr(sku_obj, "id", sku_obj), quantity, unit_price, tax_rate)
        session.flush()
        steps = PO_STEPS[:PO_STEPS.index(state) + 1]
        if "submitted" in steps:
            orders.MACHINE.move(po, "submitted", None)
        if "approved" in steps:
            orders.approve(None, po)
        if "sent" in steps:
            orders.send(None, po)
        if "confirmed" in steps:
            when = confirm_date or date.today() + timedelta(days=3)
            orders.confirm_lines(None, po, {l.id: ("confirm", l.quantity, when) for l in po.lines})
        if "shipped" in steps:
            orders.create_asn(None, po.supplier_id, {l.id: l.confirmed for l in po.lines}, date.today())
        if "received" in steps:
            from app.blueprints.purchasing.models import Asn, AsnLine

            from sqlalchemy import select

            asn_row = session.scalar(select(Asn).join(AsnLine).where(AsnLine.po_line_id == po.lines[0].id))
            orders.receive_asn(None, asn_row, {l.id: (l.quantity, 0, "") for l in asn_row.lines})
        session.flush()
        session.refresh(po)
        list(po.lines)
        po.supplier
        return session.get(PurchaseOrder, po.id)


# --- customer service ---------------------------------------------------------------------------

def service_queue(store, name: str | None = None, skill: str = "general", strategy: str = "round_robin"):
    from app.blueprints.service import services

    with _within(store) as session:
        row = services.save_queue(None, None, name or unique("队列"), skill, strategy, True)
        session.flush()
        return row


def service_agent(store, queues=(), online: bool = True, max_open: int = 20, staff_obj=None, present: bool = True):
    """An agent (a new staff member of the customer-service role) working `queues`, switched
    online and seen just now unless told otherwise."""
    from app.blueprints.service import services
    from app.blueprints.service.models import Queue

    staff_obj = staff_obj or staff(store, "customer_service", name=unique("客服"))
    with _within(store) as session:
        agent = services.ensure_agent(staff_obj)
        services.save_agent(None, agent, [q.id for q in queues], max_open, True)
        agent.online = online
        if present:
            services.touch_presence(staff_obj.id)
        session.flush()
        agent.staff_email = staff_obj.email
        list(agent.queues)
        return agent


def service_policy(store, priority: str = "normal", first: int = 60, resolution: int = 240, warn: int = 15,
                   queue_obj=None):
    from app.blueprints.service import services

    with _within(store) as session:
        row = services.save_policy(None, None, {"name": unique("SLA"), "priority": priority,
                                                "queue_id": queue_obj.id if queue_obj else None,
                                                "first_response_minutes": first, "resolution_minutes": resolution,
                                                "warn_minutes": warn, "active": True})
        session.flush()
        return row


def canned_reply(store, title: str | None = None, body: str = "{姓名}，您好！订单 {订单号} 已处理。"):
    from app.blueprints.service import services

    with _within(store) as session:
        row = services.save_canned(None, None, title or unique("快捷回复"), body, True)
        session.flush()
        return row


def conversation(store, member_obj=None, order_number: str = "", body: str = "你好，请问什么时候发货？", files=()):
    """A shopper's thread with one message from them (which opens a ticket)."""
    from app.blueprints.members.models import Member
    from app.blueprints.service import services

    member_obj = member_obj or member(store)
    with _within(store) as session:
        shopper = session.get(Member, member_obj.id)
        row = services.conversation_for(shopper.id, order_number, shopper.name, shopper.email)
        services.post_message(row, "shopper", shopper, body, files)
        session.flush()
        session.refresh(row)
        return row


def ticket(store, subject: str | None = None, priority: str = "normal", queue_obj=None, conversation_obj=None):
    from app.blueprints.service import services
    from app.blueprints.service.models import Conversation

    with _within(store) as session:
        row = services.open_ticket(None, subject=subject or unique("工单"), priority=priority,
                                   queue_id=queue_obj.id if queue_obj else None,
                                   conversation=session.get(Conversation, conversation_obj.id) if conversation_obj
                                   else None)
        session.flush()
        return row
