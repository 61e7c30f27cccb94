"""Run by tests/core/test_suite_cleanup.py in a pytest of its own (not collected by the suite):
starts the embedded servers, says so in a marker file, then waits as long as PROBE_SLEEP says."""
import os
import time
from pathlib import Path

from sqlalchemy import text


def test_probe(app):
    from app.extensions import db

    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    instance = Path(os.environ["HOUTAI_INSTANCE"])
    postmaster = (instance / "pg" / "postmaster.pid").read_text().split()[0]
    marker = Path(os.environ["PROBE_MARKER"])
    marker.with_suffix(".tmp").write_text(f"{instance}\n{postmaster}")
    marker.with_suffix(".tmp").rename(marker)   # the outer test never reads half a marker
    time.sleep(float(os.environ.get("PROBE_SLEEP", "0")))
