"""Every route declares who may use it, and no store route lets one store reach another's rows."""
import re

import pytest

from app.core.permissions import PLATFORM, PUBLIC, REGISTRY, SUPPLIER

STORE_PREFIX = "/store/<slug>"


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def test_every_route_declares_a_permission(app):
    missing = []
    for rule in _rules(app):
        declared = getattr(app.view_functions[rule.endpoint], "permission", None)
        if declared is None:
            missing.append(rule.rule)
        elif rule.rule.startswith(STORE_PREFIX):
            assert declared in REGISTRY or declared in (PUBLIC, "store.signed_in"), rule.rule
        elif rule.rule.startswith("/platform"):
            assert declared in (PLATFORM, PUBLIC), rule.rule
        elif rule.rule.startswith("/supplier"):
            assert declared in (SUPPLIER, PUBLIC), rule.rule
    assert missing == [], f"routes without a permission declaration: {missing}"


# Which seeded kind an id argument names: the path segment before it (…/products/<int:id>),
# or the argument's own name (<int:sku_id>, <int:refund_id>, <number>).
KIND_OF_SEGMENT = {
    "attributes": "attribute", "brands": "brand", "categories": "category", "images": "image", "products": "product",
    "p": "product", "c": "category", "tiers": "tier", "events": "event", "documents": "document", "skus": "sku",
    "warehouses": "warehouse", "jobs": "task", "orders": "order", "payments": "payment", "refunds": "refund",
    "reconciliation": "reconciliation", "items": "item", "roles": "role", "saved-filters": "saved_filter",
    "staff": "staff", "webhooks": "webhook", "deliveries": "delivery", "templates": "template",
    "addresses": "address", "pay": "payment_number", "files": "file", "notices": "notice", "waves": "wave",
    "bulk-ship": "task", "freight": "freight_template", "shipments": "shipment",
    "suppliers": "supplier", "supplier-documents": "supplier_document", "applications": "application",
    "supplier-skus": "supplier_sku", "purchase-orders": "purchase_order", "debit-notes": "debit_note",
    "asns": "asn", "supplier-invoices": "supplier_invoice", "supplier-payments": "supplier_payment",
    "tickets": "ticket", "conversations": "conversation", "queues": "service_queue", "sla-policies": "sla_policy",
    "canned-replies": "canned_reply", "agents": "agent", "attachments": "attachment",
    "requests": "aftersales_request", "photos": "aftersales_photo",
    "members": "member_id", "segments": "segment", "levels": "level", "cards": "card_batch", "card": "card",
    "promotions": "promotion", "coupons": "coupon_template", "flash": "flash_session", "flash-items": "flash_item",
    "invoices": "invoice_request",
    "group-buys": "group_buy",
    "entries": "fin_entry", "accounts": "fin_account",
}
# other path arguments get every value that a view acts on
SAMPLES = {"action": ["delete", "cancel", "note", "default", "main", "line", "approve", "activate"], "direction": ["up"]}
OBJECT_ARGUMENTS = {"id", "sku_id", "refund_id", "item_id", "number", "key"}
# prefixes whose routes take objects of one store (the shop and its API sign shoppers in per store)
WALKED = ("/store/<slug>", "/shop/<slug>", "/api/v1/shop/<slug>", "/sandbox/<slug>")
# a form that every state change accepts, so that a missing check would act instead of failing validation
FORM = {"enabled": "0", "reason": "walk", "note": "walk", "amount": "1", "name": "walk", "quantity": "1",
        "tracking": "SF1", "reference": "walk", "action": "cancel", "confirmation": "walk"}
# rows the worker changes by itself after seeding (event relay, webhook sending, tasks)
VOLATILE_TABLES = {"outbox_events", "event_handler_runs", "webhook_deliveries", "webhook_attempts", "tasks",
                   "payment_notifications"}


