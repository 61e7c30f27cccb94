"""A reusable test base for list and edit pages (after NetBox's ViewTestCases).

A center describes one model's pages in a few attributes and gets the checks every back
office page owes its users:

    class TestBrandPages(StorePages):
        list_path = "catalog/brands"            # under /store/<slug>/
        create_path = "catalog/brands/new"
        edit_path = "catalog/brands/{id}"
        permission = "catalog.setup"
        model = Brand
        form = {"name": "新品牌", "enabled": "y"}     # saves
        bad_form = {"name": ""}                         # a field error

        def make(self, store, i):                       # one row of the model
            return f.brand(store, name=f"品牌{i}")

The tests (each collected only where its page is declared):
- the list shows the rows and costs the same number of SQL statements for 3 rows as for 30;
- a staff member without `permission` gets 403 from every page (GET and POST) and changes
  nothing; a staff member holding only `permission` opens the list;
- store A's owner asking for store B's row (an id that A has no row of) gets 404, by GET
  and by POST, and B's row stays as it was;
- a bad form re-renders with the field's error (422) and saves nothing; the good form saves.

The stores are shared by the test module (module-scoped): `few` holds 3 rows of each
declared model, `many` 30, `other` a handful whose last ids `few` lacks.

A list keyed by a parent row (a coupon's codes, a card batch's cards) puts `{parent}` in
`list_path`, names `parent_model` and builds the parent with `make_parent(store, n)` (one per
store, to hold the n rows `make` then adds to it; `self.parent(store)` in `make`). Then
store A's owner asking for store B's parent (an id A has no parent of) gets 404, by GET and
by POST, and B's rows stay.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import event, func, inspect, select


class QueryCounter:
    """Counts the SQL statements sent through `engine` while the block runs."""

    def __init__(self, engine):
        self.engine, self.count, self.statements = engine, 0, []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._hit)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._hit)

    def _hit(self, conn, cursor, statement, *args):
        self.count += 1
        self.statements.append(statement)


def queries_for(app, client, url) -> tuple[int, str]:
    """(statements, page html) for one GET that must answer 200."""
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    with QueryCounter(engine) as counter:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return counter.count, response.get_data(as_text=True)


@dataclass
class CrudStores:
    few: object
    many: object
    other: object
    clients: dict


@pytest.fixture(scope="module")
def crud_stores(app):
    """Three stores for the module's page tests (see the module docstring), dropped at its end."""
    from tests import factories as f

    f.use_app(app)
    stores = CrudStores(f.store("pro"), f.store("pro"), f.store("pro"), {})
    yield stores
    for info in (stores.few, stores.many, stores.other):
        f.drop_store(info)


class _OnlyWhatApplies:
    """A page class gets only the tests its declared pages can run: a test whose page is not
    declared is not collected at all (rather than collected and skipped)."""

    applies: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("Test"):     # the bases keep every test for their subclasses
            return
        tests = {}
        for base in reversed(cls.__mro__):
            tests.update({n: f for n, f in vars(base).items() if n.startswith("test_") and callable(f)})
        for name, func in tests.items():
            rule = cls.applies.get(name)
            setattr(cls, name, func if rule is None or rule(cls) else None)


