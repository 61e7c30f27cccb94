"""The shared list page (after NetBox's ObjectListView): a center declares its query,
columns, filters, search fields and bulk actions; this view gives filtering, keyword
search, sorting, paging, bulk actions and a streamed CSV export of the filtered set.

A page costs two queries (count and rows) plus whatever eager loads the query declares,
however many rows it shows.
"""
from __future__ import annotations

import io
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

from flask import Response, current_app, flash, render_template, request, stream_with_context, url_for
from flask.views import View
from flask_babel import format_datetime, gettext as _
from flask_login import current_user
from sqlalchemy import Select, func, or_, select

from app.core import export, permissions
from app.core.errors import DomainError
from app.core.htmx import is_htmx, redirect_to
from app.core.tenancy import bound_store, store_context
from app.extensions import db


@dataclass
class Column:
    key: str
    label: Any
    sort: Any = None                      # SQL expression to order by; None = not sortable
    value: Callable[[Any], Any] | None = None
    link: Callable[[Any], str] | None = None
    badge: bool = False                   # render as a status badge
    export: bool = True

    def get(self, row) -> Any:
        return self.value(row) if self.value else getattr(row, self.key)


@dataclass
class Filter:
    name: str
    label: Any
    apply: Callable[[Select, str], Select]
    choices: Callable[[], list[tuple[str, Any]]] | list | None = None   # None = free text
    parse: Callable[[str], Any] | None = None   # raises ValueError on bad input
    placeholder: Any = None

    def options(self) -> list[tuple[str, Any]]:
        return self.choices() if callable(self.choices) else list(self.choices or [])

    def clean(self, raw: str | None) -> str | None:
        if raw is None or raw.strip() == "":
            return None
        raw = raw.strip()[:100]
        if self.choices is not None and raw not in {v for v, _ in self.options()}:
            raise ValueError(raw)
        return self.parse(raw) if self.parse else raw


@dataclass
class BulkAction:
    name: str
    label: Any
    run: Callable[..., str]                   # (ids, actor) -> message; (ids, actor, param) with a param
    permission: str | None = None
    confirm: Any = None
    danger: bool = False
    param_label: Any = None                   # an extra value the action needs (target category, tag)
    param_choices: Callable[[], list[tuple[str, Any]]] | None = None   # None = free text


@dataclass
class Page:
    rows: list
    total: int
    page: int
    per_page: int
    sort: str
    args: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)

    def url(self, **changes) -> str:
        args = {**self.args, **changes}
        clean = {k: v for k, v in args.items() if v not in (None, "")}
        return "?" + urlencode(clean)

    def sort_url(self, key: str) -> str:
        new = f"-{key}" if self.sort == key else key
        return self.url(sort=new, page=1)