def seed(store, marker: str) -> dict[str, list]:
    """One row of every kind an id-taking route reads, named with `marker`: kind -> ids
    (numbers for orders and payments, storage keys for files)."""
    from tests import factories as f

    from sqlalchemy import select

    from app.blueprints.payments.models import ReconciliationItem
    from app.extensions import db

    with f.bound(store, request=True):
        staff = f.staff(store, "operations", name=f"{f.unique(marker)} staff")
        role = f.role(store, ["store.dashboard"], name=f"{f.unique(marker)} role")
        webhook = f.webhook(store, topics=["test.never_emitted"], description=f"{f.unique(marker)} hook")
        delivery = f.webhook_delivery(store, webhook)
        saved = f.saved_filter(store, 1, name=f"{f.unique(marker)} filter")
        event = f.event(store, status="dead", payload={"marker": marker})
        task = f.task(store, title=f"{f.unique(marker)} task")
        template = f.template(store, name=f"{f.unique(marker)} template")
        attribute = f.attribute(store, template, name=f"{f.unique(marker)} attribute")
        category = f.category(store, name=f"{f.unique(marker)} category")
        brand = f.brand(store, name=f"{f.unique(marker)} brand")
        warehouse = f.warehouse(store, name=f"{f.unique(marker)} warehouse")
        product = f.product(store, title=f"{f.unique(marker)} product", stock=20, warehouse=warehouse, category_obj=category)
        sku = product.skus[0]
        tier = f.tier_price(store, sku)
        image = f.image(store, product)
        document = f.document(store, "inbound", warehouse_obj=warehouse, lines=[(sku, 3)])
        member = f.member(store, name=f"{f.unique(marker)} shopper")
        address = f.address(store, member, name=f"{f.unique(marker)} address")
        order = f.order(store, lines=[(sku, 1)], member_obj=member)
        paid = f.order(store, "paid", lines=[(sku, 1)], member_obj=member)
        paying = f.order(store, lines=[(sku, 2)], member_obj=member)
        payment = f.payment(store, paying)
        refund = f.refund(store, payment, 100, status="failed")
        run = f.reconciliation(store)
        notice = f.notice(store, paid)
        f.notice(store, paying)      # routed now, not later by the worker: both stores get their documents alike
        wave = f.wave(store)
        freight_template = f.freight_template(store, name=f"{f.unique(marker)} freight")
        level = f.level(store, name=f"{f.unique(marker)} level", threshold=int("".join(c for c in f.unique("t") if c.isdigit())))
        f.on_level(store, member, level)
        segment = f.segment(store, name=f"{f.unique(marker)} segment")
        from app.blueprints.members import cards, services as member_services
        from app.blueprints.promotions import coupons, services as promotions

        promotion = promotions.save_promotion(None, None, {"name": f"{f.unique(marker)} promotion", "kind": "amount_off",
                                                           "params": {"tiers": [[100, 10]]}})
        coupon_template = coupons.save_template(None, None, {"name": f"{f.unique(marker)} coupon", "kind": "amount_off",
                                                             "amount": 100, "quantity": 5, "valid_days": 3})
        from datetime import timedelta

        from app.blueprints.promotions import flash
        from app.core.db import utcnow

        flash_session = flash.save_session(None, None, f"{f.unique(marker)} flash", utcnow(), utcnow() + timedelta(hours=1))
        flash_item = flash.add_item(None, flash_session, sku.id, 100, 2)
        from app.blueprints.promotions import groupbuy

        group_buy = groupbuy.save_activity(None, None, {
            "name": f"{f.unique(marker)} group", "sku_id": sku.id, "group_price": 100, "group_size": 2,
            "time_limit_minutes": 60, "starts_at": utcnow(), "ends_at": utcnow() + timedelta(days=1)})
        groupbuy.set_status(None, group_buy, "active")
        from sqlalchemy import select

        batch = cards.create_batch(None, f"{f.unique(marker)} cards", "gift", 10000, 2)
        db.session.flush()
        card_ids = db.session.scalars(select(cards.Card.id).where(cards.Card.batch_id == batch.id)).all()
        cards.activate_card(None, db.session.get(cards.Card, card_ids[0]))
        member_services.earn_points(member.id, 100, order_id=paid.id)

        item_id = db.session.scalar(select(ReconciliationItem.id).where(ReconciliationItem.run_id == run.id))
        from app.blueprints.logistics import services as logistics

        shipment = logistics.create_shipment(None, notice_id=None, order_id=paid.id, order_number=paid.number,
                                             carrier_code="zhongtong", waybill_no="7" + "".join(c for c in f.unique("w") if c.isdigit()).rjust(13, "0"))
        purchasing = purchasing_rows(store, marker, sku, warehouse)
        from app.blueprints.service.models import Attachment

        queue = f.service_queue(store, name=f"{f.unique(marker)} queue")
        agent = f.service_agent(store, [queue], staff_obj=staff)
        policy = f.service_policy(store, queue_obj=queue)
        canned = f.canned_reply(store, title=f"{f.unique(marker)} canned")
        conversation = f.conversation(store, member, body=f"{marker} message", files=[("photo.png", f.png())])
        ticket = f.ticket(store, subject=f"{f.unique(marker)} ticket", queue_obj=queue, conversation_obj=conversation)
        attachment = db.session.scalar(select(Attachment.id).where(Attachment.conversation_id == conversation.id))
        from app.blueprints.aftersales import services as aftersales

        aftersales.save_settings(None, auto_approve_unshipped=False, auto_approve_under=None,
                                 refund_shipping="never", reply_hours=48, ship_back_days=7)
        request = aftersales.create_request(member, member.id, paying.number, aftersales.Ask(
            "refund_only", {paying.lines[0].id: 1}, aftersales.reasons()[0].id, f"{f.unique(marker)} request",
            (f.png(),)))
        from app.blueprints.invoices import services as invoices

        invoice = invoices.request_invoice(member, member.id, paid.number, "personal", f"{f.unique(marker)} invoice")
        from app.blueprints.finance import services as finance

        fin_entry = finance.post("manual", marker, [finance.dr("1002", 100), finance.cr("3001", 100)], rule="walk")
        fin_account = finance.create_account(None, f.unique("9")[:20], f"{marker} 科目", f"{marker} account", "expense")
        db.session.flush()
        return {
            **purchasing, "invoice_request": [invoice.id], "fin_entry": [fin_entry.id], "fin_account": [fin_account.id],
            "ticket": [ticket.id], "conversation": [conversation.id], "service_queue": [queue.id],
            "sla_policy": [policy.id], "canned_reply": [canned.id], "agent": [agent.id], "attachment": [attachment],
            "staff": [staff.id], "role": [role.id], "webhook": [webhook.id], "delivery": [delivery.id],
            "saved_filter": [saved.id], "event": [event.id], "task": [task.id], "template": [template.id],
            "attribute": [attribute.id], "category": [category.id], "brand": [brand.id], "warehouse": [warehouse.id],
            "product": [product.id], "sku": [sku.id], "tier": [tier.id], "image": [image.id], "file": [image.key],
            "document": [document.id], "address": [address.id], "member": [member], "member_id": [member.id],
            "segment": [segment.id], "level": [level.id], "card_batch": [batch.id], "card": card_ids,
            "order": [order.id, paid.id], "number": [order.number, paid.number], "payment": [payment.id],
            "payment_number": [payment.number], "refund": [refund.id], "reconciliation": [run.id], "item": [item_id],
            "notice": [notice.id], "wave": [wave.id], "freight_template": [freight_template.id],
            "shipment": [shipment.id], "aftersales_request": [request.id], "aftersales_number": [request.number],
            "aftersales_photo": [request.evidence[0].id], "promotion": [promotion.id], "coupon_template": [coupon_template.id],
            "flash_session": [flash_session.id], "flash_item": [flash_item.id], "group_buy": [group_buy.id],
        }


