"""The shared list page (after NetBox's ObjectListView): a center declares its query,
columns, filters, search fields and bulk actions; this view gives filtering, keyword
search, sorting, paging, bulk actions and an export of the filtered set as CSV or XLSX.

A page costs two queries (count and rows) plus whatever eager loads the query declares,
however many rows it shows.

Exports are made for spreadsheets: a column of ``kind="datetime"`` is written in the store's
time zone with the UTC offset in its header, ``kind="money"`` as a number in major units
with a Currency column beside it, ``kind="number"`` as a number. An export of more than
``EXPORT_INLINE_MAX_ROWS`` rows runs as a background task (progress bar, then a download).
"""
from __future__ import annotations

import io
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Response, current_app, flash, render_template, request, stream_with_context, url_for
from flask.views import View
from flask_babel import force_locale, format_datetime, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, func, or_, select

from app.core import export, permissions, platform_export
from app.core.errors import DomainError
from app.core.money import format_money, to_major
from app.core.tasks import task
from app.core.htmx import is_htmx, redirect_to
from app.core.tenancy import bound_store, current_store, store_context
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
    kind: str = "text"                    # "datetime" | "money" | "number": a typed cell in exports
    raw: Callable[[Any], Any] | None = None        # the exported value when not getattr(row, key)
    currency: Callable[[Any], str] | None = None   # money: the row's currency (default row.currency)

    def __post_init__(self):
        if self.value is None and self.kind == "datetime":
            self.value = lambda row: fmt_dt(self.raw_value(row))
        elif self.value is None and self.kind == "money":
            self.value = lambda row: format_money(self.raw_value(row), self.currency_of(row))

    def get(self, row) -> Any:
        return self.value(row) if self.value else getattr(row, self.key)

    def raw_value(self, row) -> Any:
        """The value an export writes: the datetime or minor units themselves, else what the page shows."""
        if self.raw is not None:
            return self.raw(row)
        if self.kind in ("datetime", "money"):
            return getattr(row, self.key)
        return self.get(row)

    def currency_of(self, row) -> str:
        if self.currency is not None:
            return self.currency(row)
        return getattr(row, "currency", None) or _store_currency()


def _store_currency() -> str:
    store = bound_store()
    return store.currency if store is not None else "CNY"


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
    run: Callable[..., str]                   # (ids, actor) -> message (or a redirect); (ids, actor, param)
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


EXPORT_FORMATS = ("csv", "xlsx")
XLSX_MIMETYPE = export.XLSX_MIMETYPE
EXPORT_CHUNK = 500
LIST_VIEWS: dict[str, type["ListView"]] = {}   # endpoint -> list view, for exports run as a task


class ExportTable:
    """The header and typed cells of one export, shared by the download and the background task:
    datetimes in the store's time zone (offset in the header), money in major units with a
    Currency column after the first money column, numbers as numbers, text made inert."""

    def __init__(self, columns: list[Column], title, value: Callable | None = None, items: Callable | None = None):
        self.columns, self.title = columns, title
        self.value = value or (lambda column, item: column.raw_value(item))
        self.items = items or (lambda obj: (obj,))
        store = bound_store()
        self.tz = ZoneInfo(store.timezone) if store is not None else ZoneInfo("UTC")
        money = [i for i, c in enumerate(self.columns) if c.kind == "money"]
        self.currency_after = money[0] if money else None

    def header(self) -> list[str]:
        """Each datetime column's label names the offset of its times (UTC+08:00); in a zone with
        summer time, where rows differ, it names the zone and a column after it gives each row's offset."""
        offset = fixed_offset(self.tz)
        labels = []
        for i, c in enumerate(self.columns):
            if c.kind == "datetime" and offset is None:
                labels += [f"{c.label} ({self.tz.key})", _("%(column)s: UTC offset", column=str(c.label))]
            else:
                labels.append(f"{c.label} ({offset})" if c.kind == "datetime" else str(c.label))
            if i == self.currency_after:
                labels.append(_("Currency"))
        return labels

    def cells(self, item, fmt: str) -> list:
        values = []
        per_row_offset = fixed_offset(self.tz) is None
        for i, c in enumerate(self.columns):
            value = self.value(c, item)
            row_offset = None
            if c.kind == "datetime" and value is not None:
                value = value.astimezone(self.tz)
                row_offset = offset_text(value.utcoffset())
                value = value.replace(tzinfo=None)
                if fmt == "csv":
                    value = value.strftime("%Y-%m-%d %H:%M:%S")
            elif c.kind == "money" and value is not None:
                value = to_major(value, c.currency_of(item))
            values.append(value)
            if c.kind == "datetime" and per_row_offset:
                values.append(row_offset)
            if i == self.currency_after:
                values.append(c.currency_of(item))
        return values

    def chunks(self, stmt: Select):
        """The objects of `stmt` in chunks, read with a server-side cursor."""
        yield from db.session.execute(stmt.execution_options(yield_per=EXPORT_CHUNK)).scalars().partitions(EXPORT_CHUNK)

    def csv_chunks(self, stmt: Select, progress=None):
        buf = io.StringIO()
        writer = export.CsvWriter(buf)
        buf.write("\ufeff")  # so that spreadsheet programs read UTF-8 (Chinese) correctly
        writer.writerow(self.header())
        yield buf.getvalue()
        done = 0
        for chunk in self.chunks(stmt):
            buf.seek(0)
            buf.truncate()
            for obj in chunk:
                for item in self.items(obj):
                    writer.writerow(self.cells(item, "csv"))
            done += len(chunk)
            if progress:
                progress(done)
            yield buf.getvalue()

    def write_xlsx(self, fh, stmt: Select, progress=None) -> None:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(str(self.title)[:31] or "export")
        export.xlsx_write_row(sheet, self.header())
        done = 0
        for chunk in self.chunks(stmt):
            for obj in chunk:
                for item in self.items(obj):
                    export.xlsx_write_row(sheet, self.cells(item, "xlsx"))
            done += len(chunk)
            if progress:
                progress(done)
        book.save(fh)


