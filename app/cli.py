"""Command line: `flask --app wsgi tenants ...`, `platform ...`, `demo seed`."""
from __future__ import annotations

import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.extensions import db

tenants = AppGroup("tenants", help="Create, list, migrate, suspend and delete stores.")
platform = AppGroup("platform", help="Platform staff accounts.")
demo = AppGroup("demo", help="Demo data.")

DEMO = {
    "admin": ("admin@houtai.cn", "admin-password"),
    "owner": ("owner@demo.houtai.cn", "owner-password"),
    "supplier": ("supplier@houtai.cn", "supplier-password"),
    "shopper": ("shopper@demo.houtai.cn", "shopper-password"),
}


def upgrade_platform() -> None:
    """Bring the platform schema to the newest revision."""
    import flask_migrate

    flask_migrate.upgrade(directory=current_app.extensions["migrate"].directory)


def _store(slug: str):
    from app.blueprints.platform.models import Store

    store = db.session.scalar(select(Store).where(Store.slug == slug, Store.status != "deleted"))
    if store is None:
        raise click.ClickException(f"no store with address {slug!r}")
    return store


@tenants.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--owner-email", required=True)
@click.option("--owner-password", required=True)
@click.option("--plan", "plan_code", default="standard", show_default=True)
@click.option("--locale", "default_locale", default="zh_CN", show_default=True)
def tenants_create(slug, name, owner_email, owner_password, plan_code, default_locale):
    """Create a store: schema, tables, roles and owner, all or nothing."""
    from app.blueprints.platform import services

    started = time.perf_counter()
    try:
        store = services.create_store(None, slug, name, owner_email, owner_password, plan_code=plan_code,
                                      default_locale=default_locale)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(f"{err.field or 'error'}: {err.message}")
    click.echo(f"created store {store.slug} (schema {store.schema_name}) in {time.perf_counter() - started:.2f}s")


@tenants.command("list")
def tenants_list():
    """Every store with its status and schema version."""
    from app.blueprints.platform.models import Store

    rows = db.session.scalars(select(Store).order_by(Store.id)).all()
    click.echo(f"{'id':>5}  {'slug':<24} {'status':<10} {'schema':<14} {'version':<14} name")
    for s in rows:
        click.echo(f"{s.id:>5}  {s.slug:<24} {s.status:<10} {s.schema_name or '':<14} {s.schema_version or '':<14} {s.name}")


@tenants.command("migrate")
@click.option("--jobs", "-j", type=int, default=None, help="stores migrated in parallel (default MIGRATE_JOBS)")
@click.option("--store", "slugs", multiple=True, help="only these stores")
def tenants_migrate(jobs, slugs):
    """Upgrade the platform schema, then every store schema and every pre-built schema
    waiting in the pool; report failures (exit 1)."""
    from app.blueprints.platform import schema_pool
    from app.blueprints.platform.models import Store
    from app.core.db import connect_args
    from app.core.schemas import migrate_schemas

    upgrade_platform()
    stmt = select(Store).where(Store.status != "deleted").order_by(Store.id)
    if slugs:
        stmt = stmt.where(Store.slug.in_(slugs))
    stores = db.session.scalars(stmt).all()
    by_schema = {s.schema_name: s for s in stores}
    pooled = [] if slugs else schema_pool.pooled_schemas()
    db.session.commit()
    started = time.perf_counter()
    url = db.engine.url.render_as_string(hide_password=False)
    results = migrate_schemas(url, list(by_schema) + pooled, jobs or current_app.config["MIGRATE_JOBS"],
                              args=connect_args(current_app.config))
    failed, pool_versions = 0, {}
    for r in results:
        store = by_schema.get(r.schema)
        label = store.slug if store else f"(pool) {r.schema}"
        if r.ok:
            if store:
                store.schema_version = r.after
            else:
                pool_versions[r.schema] = r.after
            state = "up to date" if r.before == r.after else f"{r.before} -> {r.after}"
            click.echo(f"ok      {label:<24} {state}")
        else:
            failed += 1
            click.echo(f"FAILED  {label:<24} {r.error}", err=True)
    schema_pool.record_versions(pool_versions)
    db.session.commit()
    click.echo(f"{len(results) - failed} schemas at head ({len(pooled)} pre-built), {failed} failed, "
               f"{time.perf_counter() - started:.2f}s")
    if failed:
        sys.exit(1)