class ListView(View):
    """Configure by subclassing; register with ``ListView.register(bp, '/rule', 'name')``."""

    methods = ["GET", "POST"]
    realm = "store"                   # or "platform"
    permission: str | None = None     # store permission to view
    title: Any = ""
    model: Any = None
    columns: list[Column] = []
    filters: list[Filter] = []
    search_fields: list = []
    search_placeholder: Any = None
    default_sort = "-id"
    per_page_choices = (20, 50, 100)
    bulk_actions: list[BulkAction] = []
    export_name = "export"
    create_endpoint: str | None = None
    create_label: Any = None
    create_permission: str | None = None
    template = "components/list.html"
    empty_message: Any = None
    saved_filters = False             # let staff save named filters of this list

    @classmethod
    def register(cls, bp, rule: str, endpoint: str) -> None:
        bp.add_url_rule(rule, view_func=permissions.guard(cls.as_view(endpoint), cls.realm, cls.permission))

    # --- the parts a center overrides ------------------------------------------------------
    def query(self) -> Select:
        """The base statement (joins, eager loads). Filters, search and sort are added to it."""
        return select(self.model)

    def search(self, stmt: Select, q: str) -> Select:
        """Keyword search; by default a case-insensitive substring match on `search_fields`."""
        if not self.search_fields:
            return stmt
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return stmt.where(or_(*[f.ilike(f"%{escaped}%") for f in self.search_fields]))

    # --- request handling ------------------------------------------------------------------
    def dispatch_request(self, **kwargs):
        if request.method == "POST":
            return self.bulk()
        stmt, state = self.filtered()
        if request.args.get("export") == "csv":
            return self.export(stmt)
        page = self.paginate(stmt, state)
        context = self.context(page, state)
        if is_htmx() and request.headers.get("HX-Target") == "list-results":
            return render_template("components/_list_results.html", **context)
        return render_template(self.template, **context)

    def context(self, page: Page, state: dict) -> dict:
        layout = "layouts/platform.html" if self.realm == "platform" else "layouts/store.html"
        saved = []
        if self.saved_filters and self.realm == "store":
            from app.core import savedfilters

            saved = savedfilters.for_view(current_user.id, request.endpoint)
        return {
            "saved": saved,
            "view": self, "page": page, "state": state, "layout": layout,
            "columns": self.columns, "filters": self.filters,
            "bulk_actions": [a for a in self.bulk_actions if self._allowed(a)],
            "export_url": page.url(export="csv", page=None, per_page=None),
        }

    def _allowed(self, action: BulkAction) -> bool:
        return action.permission is None or self.realm == "platform" or permissions.can(action.permission)

    def sort_keys(self) -> dict[str, Any]:
        return {c.key: c.sort for c in self.columns if c.sort is not None}

    def filtered(self) -> tuple[Select, dict]:
        stmt = self.query()
        state: dict[str, Any] = {}
        q = (request.args.get("q") or "").strip()[:100]
        if q:
            stmt = self.search(stmt, q)
        state["q"] = q
        state["invalid"] = []
        for flt in self.filters:
            try:
                value = flt.clean(request.args.get(flt.name))
                if value is not None:   # 9999-12-31 + 1 day overflows: a bad value, not a server error
                    stmt = flt.apply(stmt, value)
            except (ValueError, OverflowError, ArithmeticError):
                value = None
                state["invalid"].append(flt.label)
            state[flt.name] = value
        sort = request.args.get("sort") or self.default_sort
        keys = self.sort_keys()
        if sort.lstrip("-") not in keys:
            sort = self.default_sort
        state["sort"] = sort
        expr = keys.get(sort.lstrip("-"))
        if expr is not None:
            order = expr.desc() if sort.startswith("-") else expr.asc()
            # the primary key breaks ties so paging is stable
            stmt = stmt.order_by(order.nulls_last(), *[c.desc() for c in self.model.__table__.primary_key])
        return stmt, state

    def paginate(self, stmt: Select, state: dict) -> Page:
        try:
            per_page = int(request.args.get("per_page", self.per_page_choices[0]))
        except ValueError:
            per_page = self.per_page_choices[0]
        if per_page not in self.per_page_choices:
            per_page = self.per_page_choices[0]
        try:
            page_no = max(1, int(request.args.get("page", 1)))
        except ValueError:
            page_no = 1
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        pages = max(1, -(-total // per_page))
        page_no = min(page_no, pages)
        rows = db.session.scalars(stmt.limit(per_page).offset((page_no - 1) * per_page)).unique().all()
        args = {k: v for k, v in state.items() if v not in (None, "") and k != "invalid"}
        if state.get("sort") == self.default_sort:
            args.pop("sort", None)
        args["per_page"] = per_page if per_page != self.per_page_choices[0] else None
        return Page(rows=list(rows), total=total, page=page_no, per_page=per_page, sort=state["sort"], args=args)

    # --- export ----------------------------------------------------------------------------
    def export_value(self, column: Column, row):
        """The cell for `row`; export.cell makes text inert and keeps numbers numeric."""
        return column.get(row)

    def export(self, stmt: Select) -> Response:
        columns = [c for c in self.columns if c.export]
        store = bound_store()
        app = current_app._get_current_object()

        def rows():
            buf = io.StringIO()
            writer = export.CsvWriter(buf)
            buf.write("\ufeff")  # so that spreadsheet programs read UTF-8 (Chinese) correctly
            writer.writerow([str(c.label) for c in columns])
            yield buf.getvalue()
            with app.app_context(), (store_context(store) if store else nullcontext()):
                result = db.session.execute(stmt.execution_options(yield_per=500)).scalars()
                for chunk in result.partitions(500):
                    buf.seek(0)
                    buf.truncate()
                    for row in chunk:
                        writer.writerow([self.export_value(c, row) for c in columns])
                    yield buf.getvalue()
                db.session.rollback()

        filename = f"{self.export_name}.csv"
        return Response(stream_with_context(rows()), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    # --- bulk actions ----------------------------------------------------------------------
    def bulk(self):
        name = request.form.get("bulk_action", "")
        action = next((a for a in self.bulk_actions if a.name == name), None)
        back = request.full_path if request.query_string else request.path
        if action is None:
            flash(_("Choose an action for the selected rows."), "error")
            return redirect_to(back)
        if action.permission and self.realm == "store":
            permissions.check(action.permission)
        try:
            ids = sorted({int(i) for i in request.form.getlist("ids")})
        except ValueError:
            ids = []
        if not ids:
            flash(_("Select at least one row first."), "error")
            return redirect_to(back)
        try:
            actor = current_user._get_current_object()
            if action.param_label is not None:
                message = action.run(ids, actor, (request.form.get(f"bulk_param_{action.name}") or "").strip())
            else:
                message = action.run(ids, actor)
            db.session.commit()
            flash(message, "success")
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        return redirect_to(back)


def fmt_dt(value) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""


def detail_url(endpoint: str, **kw) -> Callable[[Any], str]:
    """A Column.link that points each row at `endpoint` with its id."""
    return lambda row: url_for(endpoint, id=row.id, **kw)