def purchasing_rows(store, marker: str, sku, warehouse) -> dict[str, list]:
    """A supplier with a document, a SKU link, an application, a received PO with its notice,
    an invoice and a debit note, all named with `marker`."""
    from datetime import date

    from app.blueprints.purchasing import orders, payables, services
    from app.blueprints.purchasing.models import Asn
    from app.extensions import db
    from tests import factories as f

    supplier = f.supplier_record(store, name=f"{f.unique(marker)} supplier")
    document = services.add_document(None, supplier, "contract", f"{marker}.pdf", b"%PDF-1.4 " + marker.encode())
    link = f.supplier_sku(store, supplier, sku)
    account = f.supplier(company=f"{marker} applicant")
    services.invite(None, account.email)
    application = services.apply(account, company=f"{marker} applicant", credit_code="91110000600037341L",
                                 contact_name=marker, contact_email=account.email,
                                 files=[(f"{marker}.pdf", b"%PDF-1.4 " + marker.encode())])
    po = f.purchase_order(store, supplier, lines=[(sku, 4)], state="received", warehouse_obj=warehouse)
    asn = db.session.scalar(db.select(Asn).where(Asn.supplier_id == supplier.id))
    invoice = orders.enter_invoice(None, po, f"{marker}-INV", date.today(), {po.lines[0].id: 2})
    debit = orders.return_to_supplier(None, po, {po.lines[0].id: 1}, f"{marker} broken")
    payment = payables.record_payment(None, supplier.id, date.today(), {invoice.id: 100}, reference=marker)
    db.session.flush()
    return {"supplier": [supplier.id], "supplier_document": [document.id], "application": [application.id],
            "supplier_sku": [link.id], "purchase_order": [po.id], "debit_note": [debit.id], "asn": [asn.id],
            "supplier_invoice": [invoice.id], "supplier_payment": [payment.id]}


