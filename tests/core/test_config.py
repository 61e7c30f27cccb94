"""One place derives the settings: a worker started as `make worker` runs with the same
configuration as the web process of `make run` (it once lacked SANDBOX_GATEWAY, so its query
of a sandbox payment failed and a paid order was cancelled for non-payment)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from tests.conftest import wait_for
from tests.support.config_keys import COMPARED

WEB = ("import json; from app import create_app; from tests.support.config_keys import COMPARED; "
       "app = create_app(); print(json.dumps({k: app.config.get(k) for k in COMPARED}))")


def make_env() -> dict:
    """What `make run` and `make worker` hand their process: the user's environment plus PORT,
    without the settings the test run itself sets."""
    env = {k: v for k, v in os.environ.items() if k not in ("SANDBOX_GATEWAY", "PUBLIC_URL")}
    env["PORT"] = "5123"
    return env


def test_a_worker_started_alone_has_the_web_process_settings(app):
    from app.core import jobs

    env = make_env()
    web = json.loads(subprocess.run([sys.executable, "-c", WEB], env=env, capture_output=True, text=True,
                                    timeout=120, check=True).stdout.strip().splitlines()[-1])
    queue = f"config-{os.getpid()}"
    worker = subprocess.Popen([sys.executable, "-m", "app.worker", queue], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        key = f"test:config:{os.getpid()}"
        redis = app.extensions["houtai_redis"]
        with app.app_context():
            jobs.enqueue("tests.support.handlers.report_config", key, queue=queue)
        seen = json.loads(wait_for(lambda: redis.get(key), timeout=60))
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=20)
    assert seen == web
    if not os.environ.get("DATABASE_URL"):      # the embedded servers: development
        assert seen["SANDBOX_GATEWAY"] is True
        assert seen["PUBLIC_URL"] == "http://127.0.0.1:5123"
    assert set(COMPARED) <= set(seen)
