"""Product center background work."""
from app.blueprints.catalog import services
from app.core.periodic import every


@every(60)
def apply_product_schedules() -> dict:
    """Scheduled on-sale and off-sale times, applied every minute in every store."""
    return services.apply_schedules()


from flask_babel import gettext as _, lazy_gettext as _l  # noqa: E402

from app.core.tasks import task  # noqa: E402


@task("catalog.import", _l("Import products"),
      results={"products": _l("Products"), "skus_created": _l("SKUs created"), "skus_updated": _l("SKUs updated"),
               "skipped_rows": _l("Rows skipped")})
def import_products(ctx, file_key: str, filename: str, mode: str, actor_id: int | None = None) -> dict:
    """Check the file again (it may have aged) and write its good rows, with progress."""
    from app.blueprints.catalog import transfer
    from app.blueprints.store.queries import acting_staff
    from app.core.errors import DomainError
    from app.core.storage import get_storage

    actor = acting_staff(actor_id)
    plan = transfer.plan_import(transfer.read_rows(get_storage().path(file_key).read_bytes(), filename))
    if plan.errors and mode != "good":
        raise DomainError(_("%(n)d rows have errors; nothing was imported.", n=len(plan.errors)))
    ctx.progress(0, len(plan.groups), "")
    result = transfer.apply_import(actor, plan, ctx.progress)
    result["skipped_rows"] = len({e.row for e in plan.errors})
    return result