class StorePages(_OnlyWhatApplies):
    """Subclass as `Test<Model>Pages` and declare the pages; see the module docstring."""

    applies = {
        "test_list_shows_rows_in_a_fixed_number_of_queries": lambda c: bool(c.list_path),
        "test_another_stores_row_is_not_found": lambda c: bool(c.edit_path or c.detail_path),
        "test_bad_input_gets_a_field_error_and_changes_nothing":
            lambda c: bool((c.create_path or c.edit_path) and c.bad_form),
        "test_good_input_saves": lambda c: bool(c.create_path),
        "test_another_stores_parent_is_not_found": lambda c: bool(c.list_path and "{parent}" in c.list_path),
    }

    list_path: str | None = None            # with {parent} for a list keyed by a parent row
    parent_model = None                     # the parent's model, then
    list_query: str = "per_page=100"
    create_path: str | None = None
    edit_path: str | None = None            # with {id}
    detail_path: str | None = None          # a page that only shows one row (GET), with {id}
    permission: str = ""                    # what the pages need
    list_permission: str | None = None      # what the list needs, when it differs
    model = None
    form: dict = {}                         # a valid form for the create page
    edit_form: dict | None = None           # a valid form for the edit page (default: `form`)
    bad_form: dict = {}                     # a form with a field error
    bad_edit_form: dict | None = None       # the same for the edit page (default: `bad_form`)
    error_text: str | None = None           # the message a bad form shows, where the page has no field errors
    few, many = 3, 30

    # --- what a subclass provides -------------------------------------------------------------
    def make(self, store, i: int):
        """One row of the model in `store` (numbered i); return it."""
        raise NotImplementedError

    def make_parent(self, store, n: int):
        """The parent row in `store` of a list keyed by one, to hold `n` rows; return it."""
        raise NotImplementedError

    def parent(self, store):
        """The parent row `make_parent` built in `store`."""
        return type(self).parents[store.id]

    def shown(self, row) -> str:
        """Text by which the list shows `row`."""
        for name in ("name", "title", "number", "code", "email"):
            if hasattr(row, name):
                return str(getattr(row, name))
        return str(row.id)

    def create_data(self, store) -> dict:
        """A valid form for the create page of `store` (override when it names the store's rows)."""
        return dict(self.form)

    def edit_data(self, row) -> dict:
        """A valid form for the edit page of `row`."""
        return dict(self.edit_form if self.edit_form is not None else self.form)

    # --- fixtures -----------------------------------------------------------------------------
    @pytest.fixture(scope="class")
    @classmethod
    def pages(cls, crud_stores):
        """The module's stores with this class's rows in them."""
        maker = cls()
        if cls.parent_model is not None:      # other: several parents, the last one's id is not few's
            cls.parents = {crud_stores.few.id: maker.make_parent(crud_stores.few, cls.few),
                           crud_stores.many.id: maker.make_parent(crud_stores.many, cls.many)}
            cls.parents[crud_stores.other.id] = [maker.make_parent(crud_stores.other, cls.few + 8)
                                                 for _ in range(cls.few + 8)][-1]
        few = [maker.make(crud_stores.few, i) for i in range(cls.few)]
        many = [maker.make(crud_stores.many, i) for i in range(cls.many)]
        other = [maker.make(crud_stores.other, i) for i in range(cls.few + 8)]
        return crud_stores, few, many, other

    def _client(self, stores, key, store, permissions=None):
        from tests import factories as f

        if key not in stores.clients:
            stores.clients[key] = (f.client("store", store=store) if permissions is None
                                   else f.staff_client(store, permissions=permissions))
        return stores.clients[key]

    def owner(self, stores, store):
        return self._client(stores, ("owner", store.id), store)

    def url(self, store, path: str, **kw) -> str:
        if "{parent}" in path:
            kw.setdefault("parent", self.parent(store).id)
        return f"/store/{store.slug}/{path.format(**kw)}"

    def _snapshot(self, store, row) -> dict | None:
        from tests import factories as f

        def read():
            from app.extensions import db

            obj = db.session.get(self.model, row.id)
            if obj is None:
                return None
            return {c.key: getattr(obj, c.key) for c in inspect(self.model).column_attrs}
        return f.read(store, read)

    def _count(self, store) -> int:
        from tests import factories as f

        return f.read(store, lambda: f.db_session().scalar(select(func.count()).select_from(self.model)))

    def _foreign_rows(self, stores, other_rows):
        """Store `other`'s rows whose ids the `few` store has no row of."""
        from tests import factories as f

        ids = [r.id for r in other_rows]
        own = set(f.read(stores.few, lambda: f.db_session().scalars(
            select(self.model.id).where(self.model.id.in_(ids))).all()))
        foreign = [r for r in other_rows if r.id not in own]
        assert foreign, "store `other` needs rows with ids that store `few` lacks"
        return foreign

    # --- the tests ----------------------------------------------------------------------------
    def test_list_shows_rows_in_a_fixed_number_of_queries(self, app, pages):
        stores, few, many, _other = pages
        counts = {}
        for store, rows in ((stores.few, few), (stores.many, many)):
            count, html = queries_for(app, self.owner(stores, store), self.url(store, self.list_path) +
                                      ("?" + self.list_query if self.list_query else ""))
            missing = [self.shown(r) for r in rows if self.shown(r) not in html]
            assert missing == [], f"rows not on the list page: {missing[:5]}"
            counts[len(rows)] = count
        assert counts[self.few] == counts[self.many], f"statements for {self.few} vs {self.many} rows: {counts}"

    def test_pages_refuse_staff_without_the_permission(self, app, pages):
        stores, few, _many, _other = pages
        store = stores.few
        outsider = self._client(stores, ("outsider", store.id), store, ["store.dashboard"])
        visits = []
        if self.list_path:
            visits.append((self.list_path, {"bulk_action": "delete", "ids": [str(getattr(few[0], "id", 1))]}))
        if self.create_path:
            visits.append((self.create_path, self.create_data(store)))
        if self.edit_path:
            visits.append((self.edit_path.format(id=few[0].id), self.edit_data(few[0])))
        if self.detail_path:
            visits.append((self.detail_path.format(id=few[0].id), None))
        assert visits, "declare at least one page"
        before = self._count(store) if self.model is not None else None
        row_before = self._snapshot(store, few[0]) if self.edit_path else None
        for path, data in visits:
            url = self.url(store, path)
            assert outsider.get(url).status_code == 403, url
            if data is not None:
                assert outsider.form(url, data).status_code == 403, url
        if self.edit_path:
            assert self._snapshot(store, few[0]) == row_before, "a refused request changed the row"
        if before is not None:
            assert self._count(store) == before, "a refused request changed rows"
        needed = self.list_permission or self.permission
        if self.list_path and needed:
            insider = self._client(stores, ("insider", store.id, needed), store, ["store.dashboard", needed])
            assert insider.get(self.url(store, self.list_path)).status_code == 200

    def test_another_stores_row_is_not_found(self, app, pages):
        stores, _few, _many, other = pages
        owner = self.owner(stores, stores.few)
        for row in self._foreign_rows(stores, other):
            before = self._snapshot(stores.other, row)
            for path in filter(None, (self.edit_path, self.detail_path)):
                url = self.url(stores.few, path, id=row.id)
                response = owner.get(url)
                assert response.status_code == 404, (url, response.status_code)
                if path == self.edit_path:
                    response = owner.form(url, self.edit_data(row))
                    assert response.status_code == 404, (url, response.status_code)
            assert self._snapshot(stores.other, row) == before

    def test_another_stores_parent_is_not_found(self, app, pages):
        from tests import factories as f

        stores, _few, _many, other = pages
        parent = self.parent(stores.other)
        assert f.read(stores.few, lambda: f.db_session().get(self.parent_model, parent.id)) is None, \
            "store `few` has a parent with the id of store `other`'s"
        owner = self.owner(stores, stores.few)
        url = self.url(stores.few, self.list_path, parent=parent.id)
        before = self._count(stores.other)
        response = owner.get(url)
        assert response.status_code == 404, (url, response.status_code)
        response = owner.form(url, {"bulk_action": "delete", "ids": [str(r.id) for r in other]})
        assert response.status_code == 404, (url, response.status_code)
        assert self._count(stores.other) == before

    def test_bad_input_gets_a_field_error_and_changes_nothing(self, app, pages):
        stores, few, _many, _other = pages
        store = stores.few
        owner = self.owner(stores, store)
        if self.create_path:
            before = self._count(store)
            response = owner.form(self.url(store, self.create_path), {**self.create_data(store), **self.bad_form})
            assert response.status_code == 422, response.status_code
            self._assert_error_shown(response)
            assert self._count(store) == before
        if self.edit_path:
            row = few[-1]
            before = self._snapshot(store, row)
            response = owner.form(self.url(store, self.edit_path, id=row.id), {**self.edit_data(row), **(self.bad_edit_form if self.bad_edit_form is not None else self.bad_form)})
            assert response.status_code == 422, response.status_code
            self._assert_error_shown(response)
            assert self._snapshot(store, row) == before

    def _assert_error_shown(self, response):
        html = response.get_data(as_text=True)
        if self.error_text:
            assert self.error_text in html, f"the page does not say {self.error_text!r}"
        else:
            assert 'class="error"' in html, "the page names no field error"

    def test_good_input_saves(self, app, pages):
        stores, _few, _many, _other = pages
        store = stores.few
        before = self._count(store)
        response = self.owner(stores, store).form(self.url(store, self.create_path), self.create_data(store))
        assert response.status_code in (302, 303), (response.status_code, response.get_data(as_text=True)[:1500])
        assert self._count(store) == before + 1