@tenants.command("pool")
@click.option("--fill", is_flag=True, help="build schemas now until the pool is full")
@click.option("--size", type=int, default=None, help="how many to keep (default SCHEMA_POOL_SIZE)")
def tenants_pool(fill, size):
    """The pool of pre-built store schemas: how many wait at head; --fill builds the rest."""
    from app.blueprints.platform import schema_pool

    built = schema_pool.refill(size) if fill else 0
    target = schema_pool.pool_size() if size is None else size
    click.echo(f"{schema_pool.ready()} pre-built schemas ready (keeping {target}), {built} built now")


@tenants.command("revision")
@click.option("-m", "--message", required=True)
def tenants_revision(message):
    """(Developers) write a tenant migration for what the models changed."""
    from app.core.schemas import autogenerate_tenant_revision

    path = autogenerate_tenant_revision(db.engine, message)
    click.echo(f"wrote {path}" if path else "no changes: the models match the tenant migrations")


def _lifecycle(action: str, slug: str, **kwargs) -> None:
    from app.blueprints.platform import services

    store = _store(slug)
    try:
        getattr(services, action)(None, store, **kwargs)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message)
    click.echo(f"{store.slug}: {store.status}")


@tenants.command("suspend")
@click.argument("slug")
@click.option("--reason", default="")
def tenants_suspend(slug, reason):
    """Lock staff and shoppers out; data untouched."""
    _lifecycle("suspend_store", slug, reason=reason)


@tenants.command("reactivate")
@click.argument("slug")
def tenants_reactivate(slug):
    _lifecycle("reactivate_store", slug)


@tenants.command("delete")
@click.argument("slug")
@click.option("--confirm", required=True, help="repeat the slug")
def tenants_delete(slug, confirm):
    """Drop the store's schema; the platform keeps the record."""
    _lifecycle("delete_store", slug, confirmation=confirm)


@platform.command("create-admin")
@click.argument("email")
@click.option("--password", required=True)
@click.option("--name", default=None)
def create_admin(email, password, name):
    """Create a platform staff account."""
    from app.blueprints.platform import services

    try:
        services.create_platform_user(None, email, name or email.split("@")[0], password)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message)
    click.echo(f"platform admin {email} created")


@demo.command("seed")
def demo_seed():
    """Idempotent demo data: a platform admin, the store `demo` and a linked supplier."""
    from app.blueprints.platform import services
    from app.blueprints.platform.models import PlatformUser, Store, SupplierAccount

    services.ensure_plans()
    db.session.flush()
    email, password = DEMO["admin"]
    if not db.session.scalar(select(PlatformUser).where(func.lower(PlatformUser.email) == email)):
        services.create_platform_user(None, email, "Demo admin", password)
    owner_email, owner_password = DEMO["owner"]
    store = db.session.scalar(select(Store).where(Store.slug == "demo", Store.status != "deleted"))
    if store is None:
        store = services.create_store(None, "demo", "演示商店 Demo Store", owner_email, owner_password,
                                      owner_name="Demo owner", plan_code="standard")
    sup_email, sup_password = DEMO["supplier"]
    account = db.session.scalar(select(SupplierAccount).where(func.lower(SupplierAccount.email) == sup_email))
    if account is None:
        account = services.create_supplier_account(None, sup_email, "Demo supplier", "示例供应商 Demo Supplies Ltd",
                                                   sup_password)
        db.session.flush()
    if not any(link.store_id == store.id for link in account.links):
        services.link_supplier(None, account, "demo", "SUP-001")
    db.session.commit()
    _demo_catalog(store)
    _demo_freight(store)
    _demo_dispatch(store)
    _demo_service(store)
    _demo_purchasing(store, account.id)
    _demo_payables(store)
    _demo_members(store)
    _demo_tracking(store)
    _demo_promotions(store)
    _demo_aftersales(store)
    _demo_group_buy(store)
    click.echo("demo data ready")


