"""Saving a list's filters is a WTForm: a name left empty or too long comes back (422) with
the error under the name and the list's filters kept, and nothing is saved."""
import re

from sqlalchemy import select

from app.core.savedfilters import SavedFilter
from tests import factories as f


def _saved(store):
    return f.read(store, lambda: f.db_session().scalars(select(SavedFilter.name)).all())


def test_a_saved_filter_needs_a_name_said_under_the_field(store, owner):
    base = f"/store/{store.slug}/orders/"
    posted = {"view": "orders.orders", "name": "   ", "query": "status=pending_payment", "next": base}
    for name in ("   ", "名" * 61):
        response = owner.form(f"/store/{store.slug}/saved-filters", {**posted, "name": name})
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert re.search(r'<p class="error" id="name-error">[^<]+</p>', html)
        assert 'value="status=pending_payment"' in html and f'href="{base}"' in html   # the filters and the way back
    assert _saved(store) == []
    response = owner.form(f"/store/{store.slug}/saved-filters", {**posted, "name": "待付款"})
    assert response.status_code == 303 and response.headers["Location"].endswith(base)
    assert _saved(store) == ["待付款"]