class PlatformPages(_OnlyWhatApplies):
    """The platform's pages of one model: `Test<Model>Pages(PlatformPages)`. Platform rows are
    shared by the whole run, so the list is compared between a search that finds `few` rows
    and one that finds `many` (each row made with `make(prefix, i)` carries its prefix)."""

    applies = {
        "test_list_shows_rows_in_a_fixed_number_of_queries": lambda c: bool(c.list_path),
        "test_unknown_row_is_not_found": lambda c: bool(c.detail_path),
        "test_bad_input_gets_a_field_error_and_changes_nothing": lambda c: bool(c.create_path),
        "test_good_input_saves": lambda c: bool(c.create_path),
    }

    list_path: str | None = None            # under /platform/
    create_path: str | None = None
    detail_path: str | None = None          # with {id}
    detail_posts = False                    # the detail page takes a form too
    model = None
    form: dict = {}
    bad_form: dict = {}
    few, many = 3, 30

    def make(self, prefix: str, i: int):
        raise NotImplementedError

    def create_data(self) -> dict:
        return dict(self.form)

    @pytest.fixture(scope="class")
    @classmethod
    def platform_pages(cls, app):
        from tests import factories as f

        f.use_app(app)
        maker = cls()
        few_prefix, many_prefix = f.unique("few").replace("-", ""), f.unique("many").replace("-", "")
        few = [maker.make(few_prefix, i) for i in range(cls.few)]
        many = [maker.make(many_prefix, i) for i in range(cls.many)]
        admin = f.client("platform", f.platform_user().email)
        return admin, (few_prefix, few), (many_prefix, many)

    def _count(self, app) -> int:
        from app.extensions import db

        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(self.model))

    def test_list_shows_rows_in_a_fixed_number_of_queries(self, app, platform_pages):
        admin, *sets = platform_pages
        counts = {}
        for prefix, rows in sets:
            count, html = queries_for(app, admin, f"/platform/{self.list_path}?per_page=100&q={prefix}")
            assert html.count(prefix) >= len(rows), f"the list shows fewer than {len(rows)} rows of {prefix}"
            counts[len(rows)] = count
        assert counts[self.few] == counts[self.many], f"statements for {self.few} vs {self.many} rows: {counts}"

    def test_pages_refuse_anyone_but_platform_staff(self, app, platform_pages):
        from tests import factories as f

        _admin, (_prefix, few), _many = platform_pages
        shop = f.store()
        others = {"store owner": f.client("store", store=shop), "anonymous": app.test_client()}
        paths = [(p, True) for p in (self.list_path, self.create_path) if p]
        if self.detail_path:
            paths.append((self.detail_path.format(id=few[0].id), self.detail_posts))
        before = self._count(app)
        for who, client in others.items():
            for path, posts in paths:
                answers = [client.get(f"/platform/{path}")]
                if posts:
                    answers.append(client.form(f"/platform/{path}", self.create_data()))
                for response in answers:
                    assert response.status_code in (302, 303, 401, 403), (who, path, response.status_code)
                    if response.status_code in (302, 303):
                        assert "/platform/login" in response.headers["Location"], (who, path)
        assert self._count(app) == before, "a refused request changed rows"

    def test_unknown_row_is_not_found(self, app, platform_pages):
        admin, *_sets = platform_pages
        assert admin.get(f"/platform/{self.detail_path.format(id=2_000_000_000)}").status_code == 404

    def test_bad_input_gets_a_field_error_and_changes_nothing(self, app, platform_pages):
        admin, *_sets = platform_pages
        before = self._count(app)
        response = admin.form(f"/platform/{self.create_path}", {**self.create_data(), **self.bad_form})
        assert response.status_code == 422, response.status_code
        assert 'class="error"' in response.get_data(as_text=True), "the page names no field error"
        assert self._count(app) == before

    def test_good_input_saves(self, app, platform_pages):
        admin, *_sets = platform_pages
        before = self._count(app)
        response = admin.form(f"/platform/{self.create_path}", self.create_data())
        assert response.status_code in (302, 303), (response.status_code, response.get_data(as_text=True)[:1500])
        assert self._count(app) == before + 1


