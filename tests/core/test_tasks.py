"""Long tasks: progress visible while running, cancel, result file, Jobs page."""
import csv
import io

from app.blueprints.platform.models import Store
from app.core import tasks
from app.core.tenancy import store_context
from app.extensions import db
from tests.conftest import wait_for


def _task(app, store, task_id) -> tasks.Task:
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        row = db.session.get(tasks.Task, task_id)
        db.session.expunge(row)
        return row


def _start(app, store, kind, **params) -> int:
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        row = tasks.start_task(None, kind, "test task", **params)
        db.session.commit()
        return row.id


def test_audit_export_runs_in_the_background_with_a_result_file(app, owner, store):
    for i in range(3):
        owner.form(f"/store/{store.slug}/roles/new", {"name": f"Export role {i}", "permissions": ["store.dashboard"]})
    response = owner.form(f"/store/{store.slug}/audit/export", {"action": "role.created"})
    assert response.status_code == 303
    task_url = response.headers["Location"]
    task_id = int(task_url.rstrip("/").split("/")[-1])
    wait_for(lambda: _task(app, store, task_id).state == "done")
    page = owner.get(task_url).get_data(as_text=True)
    assert "Download the result" in page and "hx-trigger" not in page
    download = owner.get(f"/store/{store.slug}/jobs/{task_id}/file")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1 + 3 and {r[2] for r in rows[1:]} == {"Role created"}
    assert "test task" not in owner.get(f"/store/{store.slug}/jobs").get_data(as_text=True)


def test_progress_is_visible_while_running_and_cancel_stops_the_task(app, owner, store):
    task_id = _start(app, store, "test.count", steps=50, pause=0.1)
    wait_for(lambda: _task(app, store, task_id).progress > 0)
    fragment = owner.get(f"/store/{store.slug}/jobs/{task_id}/progress").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in fragment and "Running" in fragment
    owner.form(f"/store/{store.slug}/jobs/{task_id}/cancel")
    wait_for(lambda: _task(app, store, task_id).state == "cancelled")
    assert _task(app, store, task_id).progress < 100


def test_a_task_of_another_store_is_not_reachable(app, make_store):
    a, b = make_store(), make_store()
    task_id = _start(app, b, "test.count", steps=1, pause=0)
    client = app.test_client()
    client.login("store", a.owner_email, slug=a.slug)
    response = client.get(f"/store/{a.slug}/jobs/{task_id + 100}")
    assert response.status_code == 404
    response = client.get(f"/store/{b.slug}/jobs/{task_id}")
    assert response.status_code == 302


def test_platform_sees_failed_jobs_and_can_delete_them(app, platform_admin):
    from app.core import jobs

    with app.app_context():
        job = jobs.enqueue("app.core.outbox.run_handler", 1, "nope", store_id=999999)  # no such store
    wait_for(lambda: job.get_status(refresh=True) == "failed")
    page = platform_admin.get("/platform/jobs/failed").get_data(as_text=True)
    assert job.id in page and "BadJobInput" in page
    platform_admin.form(f"/platform/jobs/failed/{job.id}/delete")
    assert job.id not in platform_admin.get("/platform/jobs/failed").get_data(as_text=True)