def _demo_purchasing(store, account_id: int) -> None:
    """Purchasing in the demo store (once): the demo supplier in the directory with its SKUs,
    a purchase order waiting for its confirmation in the portal, one shipped, one received, and
    the replenishment suggestions and scorecard of tonight."""
    from datetime import timedelta

    from app.blueprints.catalog.models import Sku
    from app.blueprints.inventory.models import Warehouse
    from app.blueprints.purchasing import orders, replenishment, scorecard, services as purchasing
    from app.blueprints.purchasing.models import Supplier
    from app.core.db import utcnow
    from app.core.tenancy import store_context

    with store_context(store):
        if db.session.scalar(select(func.count(Supplier.id))):
            return
        warehouse = db.session.scalar(select(Warehouse).where(Warehouse.code == "SH01"))
        skus = db.session.scalars(select(Sku).order_by(Sku.id).limit(6)).all()
        if warehouse is None or not skus:
            return
        supplier = purchasing.save_supplier(None, None, code="SUP-001", name="示例供应商 Demo Supplies Ltd",
                                            credit_code="91110000600037341L", rating=4, categories=["服装"],
                                            email="supplier@demo.houtai.cn", lead_time_days=5)
        supplier.account_id = account_id
        db.session.flush()
        purchasing.add_contact(None, supplier, "王经理", "销售经理", "13800000010", "wang@demo-supplies.cn")
        for sku in skus:
            purchasing.save_supplier_sku(None, None, supplier_id=supplier.id, sku_code=sku.code,
                                         price=max(sku.cost_price, 100), supplier_code=f"DS-{sku.code}", moq=12,
                                         pack_size=6, preferred=True)
        when = utcnow().date() + timedelta(days=3)
        made = []
        for lines in ((skus[0], skus[1]), (skus[2],), (skus[3], skus[4])):
            po = orders.create_order(None, supplier.id, warehouse.id, expected_date=when)
            for sku in lines:
                orders.add_line(None, po, sku.id, 24)
            orders.submit(None, po)
            if po.status == "submitted":
                orders.approve(None, po)
            orders.send(None, po)
            made.append(po)
        for po in made[1:]:
            orders.confirm_lines(None, po, {line.id: ("confirm", line.quantity, when) for line in po.lines})
            orders.create_asn(None, supplier.id, {line.id: line.confirmed for line in po.lines}, utcnow().date(),
                              "顺丰速运", "SF2000000000001", 2)
        last = made[2]
        db.session.flush()
        from app.blueprints.purchasing.models import Asn, AsnLine

        asn = db.session.scalar(select(Asn).join(AsnLine).where(AsnLine.po_line_id == last.lines[0].id))
        orders.receive_asn(None, asn, {line.id: (line.quantity, 0, "") for line in asn.lines})
        replenishment.compute(trigger="nightly")
        scorecard.compute([supplier.id])