@dataclass
class PortalWorld:
    """The supplier portal's stores: in `store`, supplier accounts `x` and `y` (one of them
    holds `few` rows of each declared model, the other `many`); `z` serves `other` only."""
    store: object
    other: object
    accounts: dict
    suppliers: dict
    clients: dict


@pytest.fixture(scope="module")
def portal_world(app):
    """The module's portal stores and suppliers (see PortalWorld), dropped at its end."""
    from tests import factories as f

    f.use_app(app)
    one, two = f.store(), f.store()
    accounts = {name: f.supplier(company=f"{name.upper()} 公司") for name in ("x", "y", "z")}
    suppliers = {"x": f.supplier_record(one, accounts["x"]), "y": f.supplier_record(one, accounts["y"]),
                 "z": f.supplier_record(two, accounts["z"])}
    yield PortalWorld(one, two, accounts, suppliers, {})
    f.drop_store(one)
    f.drop_store(two)


class PortalPages:
    """One supplier-portal list: `Test<Model>PortalPages(PortalPages)` with `list_path` (under
    /supplier/stores/<slug>/), `model` and `make(store, supplier, i)` (one row of `supplier`).
    The list shows the signed-in supplier's rows only (not the store's other supplier's; a
    supplier of another store is refused), in the same number of statements for 3 rows as for 30."""

    list_path: str = ""
    list_query: str = "per_page=100"
    model = None
    few, many = 3, 30

    def make(self, store, supplier, i: int):
        raise NotImplementedError

    def shown(self, row) -> str:
        return str(row.number)

    @pytest.fixture(scope="class")
    @classmethod
    def portal_pages(cls, portal_world):
        maker, w = cls(), portal_world
        rows = {"x": [maker.make(w.store, w.suppliers["x"], i) for i in range(cls.few)],
                "y": [maker.make(w.store, w.suppliers["y"], i) for i in range(cls.many)],
                "z": [maker.make(w.other, w.suppliers["z"], i) for i in range(cls.few)]}
        return w, rows

    def client(self, world, name):
        from tests import factories as f

        if name not in world.clients:
            world.clients[name] = f.client("supplier", world.accounts[name].email)
        return world.clients[name]

    def url(self, store) -> str:
        return f"/supplier/stores/{store.slug}/{self.list_path}" + ("?" + self.list_query if self.list_query else "")

    def test_list_shows_only_the_suppliers_own_rows_in_a_fixed_number_of_queries(self, app, portal_pages):
        world, rows = portal_pages
        counts = {}
        for name, other in (("x", "y"), ("y", "x")):
            count, html = queries_for(app, self.client(world, name), self.url(world.store))
            missing = [self.shown(r) for r in rows[name] if self.shown(r) not in html]
            assert missing == [], f"{name}'s rows not on its list: {missing[:5]}"
            seen = [self.shown(r) for r in rows[other] if self.shown(r) in html]
            assert seen == [], f"{name} sees the rows of the store's other supplier {other}: {seen[:5]}"
            counts[len(rows[name])] = count
        assert counts[self.few] == counts[self.many], f"statements for {self.few} vs {self.many} rows: {counts}"

    def test_a_supplier_of_another_store_and_a_store_owner_are_refused(self, app, portal_pages):
        from tests import factories as f

        world, rows = portal_pages
        url = self.url(world.store)
        visitors = {"z (another store's supplier)": self.client(world, "z"),
                    "the store's owner": f.client("store", store=world.store), "anonymous": app.test_client()}
        for who, visitor in visitors.items():
            response = visitor.get(url)
            assert response.status_code in (302, 303, 401, 403, 404), (who, response.status_code)
            html = response.get_data(as_text=True)
            assert not [r for r in rows["x"] + rows["y"] if self.shown(r) in html], who
        count, html = queries_for(app, self.client(world, "z"), self.url(world.other))   # z's own store still works
        assert all(self.shown(r) in html for r in rows["z"])
