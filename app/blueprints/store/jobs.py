"""Store-management background work."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core import export
from app.core.audit import AuditEntry
from app.core.tasks import task
from app.extensions import db

CHUNK = 500


@task("store.audit_export", _l("Export the audit log"))
def export_audit_log(ctx, action: str | None = None) -> dict:
    """Write the (filtered) audit log to a CSV file, reporting progress per chunk."""
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    path = ctx.file_path("audit-log.csv")
    done = 0
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = export.CsvWriter(fh)
        writer.writerow(["at", "actor", "action", "object_type", "object_id", "object", "changes", "ip"])
        for chunk in db.session.execute(stmt.execution_options(yield_per=CHUNK)).scalars().partitions(CHUNK):
            for e in chunk:
                writer.writerow([e.at.isoformat(), e.actor_name, e.action, e.object_type or "", e.object_id or "",
                                 e.object_label or "", e.changes, e.ip or ""])
            done += len(chunk)
            ctx.progress(done, total, f"{done}/{total}")
    return {"rows": done, "file": path}