def _kind(rule, argument: str) -> str:
    if argument in ("sku_id", "refund_id", "item_id"):
        return {"sku_id": "sku", "refund_id": "refund", "item_id": "item"}[argument]
    segment = re.search(r"([^/]+)/<(?:\w+:)?%s>" % argument, rule.rule).group(1)
    if argument == "number":
        return {"pay": "payment_number", "aftersales": "aftersales_number"}.get(segment, "number")
    kind = KIND_OF_SEGMENT.get(segment)
    assert kind, f"{rule.rule}: seed a row for routes under /{segment}/ in seed() and name it in KIND_OF_SEGMENT"
    return kind


def id_routes(app):
    """Every route of a store (back office, shop, shop API, sandbox) that takes an object."""
    return [r for r in _rules(app) if r.rule.startswith(WALKED) and OBJECT_ARGUMENTS & set(r.arguments)]


def urls_for(rule, slug: str, objects: dict[str, list]) -> list[str]:
    """The rule filled with `objects` (of the other store) under `slug`, one URL per combination."""
    import itertools

    names = [a for a in rule.arguments if a != "slug"]
    choices = []
    for name in names:
        if name in OBJECT_ARGUMENTS:
            values = objects[_kind(rule, name)]
        else:
            values = SAMPLES.get(name, ["x"])
        choices.append(values)
    out = []
    for combo in itertools.product(*choices):
        path = rule.rule.replace("<slug>", slug)
        for name, value in zip(names, combo):
            path = re.sub(r"<(?:[a-z]+:)?%s>" % name, str(value), path)
        out.append(path)
    return out


