"""Render the back office and the shop of one store with something on every page, in either
language, and read what a person sees: the text outside <code>, and each table's headers."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from tests import factories as f

SKIP = {"script", "style", "code", "template", "textarea"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """The visible text of a page (one string per text node), and the headers of its tables."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.tables: list[list[str]] = []
        self.lang = ""
        self._stack: list[str] = []
        self._skip = 0
        self._th: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang", "")
        if tag in VOID:
            for name in ("placeholder", "title", "aria-label"):
                if attrs.get(name):
                    self.texts.append(attrs[name])
            return
        self._stack.append(tag)
        if tag in SKIP or attrs.get("translate") == "no":
            self._skip += 1
            self._stack[-1] = tag + "!"
        if tag == "table":
            self.tables.append([])
        if tag == "th" and self.tables and "thead" in self._stack:
            self._th = []

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self._stack:
            top = self._stack.pop()
            if top.endswith("!"):
                self._skip -= 1
            if top.rstrip("!") == tag:
                break
        if tag == "th" and self._th is not None:
            self.tables[-1].append(" ".join("".join(self._th).split()))
            self._th = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._th is not None:
            self._th.append(data)
        if data.strip():
            self.texts.append(data.strip())

    @property
    def text(self) -> str:
        return " ".join(self.texts)


# what may stay in Latin letters on a Chinese page: names of formats, standards and brands
LATIN_OK = {"CSV", "XLSX", "SKU", "SKUs", "Webhook", "Webhooks", "Stripe", "IP", "HTML", "JSON", "POST", "URL",
            "APPID", "RSA", "English", "Houtai", "Asia", "Shanghai", "PNG", "JPEG", "GIF", "WebP", "API", "CNY",
            "USD", "EUR", "HKD", "JPY", "UTC", "MB", "KB", "EMS", "GB", "ID", "https", "http", "PDF", "Alipay", "HMAC", "SHA", "GMT", "SVG"}
LATIN_WORD = re.compile(r"(?<![\w@./:-])[A-Za-z][A-Za-z_.]*[A-Za-z](?![\w@/:-])")
NOT_WORDS = re.compile(r"\{\w+\}|\S+@\S+|https?://\S+|/\S*|\S*\d\S*")   # {placeholders} typed as they are, mail addresses, links, paths, codes with digits


def latin_words(page: Page, allowed: set[str] = frozenset()) -> set[str]:
    """Words in Latin letters a Chinese reader would meet on the page (user data aside)."""
    found = set()
    for text in page.texts:
        for word in LATIN_WORD.findall(NOT_WORDS.sub(" ", text)):
            if word not in LATIN_OK and word not in allowed:
                found.add(word)
    return found


def duplicate_headers(page: Page) -> list[list[str]]:
    return [headers for headers in page.tables if len([h for h in headers if h]) != len({h for h in headers if h})]


def seed(store) -> dict:
    """Something on every page of `store`: orders at each step, a payment with a refund, a stock
    document, a background task, an invited staff member. Returns the ids the detail pages need."""
    member = f.member(store, name="张三")
    orders = [f.order(store, state, member_obj=member) for state in
              ("pending_payment", "paid", "shipped", "completed", "cancelled")]
    payment = f.payment(store, f.order(store, member_obj=member))
    f.refund(store, payment, amount=300, reason="少发一件")
    f.payment(store, f.order(store, member_obj=member), status="pending")
    f.reconciliation(store)
    document = f.document(store)
    queue = f.service_queue(store, name="售后组", skill="aftersales")
    from sqlalchemy import select

    from app.blueprints.store.models import StaffUser

    owner = f.read(store, lambda: f.db_session().scalar(select(StaffUser).order_by(StaffUser.id).limit(1)))
    f.service_agent(store, [queue], staff_obj=owner)
    f.service_policy(store, "normal", queue_obj=queue)
    f.canned_reply(store, title="发货说明")
    conversation = f.conversation(store, member, orders[1].number, body="什么时候发货？", files=[("a.png", f.png())])
    ticket = f.ticket(store, subject="发票问题", queue_obj=queue, conversation_obj=conversation)
    from datetime import timedelta

    from app.blueprints.promotions import groupbuy
    from app.core.db import utcnow

    with f.bound(store, request=True):
        activity = groupbuy.save_activity(None, None, {
            "name": "两人拼团", "sku_id": orders[0].lines[0].sku_id, "group_price": 500, "group_size": 2,
            "time_limit_minutes": 60, "starts_at": utcnow() - timedelta(minutes=1),
            "ends_at": utcnow() + timedelta(days=1)})
        groupbuy.set_status(None, activity, "active")
        team, group_order = groupbuy.open_group(activity.id, member.id, f.ADDRESS, f.SHOPPER)
    return {"member": member, "orders": orders, "payment": payment, "document": document,
            "conversation": conversation, "ticket": ticket, "group_buy": activity, "group": team.code,
            "group_order": group_order.number}


def invite_in_chinese(client, store) -> None:
    """Invite a warehouse clerk through the owner's Chinese page (what the audit log then shows)."""
    from app.blueprints.store.models import Role
    from sqlalchemy import select

    with f.bound(store) as session:
        role_id = session.scalar(select(Role.id).where(Role.builtin == "warehouse"))
    response = client.form(f"/store/{store.slug}/staff/invite",
                           {"email": f"li@{store.slug}.cn", "name": "李四", "role_id": role_id})
    assert response.status_code == 303


def store_pages(app, slug: str, data: dict) -> list[str]:
    """Every page of the back office that needs no id, plus the details the seed made."""
    pages = set()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.rule.startswith("/store/<slug>") and set(rule.arguments) <= {"slug"} \
                and not rule.rule.endswith(("/export", "/login", "/sandbox-statement", "/logout")) \
                and "/password/" not in rule.rule and "template." not in rule.rule:
            pages.add(rule.rule.replace("<slug>", slug))
    base = f"/store/{slug}"
    pages |= {f"{base}/orders/{o.id}" for o in data["orders"]}
    pages |= {f"{base}/payments/{data['payment'].id}", f"{base}/inventory/documents/{data['document'].id}"}
    pages |= {f"{base}/service/tickets/{data['ticket'].id}", f"{base}/service/conversations/{data['conversation'].id}"}
    pages |= {f"{base}/promotions/group-buys/{data['group_buy'].id}"}
    return sorted(pages)


def shop_pages(slug: str, data: dict) -> list[str]:
    base = f"/shop/{slug}"
    return [f"{base}/", f"{base}/cart", f"{base}/orders", f"{base}/account", f"{base}/checkout",
            f"{base}/service/", f"{base}/service/messages", f"{base}/service/orders/{data['orders'][1].number}"] + \
        [f"{base}/orders/{o.number}" for o in data["orders"]] + \
        [f"{base}/flash", f"{base}/group-buys", f"{base}/groups/{data['group']}", f"{base}/orders/{data['group_order']}"]


def links_from(client, pages: list[str], prefix: str) -> list[str]:
    """The detail pages the given pages link to (one level), so each kind of page is read once."""
    found, seen_shapes = set(), set()
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        for link in re.findall(r'href="(%s[^"?#]*)"' % re.escape(prefix), html):
            shape = re.sub(r"\d+", "N", link)
            if link in pages or shape in seen_shapes or link.endswith(("/file", "/export", ".csv", ".xlsx")) \
                    or "/files/" in link:
                continue
            seen_shapes.add(shape)
            found.add(link)
    return sorted(found)
