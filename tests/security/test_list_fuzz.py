"""Hostile filters, sorts and page numbers on every list page answer 4xx or a page, never 5xx.

Every ListView registered in the app is found from the URL map, so a new list page is
covered without being named here."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from app.core.listview import ListView

HOSTILE = ["9999-12-31", "0001-01-01", "2026-02-30", "inf", "-inf", "nan", "1e309", "-1", "0",
           "9" * 20, "-" + "9" * 20, "2147483648", "' OR 1=1 --", "%_\\", "a" * 300,
           "1.5", " ", "０１", "\u202e", "null", "[]"]
PAGING = [{"page": "9" * 20}, {"page": "-3"}, {"page": "1e309"}, {"per_page": "9" * 20}, {"per_page": "inf"},
          {"sort": "-"}, {"sort": "--id"}, {"sort": "no_such_column"}, {"export": "csv", "page": "9" * 20}]


def list_views(app) -> list[tuple[str, str, type]]:
    """(endpoint, rule, view class) for every list page, store and platform."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        cls = getattr(view, "view_class", None)
        if cls is not None and issubclass(cls, ListView) and not (rule.arguments - {"slug"}):
            found.append((rule.endpoint, rule.rule, cls))
    return sorted(found)


@pytest.fixture()
def signed_in(app, owner, platform_admin, store):
    def client_for(rule: str):
        if rule.startswith("/platform"):
            return platform_admin, rule
        return owner, rule.replace("<slug>", store.slug)
    return client_for


def _get(client, url, params):
    response = client.get(url, query_string=params)
    assert response.status_code < 500, (url, params, response.get_data(as_text=True)[:500])
    return response


def test_every_list_page_is_found(app):
    endpoints = {endpoint for endpoint, _, _ in list_views(app)}
    assert len(endpoints) >= 10 and "orders.orders" in endpoints and "platform.stores" in endpoints


def test_hostile_filters_sorts_and_pages_never_answer_5xx(app, signed_in):
    for endpoint, rule, cls in list_views(app):
        client, url = signed_in(rule)
        view = cls()
        filters = [f.name for f in cls.filters]
        sorts = [c.key for c in cls.columns if c.sort is not None]
        for name in filters:
            for value in HOSTILE:
                _get(client, url, {name: value})
            _get(client, url, f"{name}=%ED%A0%80")     # a lone surrogate, as UTF-8 bytes
        for key in sorts:
            _get(client, url, {"sort": key})
            _get(client, url, {"sort": f"-{key}"})
        for params in PAGING:
            _get(client, url, params)
        everything = {name: "9999-12-31" for name in filters} | {"q": "%\u202e", "sort": sorts[0] if sorts else ""}
        _get(client, url, everything)
        _get(client, url, {**everything, "export": "csv"})
        del view


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_filter_values_never_answer_5xx(app, signed_in, data):
    endpoint, rule, cls = data.draw(st.sampled_from(list_views(app)))
    client, url = signed_in(rule)
    names = [f.name for f in cls.filters] + ["q", "sort", "page", "per_page"]
    params = data.draw(st.dictionaries(st.sampled_from(names), st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), max_size=4))
    _get(client, url, params)
