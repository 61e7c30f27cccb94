"""In Chromium: an agent keeps the inbox open; a shopper writes with a photo; the message shows up
in the inbox by itself (htmx polling, no reload); the agent opens it (it counts as read), answers
with a canned reply filled in for the shopper, and the shopper reads the answer in the shop."""
import pytest
from playwright.sync_api import expect

from app.blueprints.service.models import Conversation
from app.blueprints.service.views import InboxList
from app.extensions import db
from tests import factories as f
from tests.browser.conftest import sign_in_owner, sign_in_shopper

pytestmark = pytest.mark.browser


def test_a_shopper_message_appears_in_the_open_inbox_and_the_agent_answers_with_a_canned_reply(
        app, live_server, browser, store, monkeypatch, tmp_path):
    monkeypatch.setattr(InboxList, "POLL_SECONDS", 1)
    f.canned_reply(store, title="问候", body="{姓名}您好，我们已收到您的照片。")
    member = f.member(store, name="浏览器顾客")
    staff = browser.new_context(locale="en-US").new_page()
    base = sign_in_owner(staff, live_server, store)
    staff.goto(f"{base}/service/inbox")
    assert staff.locator("[data-unread]").get_attribute("data-unread") == "0"

    shop = f"{live_server}/shop/{store.slug}"
    shopper = browser.new_context(locale="zh-CN").new_page()
    sign_in_shopper(shopper, shop, member.email)
    shopper.goto(f"{shop}/service/messages")
    photo = tmp_path / "photo.png"
    photo.write_bytes(f.png())
    shopper.fill("#message-form textarea[name=body]", "收到的衣服有污渍")
    shopper.set_input_files("#message-form input[name=files]", str(photo))
    shopper.click("#message-form button[type=submit]")
    shopper.wait_for_selector("text=收到的衣服有污渍")

    # the inbox page that was open all along shows the new thread and the unread count by itself
    staff.wait_for_selector("#list-results >> text=收到的衣服有污渍")
    staff.wait_for_selector('[data-unread="1"]')
    staff.click("#list-results >> text=浏览器顾客")
    staff.wait_for_selector("#messages [data-attachment]")
    conversation_id = f.read(store, lambda: db.session.scalar(db.select(Conversation.id)))
    f_unread = lambda: f.read(store, lambda: db.session.get(Conversation, conversation_id).staff_unread)  # noqa: E731
    from tests.conftest import wait_for

    wait_for(lambda: f_unread() == 0)
    staff.select_option("#canned_id", label="问候")
    expect(staff.locator("#body")).to_have_value("浏览器顾客您好，我们已收到您的照片。")
    staff.click("#reply-form button[type=submit]")
    staff.wait_for_selector("#messages >> text=浏览器顾客您好，我们已收到您的照片。")

    shopper.goto(f"{shop}/service/messages")
    shopper.wait_for_selector("text=浏览器顾客您好，我们已收到您的照片。")