def schema_digest(app, store) -> dict[str, str]:
    """A checksum of every table of the store's schema (bar the worker's own bookkeeping)."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        tables = db.session.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY 1"),
                                    {"s": store.schema}).all()
        out = {}
        for table in tables:
            if table in VOLATILE_TABLES or table == "alembic_version":
                continue
            out[table] = db.session.scalar(text(
                f'SELECT md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) FROM "{store.schema}"."{table}" t'))
        db.session.rollback()
        return out


def settled(app, store) -> None:
    """Wait until the worker has relayed every event of the store (its handlers may change rows)."""
    from sqlalchemy import func, select

    from app.core.outbox import OutboxEvent
    from tests import factories as f
    from tests.conftest import wait_for

    wait_for(lambda: f.read(store, lambda: f.db_session().scalar(
        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status == "pending"))) == 0, timeout=60)


def _column(kind: str):
    """The column that a route's argument of `kind` is looked up by."""
    from app.blueprints.aftersales.models import AfterSalesRequest, Evidence
    from app.blueprints.catalog.models import Attribute, AttributeTemplate, Brand, Category, Product, ProductImage, Sku
    from app.blueprints.catalog.models import TierPrice
    from app.blueprints.dispatch.models import DeliveryNotice, Wave
    from app.blueprints.invoices.models import InvoiceRequest
    from app.blueprints.inventory.models import StockDocument, Warehouse
    from app.blueprints.members.models import Address, Card, CardBatch, Level, Member, Segment
    from app.blueprints.orders.models import Order
    from app.blueprints.payments.models import Payment, ReconciliationItem, ReconciliationRun, Refund
    from app.blueprints.service.models import Agent, Attachment, CannedReply, Conversation, Queue, SlaPolicy, Ticket
    from app.blueprints.store.models import Role, StaffUser
    from app.blueprints.store.webhooks import WebhookDelivery, WebhookEndpoint
    from app.core.outbox import OutboxEvent
    from app.core.savedfilters import SavedFilter
    from app.core.tasks import Task

    from app.blueprints.purchasing.models import (Asn, PurchaseOrder, Supplier, SupplierApplication,
                                                  SupplierDocument, SupplierInvoice, SupplierReturn, SupplierSku)

    return {
        "supplier": Supplier.id, "supplier_document": SupplierDocument.id, "application": SupplierApplication.id,
        "supplier_sku": SupplierSku.id, "purchase_order": PurchaseOrder.id, "debit_note": SupplierReturn.id,
        "asn": Asn.id, "supplier_invoice": SupplierInvoice.id,
        "staff": StaffUser.id, "role": Role.id, "webhook": WebhookEndpoint.id, "delivery": WebhookDelivery.id,
        "saved_filter": SavedFilter.id, "event": OutboxEvent.id, "task": Task.id, "template": AttributeTemplate.id,
        "attribute": Attribute.id, "category": Category.id, "brand": Brand.id, "warehouse": Warehouse.id,
        "product": Product.id, "sku": Sku.id, "tier": TierPrice.id, "image": ProductImage.id, "file": ProductImage.key,
        "document": StockDocument.id, "address": Address.id, "order": Order.id, "number": Order.number,
        "payment": Payment.id, "payment_number": Payment.number, "refund": Refund.id,
        "reconciliation": ReconciliationRun.id, "item": ReconciliationItem.id, "notice": DeliveryNotice.id,
        "wave": Wave.id, "ticket": Ticket.id, "conversation": Conversation.id, "service_queue": Queue.id,
        "sla_policy": SlaPolicy.id, "canned_reply": CannedReply.id, "agent": Agent.id, "attachment": Attachment.id,
        "wave": Wave.id, "aftersales_request": AfterSalesRequest.id, "aftersales_number": AfterSalesRequest.number,
        "aftersales_photo": Evidence.id, "invoice_request": InvoiceRequest.id,
        "member_id": Member.id, "segment": Segment.id, "level": Level.id, "card_batch": CardBatch.id,
        "card": Card.id,
    }.get(kind)


def _other_store_only(store, theirs: dict) -> dict:
    """The other store's objects for which `store` has no row of the same id (or number) at
    all, so that an answer other than 404 would mean the lookup left the store."""
    from sqlalchemy import select

    from app.extensions import db
    from tests import factories as f

    out = {}
    with f.bound(store):
        for kind, values in theirs.items():
            column = _column(kind)
            if column is None:
                out[kind] = values
                continue
            own = set(db.session.scalars(select(column).where(column.in_(values))))
            out[kind] = [v for v in values if v not in own]
    return out


