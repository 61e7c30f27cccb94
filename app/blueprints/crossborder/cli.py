"""`flask --app wsgi crossborder export SLUG DAY`: the customs export of a day, to a file."""
from __future__ import annotations

from datetime import datetime

import click

from app.blueprints.crossborder import bp, manifest, services


@bp.cli.command("export")
@click.argument("slug")
@click.argument("day")
@click.option("--out", "out", default=None, help="ZIP file to write (default customs-SLUG-YYYYMMDD.zip)")
def export_command(slug, day, out):
    """Write the customs export (CEB311/CEB411/CEB511) of store SLUG's cross-border orders paid
    on DAY (YYYY-MM-DD, the store's time zone)."""
    from app.core.tenancy import load_store, store_context
    from app.extensions import db

    try:
        when = datetime.strptime(day, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter("a day looks like 2026-12-01", param_hint="DAY") from None
    store = load_store(slug)
    if store is None:
        raise click.ClickException(f"no store {slug!r}")
    with store_context(store):
        export = services.export_day(when)
        db.session.rollback()
    path = out or f"customs-{slug}-{when:%Y%m%d}.zip"
    with open(path, "wb") as fh:
        fh.write(export.zip_bytes())
    click.echo(f"{path}: {export.orders} orders, {export.payments} payments, {export.waybills} waybills "
               f"({manifest.STANDARD})")
    for number in export.without_waybill:
        click.echo(f"  no waybill yet: {number}")
