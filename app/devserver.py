"""`make run`: start the embedded PostgreSQL and Redis (unless DATABASE_URL / REDIS_URL are
set), bring every schema to head, seed the demo data, start one RQ worker and serve on
127.0.0.1:$PORT. Ctrl-C stops everything it started."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from werkzeug.serving import run_simple


def _stop(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    from app.core.embedded import EmbeddedUnavailable

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background

    from app.config import Config
    from app.core.embedded import postgres_running

    port = int(os.environ.get("PORT", "5000"))
    os.environ["PORT"] = str(port)    # as `make` exports it: every process derives PUBLIC_URL from it
    instance = Path(Config().INSTANCE_PATH)
    own_postgres = not os.environ.get("DATABASE_URL") and not postgres_running(instance)
    try:
        from app import create_app

        app = create_app()
    except EmbeddedUnavailable as err:
        print(err, file=sys.stderr)
        return 2
    runner = app.test_cli_runner()
    for args in (["tenants", "migrate"], ["demo", "seed"]):
        result = runner.invoke(args=args)
        print(result.output.strip().splitlines()[-1] if result.output.strip() else "")
        if result.exit_code != 0:
            print(result.output, file=sys.stderr)
            return result.exit_code
    # the worker and cron derive their settings as `make worker` does (app/config.py), from the
    # same environment, and find the same embedded servers through the instance folder
    env = dict(os.environ)
    worker = subprocess.Popen([sys.executable, "-m", "app.worker"], env=env)
    cron = subprocess.Popen([sys.executable, "-m", "rq.cli", "cron", "app.cron", "--url", app.config["REDIS_URL"]],
                            env=env)
    from app.cli import print_logins

    with app.app_context():
        print_logins(f"http://127.0.0.1:{port}")
    try:
        run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        for child in (cron, worker):
            child.send_signal(signal.SIGINT)
        for child in (cron, worker):
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        from app.core.embedded import stop_postgres, stop_redis

        if not os.environ.get("REDIS_URL"):
            stop_redis(instance)
        if own_postgres:
            from app.extensions import db

            with app.app_context():
                db.engine.dispose()
            stop_postgres(instance)
        print("Houtai stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
