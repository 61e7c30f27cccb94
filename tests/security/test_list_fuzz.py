"""Hostile filters, sorts and page numbers on every list page answer 4xx or a page, never 5xx.

Every ListView registered in the app is found from the URL map, so a new list page is
covered without being named here."""
from __future__ import annotations

from urllib.parse import quote

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


@pytest.fixture(scope="module")
def signed_in(app):
    """A client for each realm's list pages, on one store the module shares: the probes only read
    (the store's tables stay empty, so no export is big enough to start a task). The supplier is
    one of the store's, else the portal's lists would answer its login page and test nothing."""
    from tests import factories as f

    f.use_app(app)
    store = f.store()
    account = f.supplier(company="Fuzz Supplies")
    f.supplier_record(store, account)
    clients = {"store": f.client(store=store), "platform": f.client("platform", f.platform_user().email),
               "supplier": f.client("supplier", account.email)}

    def client_for(rule: str):
        realm = "platform" if rule.startswith("/platform") else "supplier" if rule.startswith("/supplier") else "store"
        return clients[realm], rule.replace("<slug>", store.slug)
    yield client_for
    f.drop_store(store)


def _get(client, url, params):
    response = client.get(url, query_string=params)
    assert response.status_code < 500, (url, params, response.get_data(as_text=True)[:500])
    return response


def _every_filter_at_once(client, url, names, value: str):
    """One request giving each filter `value` (URL-encoded). ListView.filtered parses and applies
    each filter on its own (a bad value is set aside and the next filter still applies its own), and
    a filter's SQL fails on its bound value (out of range, a bad cast) whatever rows the others
    leave, so a page that answers 200 probed what one request per filter did. Any other answer (a 5xx, or a 4xx that may have
    stopped before the later filters) is probed again one filter at a time, which names the culprit."""
    query = "&".join(f"{name}={value}" for name in names)
    if client.get(url, query_string=query).status_code != 200:
        for name in names:
            _get(client, url, f"{name}={value}")


def test_every_list_page_is_found(app):
    endpoints = {endpoint for endpoint, _, _ in list_views(app)}
    assert len(endpoints) >= 10 and "orders.orders" in endpoints and "platform.stores" in endpoints


def test_hostile_filters_sorts_and_pages_never_answer_5xx(app, signed_in):
    for endpoint, rule, cls in list_views(app):
        client, url = signed_in(rule)
        assert client.get(url).status_code == 200, (endpoint, "the list itself must open, else nothing is probed")
        filters = [f.name for f in cls.filters]
        sorts = [c.key for c in cls.columns if c.sort is not None]
        if filters:
            for value in HOSTILE:
                _every_filter_at_once(client, url, filters, quote(value))
            _every_filter_at_once(client, url, filters, "%ED%A0%80")     # a lone surrogate, as UTF-8 bytes
        for key in sorts:
            _get(client, url, {"sort": key})
            _get(client, url, {"sort": f"-{key}"})
        for params in PAGING:
            _get(client, url, params)
        everything = {name: "9999-12-31" for name in filters} | {"q": "%\u202e", "sort": sorts[0] if sorts else ""}
        _get(client, url, everything)
        _get(client, url, {**everything, "export": "csv"})


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_filter_values_never_answer_5xx(app, signed_in, data):
    endpoint, rule, cls = data.draw(st.sampled_from(list_views(app)))
    client, url = signed_in(rule)
    names = [f.name for f in cls.filters] + ["q", "sort", "page", "per_page"]
    params = data.draw(st.dictionaries(st.sampled_from(names), st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), max_size=4))
    _get(client, url, params)
