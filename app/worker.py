"""`python -m app.worker [QUEUE ...]`: an RQ worker with the scheduler (for retries and
delayed jobs) on every queue, or on the queues named."""
from __future__ import annotations

import sys

import os

from rq import SimpleWorker, Worker

from app import create_app
from app.core import jobs


def main(argv: list[str] | None = None) -> None:
    app = create_app()
    jobs.set_app(app)
    names = (argv if argv is not None else sys.argv[1:]) or list(jobs.QUEUES)
    redis = app.extensions["houtai_redis"]
    # WORKER_CLASS=fork runs each job in a forked work horse (isolation, ~30 ms a job);
    # the default runs jobs in this process and keeps its database connections warm.
    worker_class = Worker if os.environ.get("WORKER_CLASS") == "fork" else SimpleWorker
    # maintenance each minute: a worker takes over the scheduler of one that died within ~2 minutes
    worker = worker_class([jobs.get_queue(n, redis) for n in names], connection=redis, maintenance_interval=60)
    worker.work(with_scheduler=True)


if __name__ == "__main__":
    main()