def shopper_headers(app, store, member) -> dict:
    from tests.conftest import PASSWORD

    client = app.test_client()
    response = client.post(f"/api/v1/shop/{store.slug}/auth/token", json={"email": member.email, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def walk(app, a, b, a_rows, b_rows) -> int:
    """Visit every id-taking route of store A with store B's objects, signed in to A as its
    owner (back office) and as its shopper (shop and API). Every answer is 403/404 and shows
    none of B's data; nothing of B changes. Returns the number of requests made."""
    from tests import factories as f

    theirs = _other_store_only(a, b_rows)
    for kind, values in theirs.items():
        assert values, f"store B has no {kind} whose id store A lacks: seed B with more rows"
    owner = f.client("store", store=a)
    shopper = f.shopper_client(a, a_rows["member"][0])
    api = shopper_headers(app, a, a_rows["member"][0])
    settled(app, b)
    before = schema_digest(app, b)
    made, wrong = 0, []
    for rule in id_routes(app):
        client = owner if rule.rule.startswith("/store/") else shopper
        headers = api if rule.rule.startswith("/api/") else {}
        for path in urls_for(rule, a.slug, theirs):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if method == "GET":
                    response = client.get(path, headers=headers)
                elif rule.rule.startswith("/api/"):
                    response = client.open(path, method=method, json={}, headers=headers)
                else:
                    response = client.form(path, dict(FORM), headers=headers)
                made += 1
                if response.status_code not in (403, 404):
                    wrong.append((method, path, response.status_code))
                if b.marker in response.get_data(as_text=True):
                    wrong.append((method, path, "shows store B's data"))
    assert wrong == [], wrong
    assert schema_digest(app, b) == before, "a request to store A changed store B's rows"
    return made


class _Seeded:
    def __init__(self, info, marker):
        self.__dict__.update(info.__dict__)
        self.marker = marker


def two_seeded_stores(make_store):
    """Stores A and B with rows of every kind; B holds more of each, so that some of B's ids
    and order numbers do not exist in A at all (a 404 then proves the lookup stays in A)."""
    a = _Seeded(make_store(), "STOREAMARK")
    b = _Seeded(make_store(), "STOREBMARK")
    a_rows = seed(a, a.marker)
    settled(None, a)
    seed(b, b.marker)
    # rows the worker adds from events (finance's journal entries) come before B's second seed,
    # so that B's second rows have ids A never reaches, however slow the worker is today
    settled(None, b)
    b_rows = seed(b, b.marker)
    return a, b, a_rows, b_rows


def test_store_a_owner_cannot_reach_store_b_objects(app, make_store):
    a, b, a_rows, b_rows = two_seeded_stores(make_store)
    routes = id_routes(app)
    covered = {name for r in routes for name in r.arguments}
    assert {"id", "sku_id", "refund_id", "item_id", "number"} <= covered
    assert walk(app, a, b, a_rows, b_rows) > 100
    # the same objects under B's address: A's session is not valid there at all
    client = app.test_client()
    client.login("store", a.owner_email, slug=a.slug)
    for rule in routes:
        if not rule.rule.startswith("/store/"):
            continue
        for other in urls_for(rule, b.slug, b_rows)[:1]:
            response = client.get(other) if "GET" in rule.methods else client.form(other, dict(FORM))
            assert response.status_code in (302, 401, 403, 404), (other, response.status_code)
            assert not (response.status_code == 302 and f"/store/{b.slug}/login" not in response.headers["Location"])
            assert b.marker not in response.get_data(as_text=True)


def test_unknown_store_is_404(client):
    assert client.get("/store/no-such-store/login").status_code == 404


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok" and body["redis"] == "ok"
    assert body["redis_maxmemory_policy"] == "noeviction" and "warnings" not in body


def test_error_pages_in_both_languages(client):
    assert "Not found" in client.get("/platform/nothing-here").get_data(as_text=True)
    zh = client.get("/platform/nothing-here", headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 404 and "未找到" in zh.get_data(as_text=True)


def test_ids_beyond_the_database_integer_are_404_not_500(owner, store):
    """Found by schemathesis: /products/2147483648 reached PostgreSQL and failed there."""
    assert owner.get(f"/store/{store.slug}/catalog/products/2147483648").status_code == 404
    assert owner.get(f"/api/v1/shop/{store.slug}/products/99999999999").status_code == 404


def test_nul_characters_are_refused_not_a_server_error(client, store):
    """Found by schemathesis: a NUL in an email reached PostgreSQL, which cannot store it."""
    response = client.post(f"/api/v1/shop/{store.slug}/auth/token", json={"email": "a\u0000b", "password": "x"})
    assert response.status_code == 400 and response.get_json()["error"]["status"] == 400
    assert client.get(f"/store/{store.slug}/login?next=%00").status_code == 400
