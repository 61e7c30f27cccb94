"""Cross-border background work: the customs export of a day (a task with its file)."""
from datetime import date

from flask_babel import lazy_gettext as _l

from app.blueprints.crossborder import services
from app.core.tasks import task


@task("crossborder.customs_export", _l("Customs export"),
      results={"orders": _l("Orders"), "payments": _l("Payments"), "waybills": _l("Waybills"),
               "without_waybill": _l("Orders without a waybill yet")})
def customs_export(ctx, day: str) -> dict:
    """The three customs documents of the day's cross-border orders, as a ZIP file."""
    when = date.fromisoformat(day)
    ctx.progress(0, 1, day)
    export = services.export_day(when)
    path = ctx.file_path(f"customs-{when:%Y%m%d}.zip")
    path.write_bytes(export.zip_bytes())
    return {"orders": export.orders, "payments": export.payments, "waybills": export.waybills,
            "without_waybill": len(export.without_waybill), "file": path}
