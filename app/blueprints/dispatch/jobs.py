"""Dispatch background work: shipping a bulk file (on the logistics queue, with progress)."""
from flask_babel import lazy_gettext as _l

from app.core.tasks import task


@task("dispatch.bulk_ship", _l("Bulk shipping"), queue="logistics")
def bulk_ship(ctx, rows: list, all_or_nothing: bool, actor_id: int | None = None) -> dict:
    """Check the rows again (orders may have shipped meanwhile) and ship them, with progress."""
    from app.blueprints.dispatch import bulk
    from app.blueprints.store.queries import acting_staff

    parsed = bulk.rows_from(rows)
    ctx.progress(0, len(parsed), "")
    return bulk.ship(acting_staff(actor_id), parsed, all_or_nothing, ctx.progress)