def _demo_payables(store) -> None:
    """Supplier invoices and payments in the demo store (once): the received PO billed by the
    supplier through the portal, matched and half paid by bank transfer; the shipped one billed
    before its goods arrived (the three-way match waits for them)."""
    from app.blueprints.purchasing import orders, payables
    from app.blueprints.purchasing.models import PurchaseOrder, Supplier, SupplierInvoice
    from app.core.tenancy import store_context

    with store_context(store):
        supplier = db.session.scalar(select(Supplier).where(Supplier.code == "SUP-001"))
        if supplier is None or db.session.scalar(select(func.count(SupplierInvoice.id))):
            return
        pos = db.session.scalars(select(PurchaseOrder).where(PurchaseOrder.supplier_id == supplier.id)
                                 .order_by(PurchaseOrder.id)).all()
        received = next((po for po in pos if any(line.received for line in po.lines)), None)
        shipped = next((po for po in pos if po is not received and any(line.shipped for line in po.lines)), None)
        today = orders.today_in_store()
        if received is not None:
            invoice = orders.enter_invoice(None, received, "DS-INV-0001", today,
                                           {line.id: line.received for line in received.lines if line.received},
                                           source="portal")
            if invoice.payable:
                payables.record_payment(None, supplier.id, today, {invoice.id: invoice.total // 2},
                                        reference="ICBC-DEMO-0001", note="首期货款 50%")
        if shipped is not None:
            orders.enter_invoice(None, shipped, "DS-INV-0002", today,
                                 {line.id: line.shipped for line in shipped.lines if line.shipped}, source="portal")
        db.session.commit()


def _demo_promotions(store) -> None:
    """A live 满300减30, a draft 9折 to try in the simulator and a coupon to claim (once)."""
    from app.blueprints.promotions import coupons, queries, services as promotions
    from app.core.tenancy import store_context

    with store_context(store):
        if queries.draft_choices() or queries.has_promotions():
            return
        live = promotions.save_promotion(None, None, {"name": "满300减30", "kind": "amount_off",
                                                      "params": {"tiers": [[30000, 3000]]}})
        promotions.set_status(None, live, "active")
        promotions.save_promotion(None, None, {"name": "全场9折 (草稿)", "kind": "percent_off",
                                               "params": {"tiers": [[0, 90]]}})
        coupons.save_template(None, None, {"name": "新人券 满100减10", "kind": "amount_off", "amount": 1000,
                                           "threshold": 10000, "quantity": 100, "valid_days": 30})
        db.session.commit()


def _demo_group_buy(store) -> None:
    """A live two-person group buy (拼团) on the first T-shirt SKU, for a month (once)."""
    from datetime import timedelta

    from app.blueprints.catalog.models import Sku
    from app.blueprints.promotions import groupbuy
    from app.blueprints.promotions.models import GroupBuy
    from app.core.db import utcnow
    from app.core.tenancy import store_context

    with store_context(store):
        sku_id = db.session.scalar(select(Sku.id).order_by(Sku.id).limit(1))
        if sku_id is None or db.session.scalar(select(func.count(GroupBuy.id))):
            return
        now = utcnow()
        activity = groupbuy.save_activity(None, None, {
            "name": "两人拼团 T恤 5.9 折", "sku_id": sku_id, "group_price": 4690, "group_size": 2,
            "time_limit_minutes": 1440, "starts_at": now, "ends_at": now + timedelta(days=30)})
        groupbuy.set_status(None, activity, "active")
        db.session.commit()


def _demo_catalog(store) -> None:
    """A few products with a colour × size grid, prices and stock in the demo store (once)."""
    from app.blueprints.catalog import services as catalog
    from app.blueprints.catalog.models import Product
    from app.blueprints.inventory import services as inventory
    from app.core.tenancy import store_context

    with store_context(store):
        if db.session.scalar(select(func.count(Product.id))):
            return
        template = catalog.save_template(None, None, "服装 Apparel", "")
        colour = catalog.add_attribute(None, template, "颜色", "sales", "choice", options=["红色", "蓝色", "白色"])
        size = catalog.add_attribute(None, template, "尺码", "sales", "choice", options=["S", "M", "L"])
        db.session.flush()
        root = catalog.create_category(None, "服装", template_id=template.id)
        tops = catalog.create_category(None, "上衣", parent_id=root.id, template_id=template.id)
        warehouse = inventory.save_warehouse(None, None, "SH01", "上海仓", "own", "上海市浦东新区", 10, True)
        db.session.flush()
        for title, price in (("纯棉圆领T恤", 7900), ("法式碎花衬衫", 15900), ("休闲连帽卫衣", 19900)):
            product = catalog.save_product(None, None, title=title, category_id=tops.id, tags="新品")
            skus = catalog.set_sales_options(None, product, {colour.id: ["红色", "蓝色"], size.id: ["S", "M", "L"]})
            catalog.set_all_prices(None, product, price + 4000, price, price // 3)
            for sku in skus:
                inventory.receive(None, sku.id, warehouse.id, 50, "demo")
            catalog.change_status(None, product, "on_sale")
        db.session.commit()


def _demo_dispatch(store) -> None:
    """Paid orders at the dispatch steps (once): one waiting to pick, one split between the
    Shanghai and Guangzhou warehouses with a part in a wave, one shipped with its waybill."""
    from app.blueprints.catalog.models import Sku
    from app.blueprints.dispatch import services as dispatch
    from app.blueprints.inventory import services as inventory
    from app.blueprints.inventory.models import Warehouse
    from app.blueprints.orders import services as orders
    from app.blueprints.orders.models import Order
    from app.core.tenancy import store_context

    with store_context(store):
        if db.session.scalar(select(func.count(Order.id))):
            return
        shanghai = db.session.scalar(select(Warehouse).where(Warehouse.code == "SH01"))
        skus = db.session.scalars(select(Sku.id).order_by(Sku.id).limit(4)).all()
        if shanghai is None or len(skus) < 4:
            return
        inventory.save_warehouse(None, shanghai, shanghai.code, shanghai.name, shanghai.kind, shanghai.address,
                                 shanghai.priority, True, "310115")
        guangzhou = inventory.save_warehouse(None, None, "GZ01", "广州仓", "own", "广州市白云区", 20, True, "440111")
        db.session.flush()
        inventory.receive(None, skus[3], guangzhou.id, 30, "demo")
        dispatch.save_settings(None, "nearest", "shunfeng", "演示商店发货组", "021-60000000", "上海市浦东新区张江路 1 号")
        shanghai_address = {"name": "李雷", "phone": "13800000001", "province": "上海市", "city": "上海市",
                            "district": "浦东新区", "street": "世纪大道 100 号", "region_code": "310115"}
        canton_address = {"name": "韩梅梅", "phone": "13800000002", "province": "广东省", "city": "广州市",
                          "district": "天河区", "street": "天河路 200 号", "region_code": "440106"}
        placed = []
        for lines, address in (([(skus[0], 1)], shanghai_address), ([(skus[0], 1), (skus[3], 2)], canton_address),
                               ([(skus[1], 1)], shanghai_address)):
            order = orders.place_order([orders.LineRequest(s, q) for s, q in lines], address,
                                       shopper={"name": address["name"], "phone": address["phone"]}, source="staff")
            orders.mark_paid(None, order, "DEMO-PAY", offline=True)
            placed.append(dispatch.create_notices(order.id))
        split = placed[1]
        dispatch.create_wave(None, [n.id for n in split if n.warehouse_id == guangzhou.id])
        dispatch.ship(None, placed[2][0], "shunfeng", "SF1000000000001", 450)
        db.session.commit()


def _demo_service(store) -> None:
    """Customer service in the demo store (once): three queues with the owner as their agent, SLA
    policies, canned replies, and a shopper's threads: an open question, an answered one about an
    order, and a solved ticket the shopper rated."""
    from app.blueprints.members import services as members
    from app.blueprints.orders.models import Order
    from app.blueprints.service import services as service
    from app.blueprints.service.models import Queue, Ticket
    from app.blueprints.store.models import StaffUser
    from app.core.tenancy import store_context

    with store_context(store):
        if db.session.scalar(select(func.count(Queue.id))):
            return
        presales = service.save_queue(None, None, "售前咨询", "presales", "round_robin", True)
        aftersales = service.save_queue(None, None, "售后服务", "aftersales", "least_loaded", True)
        logistics = service.save_queue(None, None, "物流查询", "logistics", "round_robin", True)
        for priority, first, resolution in (("normal", 60, 1440), ("high", 30, 480), ("urgent", 10, 120)):
            service.save_policy(None, None, {"name": f"{priority} SLA", "priority": priority, "queue_id": None,
                                             "first_response_minutes": first, "resolution_minutes": resolution,
                                             "warn_minutes": min(15, first // 2), "active": True})
        service.save_canned(None, None, "发货时间", "{姓名}您好，订单 {订单号} 会在 48 小时内发出，请耐心等待。", True)
        service.save_canned(None, None, "退货地址", "{姓名}您好，请把商品寄回：上海市浦东新区张江路 1 号（演示商店售后组）。", True)
        owner = db.session.scalar(select(StaffUser).order_by(StaffUser.id).limit(1))
        agent = service.ensure_agent(owner)
        service.save_agent(None, agent, [presales.id, aftersales.id, logistics.id], 20, True)
        agent.online = True
        shopper_email, shopper_password = DEMO["shopper"]
        shopper = members.member_by_email(shopper_email) or members.register(shopper_email, shopper_password,
                                                                             "王小明", "13800000003")
        db.session.flush()
        general = service.conversation_for(shopper.id, "", shopper.name, shopper.email)
        service.post_message(general, "shopper", shopper, "你好，T恤有 XL 码吗？")
        order = db.session.scalar(select(Order).order_by(Order.id).limit(1))
        if order is not None:
            thread = service.conversation_for(shopper.id, order.number, shopper.name, shopper.email)
            service.post_message(thread, "shopper", shopper, "请问这个订单什么时候发货？")
            service.post_message(thread, "staff", owner, f"{shopper.name}您好，订单 {order.number} 今天下午发出。")
        solved = service.open_ticket(None, subject="发票抬头修改", source="staff", conversation=general,
                                     queue_id=presales.id)
        service.assign_ticket(None, solved, agent.id)
        service.resolve_ticket(None, solved)
        service.rate_ticket(shopper.id, db.session.get(Ticket, solved.id), 5, "很快就处理好了")


def _demo_members(store) -> None:
    """Member levels, a segment, a shopper with points and a bound gift card, and a card batch (once)."""
    from app.blueprints.members import cards, loyalty, segments, services as members
    from app.blueprints.members.models import Card, Level
    from app.core.tenancy import store_context

    with store_context(store):
        if db.session.scalar(select(func.count(Level.id))):
            return
        loyalty.save_level(None, {"code": "silver", "name": "银卡会员", "threshold": 500, "discount_percent": 98,
                                  "points_multiplier": 120})
        loyalty.save_level(None, {"code": "gold", "name": "金卡会员", "threshold": 3000, "discount_percent": 95,
                                  "points_multiplier": 150, "free_shipping": True, "birthday_coupon": True})
        segments.save_segment(None, {"name": "高价值会员", "min_spent": "500.00"})
        shopper_email, shopper_password = DEMO["shopper"]
        shopper = members.member_by_email(shopper_email) or members.register(shopper_email, shopper_password,
                                                                             "王小明", "13800000003")
        db.session.flush()
        loyalty.add_growth(shopper, 800)
        loyalty.add_tag(None, shopper, "VIP")
        members.earn_points(shopper.id, 1200, reason="demo")
        batch = cards.create_batch(None, "中秋礼品卡", "gift", 20000, 10)
        cards.activate_batch(None, batch)
        card = db.session.scalar(select(Card).where(Card.batch_id == batch.id).order_by(Card.id).limit(1))
        cards.bind_card(shopper, card.code, cards.pin_of(card))
        db.session.commit()


def _demo_tracking(store) -> None:
    """Parcels with tracking (once): the demo's shipped parcel with its scans up to out for
    delivery, and one more order shipped and signed for (delivered), so the shipments pages,
    the order pages and the shop's order page show the whole chain."""
    from datetime import datetime, timedelta, timezone

    from app.blueprints.dispatch import services as dispatch
    from app.blueprints.dispatch.models import DeliveryNotice
    from app.blueprints.logistics import services as logistics
    from app.blueprints.logistics.adapters import Trace, Tracking
    from app.blueprints.logistics.models import TrackingEvent
    from app.blueprints.orders import services as orders
    from app.blueprints.orders.models import Order
    from app.core.tenancy import store_context

    with store_context(store):
        if db.session.scalar(select(func.count(TrackingEvent.id))):
            return
        first = db.session.scalar(select(DeliveryNotice).where(DeliveryNotice.status == "shipped")
                                  .order_by(DeliveryNotice.id).limit(1))
        if first is None:
            return
        template = db.session.get(Order, first.order_id)
        address = dict(template.address)
        order = orders.place_order([orders.LineRequest(line.sku_id, 1) for line in template.lines[:1]], address,
                                   shopper={"name": address.get("name", ""), "phone": address.get("phone", "")},
                                   source="staff")
        orders.mark_paid(None, order, "DEMO-PAY-2", offline=True)
        second = dispatch.create_notices(order.id)[0]
        dispatch.ship(None, second, "zhongtong", "73100000000002", 600)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        steps = [("in_transit", "【上海市】快件已揽收", "上海市", 30), ("in_transit", "【上海市】已发往 目的地转运中心", "上海市", 26),
                 ("out_for_delivery", "【上海市】快递员正在派件", "上海市浦东新区", 4)]
        for notice, signed in ((first, False), (second, True)):
            shipment = logistics.create_shipment(
                None, notice_id=notice.id, notice_number=notice.number, order_id=notice.order_id,
                order_number=notice.order_number, carrier_code=notice.carrier_code, waybill_no=notice.waybill_no,
                warehouse_id=notice.warehouse_id, outbound_number=notice.outbound_number or "",
                weight_grams=notice.weight_grams,
                lines=[{"order_line_id": line.order_line_id, "sku_id": line.sku_id, "quantity": line.quantity}
                       for line in notice.lines])
            traces = [Trace(now - timedelta(hours=hours), status, "", text, place)
                      for status, text, place, hours in steps]
            if signed:
                traces.append(Trace(now - timedelta(hours=1), "signed", "3", "【上海市】已签收，签收人：本人", "上海市浦东新区"))
            logistics.apply_tracking(shipment, Tracking(notice.carrier_code, notice.waybill_no, traces, finished=signed))
        db.session.commit()


def _demo_aftersales(store) -> None:
    """After-sales in the demo store (once), for the demo shopper's orders paid through the sandbox:
    a refund only before shipment of one of two units (the parcel ships one), a delivered order
    refunded after a return, a return waiting for its parcel, and a request waiting for staff —
    each with its ticket. The events are handled here, as the worker would."""
    from datetime import datetime, timezone

    from app.blueprints.aftersales import services as aftersales
    from app.blueprints.aftersales.models import AfterSalesRequest
    from app.blueprints.catalog.models import Sku
    from app.blueprints.dispatch import services as dispatch
    from app.blueprints.inventory import documents, services as inventory
    from app.blueprints.inventory.models import Warehouse
    from app.blueprints.members import services as members
    from app.blueprints.orders import services as orders
    from app.blueprints.orders.models import Order
    from app.blueprints.payments import accounts as payment_accounts, refunds, services as payments
    from app.blueprints.payments.gateways import Notice
    from app.blueprints.payments.models import Refund
    from app.core.tenancy import store_context

    with store_context(store):
        if db.session.scalar(select(func.count(AfterSalesRequest.id))) or "sandbox" not in \
                payment_accounts.enabled_gateways():
            return
        shopper_email, shopper_password = DEMO["shopper"]
        shopper = members.member_by_email(shopper_email) or members.register(shopper_email, shopper_password,
                                                                             "王小明", "13800000003")
        skus = db.session.scalars(select(Sku.id).order_by(Sku.id).limit(2)).all()
        if len(skus) < 2:
            return
        address = {"name": "王小明", "phone": "13800000003", "province": "上海市", "city": "上海市",
                   "district": "浦东新区", "street": "张江路 88 号", "region_code": "310115"}

        def paid_order(lines) -> Order:
            order = orders.place_order([orders.LineRequest(s, q) for s, q in lines], address, shopper_id=shopper.id,
                                       shopper={"name": shopper.name, "email": shopper.email, "phone": address["phone"]})
            payment = payments.start_payment(order, "sandbox")
            db.session.commit()
            payments.apply_payment_notice(Notice("payment", payment.number, "succeeded", payment.amount,
                                                 payment.currency, f"SBXDEMO{payment.id:08d}", "TRADE_SUCCESS",
                                                 datetime.now(timezone.utc)), "sandbox")
            _handle_events(store)
            return db.session.get(Order, order.id)

        def delivered(lines, waybill: str) -> Order:
            order = paid_order(lines)
            dispatch.ship_order(None, order.id, "zhongtong", waybill)
            orders.deliver(None, db.session.get(Order, order.id))
            _handle_events(store)
            return db.session.get(Order, order.id)

        def ask(order, kind, quantities, description):
            req = aftersales.create_request(shopper, shopper.id, order.number, aftersales.Ask(
                kind, quantities, aftersales.reasons()[0].id, description))
            _handle_events(store)
            return req

        def refund_now(req) -> None:
            """The sandbox answers the refund at once (the worker would send it)."""
            for ref in aftersales.refund_request_ids(req):
                item = db.session.scalar(select(Refund).where(Refund.request_id == ref))
                if item is not None and item.status == "pending":
                    refunds.send(item.id)
            _handle_events(store)

        # a refund only before shipment of one of two units: the parcel ships the other one
        two = paid_order([(skus[0], 2)])
        early = ask(two, "refund_only", {two.lines[0].id: 1}, "买多了一件")
        refund_now(early)
        # a delivered order returned and refunded
        returned = delivered([(skus[1], 1)], "73100000000011")
        done = ask(returned, "return_refund", {returned.lines[0].id: 1}, "尺码不合适")
        aftersales.approve(None, done)
        aftersales.send_back(shopper, done, "zhongtong", "73100000000012")
        aftersales.receive(None, done)
        bins = documents.locations_of(done.return_warehouse_id)
        if not bins:
            site = db.session.get(Warehouse, done.return_warehouse_id)
            bins = [inventory.add_location(None, site, "R", "01", "01", "01").code]
        aftersales.inspect_units(None, done, [aftersales.UnitResult(done.lines[0].id, 1, "good", bins[0])])
        refund_now(done)
        # a return waiting for the shopper's parcel, and a request waiting for staff
        waiting = delivered([(skus[0], 1), (skus[1], 1)], "73100000000013")
        back = ask(waiting, "return_refund", {waiting.lines[0].id: 1}, "颜色和图片不一样")
        aftersales.approve(None, back)
        ask(waiting, "refund_only", {waiting.lines[1].id: 1}, "少发了配件")
        _handle_events(store)
        db.session.commit()


def _handle_events(store, rounds: int = 6) -> None:
    """Commit, then run the handlers of the store's pending outbox events here, the way the
    worker runs them (once per event and handler), until none is left (demo seeding)."""
    from app.core import outbox
    from app.core.outbox import OutboxEvent

    for _ in range(rounds):
        db.session.commit()
        pending = db.session.scalars(select(OutboxEvent).where(OutboxEvent.status == "pending")
                                     .order_by(OutboxEvent.id)).all()
        if not pending:
            return
        for event in pending:
            for spec in outbox.handlers_for(event.topic):
                outbox.run_handler(event.id, spec.name)
            db.session.commit()


def _demo_freight(store) -> None:
    """Two freight templates in the demo store (once): by piece, and a bulky one by weight."""
    from app.blueprints.logistics import freight
    from app.blueprints.logistics.freight_models import FreightTemplate
    from app.core.tenancy import store_context

    with store_context(store):
        if db.session.scalar(select(func.count(FreightTemplate.id))):
            return
        remote = ["650000", "540000", "630000"]
        freight.save_template(None, {
            "name": "普通快递 Standard", "basis": "piece", "first_units": 1, "first_fee": 800, "extra_units": 1,
            "extra_fee": 200, "undeliverable": ["810000", "820000", "710000"],
            "rules": [{"regions": ["310000", "320000", "330000"], "first_units": 1, "first_fee": 500,
                       "extra_units": 1, "extra_fee": 100},
                      {"regions": remote, "first_units": 1, "first_fee": 2000, "extra_units": 1, "extra_fee": 1000}],
            "free_rules": [{"regions": [], "kind": "amount", "threshold": 9900}]})
        freight.save_template(None, {
            "name": "大件物流 Bulky", "basis": "weight", "first_units": 1000, "first_fee": 1500,
            "extra_units": 1000, "extra_fee": 500, "undeliverable": remote + ["810000", "820000", "710000"],
            "rules": [], "free_rules": []})
        db.session.commit()


def print_logins(base_url: str) -> None:
    click.echo(f"""
  Houtai is running at {base_url}
    platform admin  {base_url}/platform/login   {DEMO['admin'][0]} / {DEMO['admin'][1]}
    store owner     {base_url}/store/demo/login  {DEMO['owner'][0]} / {DEMO['owner'][1]}
    supplier        {base_url}/supplier/login   {DEMO['supplier'][0]} / {DEMO['supplier'][1]}
    shopper         {base_url}/shop/demo/login   {DEMO['shopper'][0]} / {DEMO['shopper'][1]}
""")


def register_cli(app) -> None:
    app.cli.add_command(tenants)
    app.cli.add_command(platform)
    app.cli.add_command(demo)