def export_response(table: ExportTable, stmt: Select, fmt: str, filename: str) -> Response:
    """The export as a download: XLSX built at once, CSV streamed in chunks."""
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "xlsx":
        out = io.BytesIO()
        table.write_xlsx(out, stmt)
        db.session.rollback()
        return Response(out.getvalue(), mimetype=XLSX_MIMETYPE, headers=disposition)
    store = bound_store()
    app = current_app._get_current_object()

    def rows():
        with app.app_context(), (store_context(store) if store else nullcontext()):
            yield from table.csv_chunks(stmt)
            db.session.rollback()

    return Response(stream_with_context(rows()), mimetype="text/csv", headers=disposition)


def offset_text(offset: timedelta | None) -> str:
    """'UTC+08:00' for eight hours east of UTC."""
    minutes = int((offset or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def fixed_offset(tz: ZoneInfo) -> str | None:
    """The zone's one offset ('UTC+08:00' for Asia/Shanghai), or None for a zone whose offset
    changes during the year (summer time), where each time needs its own."""
    year = datetime.now(tz).year
    january, july = (datetime(year, month, 1, 12, tzinfo=tz).utcoffset() for month in (1, 7))
    return offset_text(january) if january == july else None


def start_list_export(actor, endpoint: str, args: dict, fmt: str, variant: str | None = None,
                      owner: str | None = None):
    """Queue the export of the list at `endpoint`, filtered by `args` (query-string lists),
    in the current language; returns the task (the caller commits). `owner` is who follows it
    when not the store's staff ('supplier:<account id>' on the portal, see ListView.export_owner)."""
    from app.core.tasks import start_task

    view = LIST_VIEWS[endpoint]
    return start_task(actor, "core.list_export", _("Export: %(list)s", list=str(view.title)), endpoint=endpoint,
                      args=args, fmt=fmt, variant=variant, locale=str(get_locale()), owner=owner)


@task("core.list_export", _l("Export a list"))
def run_list_export(ctx, endpoint: str, args: dict, fmt: str, variant: str | None = None,
                    locale: str | None = None, owner: str | None = None) -> dict:
    """A big list export, written to the task's file with progress per chunk."""
    from werkzeug.datastructures import MultiDict

    view = LIST_VIEWS[endpoint]()
    if owner:
        view.bind_export_owner(owner)     # the portal's list reads g.supplier, as in the request
    with force_locale(locale or current_store().default_locale):
        stmt, _state = view.filtered(MultiDict(args))
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        table = view.export_table(variant)
        path = ctx.file_path(view.export_filename(fmt, variant))
        stmt = view.export_query(stmt, variant)

        def progress(done):
            ctx.progress(done, total, f"{done}/{total}")

        if fmt == "xlsx":
            with open(path, "wb") as fh:
                table.write_xlsx(fh, stmt, progress)
        else:
            with open(path, "w", newline="", encoding="utf-8") as fh:
                for text in table.csv_chunks(stmt, progress):
                    fh.write(text)
    return {"rows": total, "file": path}


LAYOUTS = {"platform": "layouts/platform.html", "supplier": "layouts/portal.html", "store": "layouts/store.html"}


class ListView(View):
    """Configure by subclassing; register with ``ListView.register(bp, '/rule', 'name')``."""

    methods = ["GET", "POST"]
    realm = "store"                   # or "platform", or "supplier" (the portal: the view scopes its query)
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
    export_variants: dict[str, Any] = {}   # other shapes of the export, name -> label

    @classmethod
    def register(cls, bp, rule: str, endpoint: str) -> None:
        LIST_VIEWS[f"{bp.name}.{endpoint}"] = cls
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
            if request.form.get("export"):
                return self.start_export()
            return self.bulk()
        stmt, state = self.filtered()
        if request.args.get("export") in EXPORT_FORMATS:
            variant = request.args.get("variant")
            return self.export(stmt, request.args["export"], variant if variant in self.export_variants else None)
        page = self.paginate(stmt, state)
        context = self.context(page, state)
        if is_htmx() and request.headers.get("HX-Target") == "list-results":
            return render_template("components/_list_results.html", **context)
        return render_template(self.template, **context)

    def context(self, page: Page, state: dict) -> dict:
        layout = LAYOUTS.get(self.realm, "layouts/store.html")
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
            "export_links": self.export_links(page),
        }

    def export_links(self, page: Page) -> list[tuple[str, Any]]:
        links = [(page.url(export="csv", page=None, per_page=None), _("Export CSV")),
                 (page.url(export="xlsx", page=None, per_page=None), _("Export XLSX"))]
        for name, label in self.export_variants.items():
            links.append((page.url(export="xlsx", variant=name, page=None, per_page=None),
                          _("Export XLSX: %(variant)s", variant=label)))
        return links

    def _allowed(self, action: BulkAction) -> bool:
        return action.permission is None or self.realm == "platform" or permissions.can(action.permission)

    def sort_keys(self) -> dict[str, Any]:
        return {c.key: c.sort for c in self.columns if c.sort is not None}

    def filtered(self, args=None) -> tuple[Select, dict]:
        """The statement with search, filters and sort from `args` (the request's query string)."""
        args = request.args if args is None else args
        stmt = self.query()
        state: dict[str, Any] = {}
        q = (args.get("q") or "").strip()[:100]
        if q:
            stmt = self.search(stmt, q)
        state["q"] = q
        state["invalid"] = []
        for flt in self.filters:
            try:
                value = flt.clean(args.get(flt.name))
                if value is not None:   # 9999-12-31 + 1 day overflows: a bad value, not a server error
                    stmt = flt.apply(stmt, value)
            except (ValueError, OverflowError, ArithmeticError):
                value = None
                state["invalid"].append(flt.label)
            state[flt.name] = value
        sort = args.get("sort") or self.default_sort
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
    def export_columns(self, variant: str | None) -> list[Column]:
        """The exported columns; a view with `export_variants` answers per variant."""
        return [c for c in self.columns if c.export]

    def export_query(self, stmt: Select, variant: str | None) -> Select:
        """The filtered statement as the export reads it (a variant may eager-load more)."""
        return stmt

    def export_items(self, row, variant: str | None):
        """The exported rows for one object: itself, or (object, part) pairs for a variant."""
        return (row,)

    def export_value(self, column: Column, row):
        """The typed cell for `row` (see ExportTable); export.cell makes text inert."""
        return column.raw_value(row)

    def export(self, stmt: Select, fmt: str, variant: str | None):
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        if total > current_app.config["EXPORT_INLINE_MAX_ROWS"]:
            return render_template("components/export_confirm.html", view=self, total=total, fmt=fmt,
                                   variant=variant, layout=LAYOUTS[self.realm])
        return export_response(self.export_table(variant), self.export_query(stmt, variant), fmt,
                               self.export_filename(fmt, variant))

    def export_table(self, variant: str | None) -> ExportTable:
        return ExportTable(self.export_columns(variant), self.title, value=self.export_value,
                           items=lambda obj: self.export_items(obj, variant))

    def export_filename(self, fmt: str, variant: str | None) -> str:
        return f"{self.export_name}{'-' + variant if variant else ''}.{fmt}"

    def start_export(self):
        """POST from the confirmation page: the export runs as a background task."""
        fmt = request.form.get("export")
        variant = request.form.get("variant") or None
        if fmt not in EXPORT_FORMATS or (variant is not None and variant not in self.export_variants):
            flash(_("Unknown export format."), "error")
            return redirect_to(request.full_path if request.query_string else request.path)
        args = {k: v for k, v in request.args.lists() if k not in ("export", "variant", "page", "per_page")}
        if self.realm == "platform":     # no store schema to hold a task: an RQ job (core.platform_export)
            job_id = platform_export.start_platform_export(current_user._get_current_object(), request.endpoint, args, fmt, variant,
                                           str(get_locale()), _("Export: %(list)s", list=str(self.title)))
            return redirect_to(url_for("platform.export_job", id=job_id))
        task = start_list_export(current_user._get_current_object(), request.endpoint, args, fmt, variant,
                                 owner=self.export_owner())
        db.session.commit()
        return redirect_to(url_for(self.job_endpoint, id=task.id))

    # a background export on the portal is the supplier's own task, followed on the portal's pages
    job_endpoint = "store.job_detail"

    def export_owner(self) -> str | None:
        """Who follows this list's background exports when not the store's staff (the portal:
        'supplier:<account id>'); None for the store's staff, under the store.jobs rules."""
        return None

    def bind_export_owner(self, owner: str) -> None:
        """In the worker, before the export's query: restore what the list's request had."""

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
            if isinstance(message, Response):   # the action answers with a page to go to (a print page)
                return message
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
