"""`python -m app.worker`: an RQ worker (with the scheduler) bound to the app's Redis."""
from __future__ import annotations

import sys

from rq import Queue, Worker

from app import create_app

QUEUES = ["default"]


def main(argv: list[str] | None = None) -> None:
    app = create_app()
    names = (argv if argv is not None else sys.argv[1:]) or QUEUES
    redis = app.extensions["houtai_redis"]
    with app.app_context():
        worker = Worker([Queue(n, connection=redis) for n in names], connection=redis)
        worker.work(with_scheduler=True)


if __name__ == "__main__":
    main()
