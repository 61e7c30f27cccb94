"""The dev server keeps its logs: after `make run` has migrated through the CLI runner,
tracebacks and request logs still reach stderr and instance/log/houtai.log."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import threading, urllib.request, urllib.error
    from werkzeug.serving import make_server
    from app import create_app

    app = create_app()

    @app.route("/boom-for-logs")
    def boom():
        raise RuntimeError("marker-7c1f: a view failed")

    runner = app.test_cli_runner()          # what app/devserver.py does before serving
    result = runner.invoke(args=["tenants", "migrate", "--store", "none-such"])
    print("migrated", result.exit_code, flush=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/boom-for-logs")
    except urllib.error.HTTPError as err:
        print("status", err.code, flush=True)
    server.shutdown()
""")


def test_tracebacks_and_request_logs_survive_the_migration_run(app):
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert "status 500" in done.stdout, done.stdout + done.stderr
    stderr = re.sub(r"\x1b\[[0-9;]*m", "", done.stderr)    # werkzeug colours a terminal's log
    assert "RuntimeError: marker-7c1f: a view failed" in stderr
    assert "Traceback" in stderr
    assert "GET /boom-for-logs HTTP/1.1\" 500" in stderr
    log_file = Path(app.config["INSTANCE_PATH"]) / "log" / "houtai.log"
    assert "RuntimeError: marker-7c1f: a view failed" in log_file.read_text()
