"""A task whose job RQ no longer holds (its worker was killed, or the job was lost while the
task still said "queued") is found by the periodic maintenance and queued again."""
from __future__ import annotations

import os
import signal
from datetime import timedelta

import time_machine

from app.core import jobs, tasks
from app.core.db import utcnow
from app.core.tenancy import store_context
from app.extensions import db
from tests.conftest import WorkerProcess, _bound, wait_for


def _task(app, store, task_id):
    with app.app_context(), store_context(_bound(store)):
        row = db.session.get(tasks.Task, task_id)
        return row.state, row.progress, dict(row.result or {})


def test_tasks_of_a_killed_worker_are_queued_again_by_the_maintenance(app, store, worker, platform_admin):
    worker.stop()                       # the suite's worker would take the jobs; this test runs its own
    doomed = WorkerProcess().start()
    try:
        with app.app_context(), store_context(_bound(store)):
            running = tasks.start_task(None, "test.count", "count", steps=150, pause=0.1)
            db.session.commit()
            running_id = running.id
        wait_for(lambda: _task(app, store, running_id)[1] > 0, timeout=60)
        os.killpg(doomed.proc.pid, signal.SIGKILL)      # kill -9 in the middle of the task
        doomed.proc.wait()

        with app.app_context(), store_context(_bound(store)):
            lost = tasks.start_task(None, "test.count", "count", steps=2, pause=0.01)
            db.session.commit()
            lost_id = lost.id
        from rq.job import Job

        job_key = tasks.task_job_id(store.id, lost_id)
        with app.app_context():
            Job.fetch(job_key, connection=app.extensions["houtai_redis"]).delete()   # "queued", on no queue
            assert jobs.job_alive(tasks.task_job_id(store.id, running_id))        # its heartbeat is still current
        assert _task(app, store, running_id)[0] == "running" and _task(app, store, lost_id)[0] == "queued"

        with app.app_context():                         # right away: both are too young to call lost
            assert jobs.run_job(tasks.requeue_lost_tasks.job_name, store.id, [], {}) == 0
        # the worker runs jobs in its own process, so RQ holds a job for its timeout (an hour for
        # tasks) + 60 s before it counts as abandoned; move the clock past that
        with time_machine.travel(utcnow() + timedelta(minutes=62)), app.app_context():
            import time

            from rq.registry import StartedJobRegistry

            # RQ's own clean-up (any worker's maintenance) files the killed job as abandoned first;
            # the platform's failed-jobs page shows it (its result carries no traceback)
            StartedJobRegistry("default", connection=app.extensions["houtai_redis"]).cleanup(time.time())
            page = platform_admin.get("/platform/jobs/failed")
            assert page.status_code == 200 and tasks.task_job_id(store.id, running_id) in page.get_data(as_text=True)
            assert jobs.run_job(tasks.requeue_lost_tasks.job_name, store.id, [], {}) == 2
            assert jobs.run_job(tasks.requeue_lost_tasks.job_name, store.id, [], {}) == 0   # queued now
    finally:
        worker.start(take_over_scheduler=True)
    wait_for(lambda: _task(app, store, lost_id)[0] == "done", timeout=60)
    wait_for(lambda: _task(app, store, running_id)[0] == "done", timeout=90)
    assert _task(app, store, running_id)[2] == {"counted": 150}
    from rq.registry import FailedJobRegistry

    failed = FailedJobRegistry("default", connection=app.extensions["houtai_redis"]).get_job_ids()
    assert tasks.task_job_id(store.id, running_id) not in failed      # it ran again: not listed as failed


def test_maintenance_is_a_periodic_job(app):
    from app.core.periodic import PERIODIC

    assert tasks.requeue_lost_tasks.job_name in {p.job_name for p in PERIODIC}
