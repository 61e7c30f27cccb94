"""In Chromium: a platform admin creates a store; its owner signs in, switches to 中文,
invites a staff member with a restricted role; that member signs in and sees only the
menu entries the role permits."""
import re

import pytest

from app.extensions import db
from tests.conftest import PASSWORD, last_mail, unique

pytestmark = pytest.mark.browser


def test_store_onboarding_end_to_end(app, live_server, page, browser):
    from app.blueprints.platform.services import create_platform_user

    admin_email = f"{unique('padmin')}@houtai.cn"
    with app.app_context():
        create_platform_user(None, admin_email, "Admin", PASSWORD)
        db.session.commit()
    slug = unique("e2e")
    owner_email = f"owner@{slug}.cn"

    # platform admin creates the store
    page.goto(f"{live_server}/platform/login")
    page.fill("input[name=email]", admin_email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(f"{live_server}/platform/")
    page.goto(f"{live_server}/platform/stores/new")
    page.fill("input[name=slug]", slug)
    page.fill("input[name=name]", "E2E 商店")
    page.fill("input[name=owner_email]", owner_email)
    page.fill("input[name=owner_password]", PASSWORD)
    page.select_option("select[name=default_locale]", "en")
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(r"/platform/stores/\d+$"))
    assert "E2E 商店" in page.inner_text("h1")

    # the owner signs in and switches to Chinese
    owner = browser.new_context(locale="en-US").new_page()
    owner.goto(f"{live_server}/store/{slug}/login")
    owner.fill("input[name=email]", owner_email)
    owner.fill("input[name=password]", PASSWORD)
    owner.click("#main-form button[type=submit]")
    owner.wait_for_url(f"{live_server}/store/{slug}/")
    owner.click("form.lang-switch button")
    owner.wait_for_selector("text=概览")
    assert "员工" in owner.inner_text("nav.sidebar")

    # a restricted role: dashboard and audit log only
    owner.click("nav.sidebar >> text=角色")
    owner.click("text=新建角色")
    owner.fill("input[name=name]", "审计员")
    owner.check("input[value='store.dashboard']")
    owner.check("input[value='store.audit']")
    owner.click("#main-form button[type=submit]")
    owner.wait_for_url(f"{live_server}/store/{slug}/roles")
    assert "审计员" in owner.inner_text("table.list")

    # invite a staff member with that role
    owner.click("nav.sidebar >> text=员工")
    owner.click("text=邀请员工")
    owner.fill("input[name=email]", f"auditor@{slug}.cn")
    owner.fill("input[name=name]", "Auditor")
    owner.select_option("select[name=role_id]", label="审计员")
    owner.click("#main-form button[type=submit]")
    owner.wait_for_url(f"{live_server}/store/{slug}/staff")
    assert f"auditor@{slug}.cn" in owner.inner_text("table.list")

    # the member accepts the invitation and sees only the permitted entries
    path = re.search(r"/store/\S+/invitation/\S+", last_mail(app, f"auditor@{slug}.cn")).group(0)
    member = browser.new_context(locale="zh-CN").new_page()
    member.goto(live_server + path)
    member.fill("input[name=password]", "auditor-password")
    member.fill("input[name=confirm]", "auditor-password")
    member.click("#main-form button[type=submit]")
    member.wait_for_url(f"{live_server}/store/{slug}/")
    entries = member.eval_on_selector_all("nav.sidebar a", "els => els.map(e => e.dataset.menu)")
    assert entries == ["store.dashboard", "store.audit"]
    member.goto(f"{live_server}/store/{slug}/staff")
    assert "store.staff_view" in member.content()
