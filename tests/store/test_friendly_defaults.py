"""Defaults that do the safe thing: a new invitation offers the least-privileged role, and
hints that mention a path show it as text."""
import re

from tests import factories as f


def test_the_invitation_form_starts_on_the_least_privileged_role(module_owner, module_store):
    f.role(module_store, ["store.dashboard"], name="只看仪表盘")
    html = module_owner.get(f"/store/{module_store.slug}/staff/invite").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="role_id".*?</select>', html, re.S).group(0)
    chosen = re.findall(r'<option selected value="\d+">([^<]+)</option>', select)
    assert chosen == ["只看仪表盘"], select
    assert "Owner" not in chosen


def test_the_new_store_hint_shows_the_address_placeholder_as_text(platform_admin):
    html = platform_admin.get("/platform/stores/new").get_data(as_text=True)
    assert "/store/&lt;address&gt;" in html and "<address>" not in html


def test_the_home_page_shows_the_sign_in_path_as_text(client):
    html = client.get("/").get_data(as_text=True)
    assert "/store/&lt;address&gt;/login" in html and "<address>" not in html
