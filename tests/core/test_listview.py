"""The shared list view: filter, search, sort, page, export, bulk, fixed query count."""
import csv
import io

from app.blueprints.platform.models import Store
from app.blueprints.store.models import Role, StaffUser
from app.core.security import hash_password
from app.core.tenancy import store_context
from app.extensions import db
from tests.support.crud import QueryCounter, queries_for as _queries_for  # noqa: F401 (others import it from here)


def _bulk_staff(app, store, n):
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        role = db.session.scalar(db.select(Role).where(Role.builtin == "warehouse"))
        pw = hash_password("x" * 12)
        for i in range(n):
            db.session.add(StaffUser(email=f"bulk{i:03d}@{store.slug}.cn", name=f"Bulk {i:03d}", role=role,
                                     status="active" if i % 3 else "disabled", password_hash=pw))
        db.session.commit()


def test_list_runs_the_same_number_of_queries_for_10_and_100_rows(app, make_store):
    small, big = make_store(), make_store()
    _bulk_staff(app, small, 9)
    _bulk_staff(app, big, 120)
    counts = {}
    for store, expected_rows in ((small, 10), (big, 100)):
        client = app.test_client()
        client.login("store", store.owner_email, slug=store.slug)
        count, html = _queries_for(app, client, f"/store/{store.slug}/staff?per_page=100")
        assert html.count('name="ids"') == expected_rows
        counts[expected_rows] = count
    assert counts[10] == counts[100]


def test_filter_search_sort_and_page(app, owner, store):
    _bulk_staff(app, store, 30)
    html = owner.get(f"/store/{store.slug}/staff?status=disabled").get_data(as_text=True)
    assert html.count('name="ids"') == 10
    html = owner.get(f"/store/{store.slug}/staff?q=Bulk 02").get_data(as_text=True)
    assert html.count('name="ids"') == 10 and "Bulk 029" in html
    html = owner.get(f"/store/{store.slug}/staff?sort=-name&q=Bulk").get_data(as_text=True)
    assert html.index("Bulk 029") < html.index("Bulk 028")
    html = owner.get(f"/store/{store.slug}/staff?q=Bulk&sort=name&page=2").get_data(as_text=True)
    assert "Bulk 020" in html and "Bulk 019" not in html and "Page 2 of 2" in html


def test_htmx_request_gets_only_the_results_fragment(owner, store):
    response = owner.get(f"/store/{store.slug}/staff?q=owner", headers={"HX-Request": "true", "HX-Target": "list-results"})
    html = response.get_data(as_text=True)
    assert "<table" in html and "<html" not in html


def test_bad_filter_values_are_ignored_with_a_message(owner, store):
    response = owner.get(f"/store/{store.slug}/audit?since=yesterday&page=abc&sort=nonsense&per_page=7")
    assert response.status_code == 200
    assert "cannot use and was ignored" in response.get_data(as_text=True)


def test_csv_export_streams_the_filtered_set(app, owner, store):
    _bulk_staff(app, store, 25)
    response = owner.get(f"/store/{store.slug}/staff?status=disabled&export=csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["Name", "Email"]
    assert len(rows) - 1 == 9  # disabled ones only, not just the first page


def test_bulk_action_disables_selected_staff(app, owner, store):
    _bulk_staff(app, store, 3)
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        ids = db.session.scalars(db.select(StaffUser.id).where(StaffUser.status == "active",
                                                                StaffUser.email.like("bulk%"))).all()
    response = owner.form(f"/store/{store.slug}/staff", {"bulk_action": "disable", "ids": [str(i) for i in ids]})
    assert response.status_code == 303
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        statuses = db.session.scalars(db.select(StaffUser.status).where(StaffUser.id.in_(ids))).all()
    assert set(statuses) == {"disabled"}


def test_bulk_action_needs_its_permission(app, store):
    from tests.conftest import add_staff
    email = add_staff(app, store, permissions=["store.dashboard", "store.staff_view"])
    viewer = app.test_client()
    viewer.login("store", email, slug=store.slug)
    response = viewer.form(f"/store/{store.slug}/staff", {"bulk_action": "disable", "ids": ["1"]})
    assert response.status_code == 403
