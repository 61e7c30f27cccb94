"""Shared fixtures: one embedded PostgreSQL and Redis per test run (under a temporary
instance folder), the app, clients per realm, and a factory for stores."""
from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient

_INSTANCE = Path(tempfile.mkdtemp(prefix="houtai-test-"))
os.environ["HOUTAI_INSTANCE"] = str(_INSTANCE)
os.environ.setdefault("EMBEDDED_DATABASE", "houtai_test")
os.environ["HOUTAI_EXTRA_MODULES"] = "tests.support.handlers"
os.environ.setdefault("WEBHOOK_BACKOFF", "1")
os.environ.setdefault("SANDBOX_GATEWAY", "1")
os.environ.setdefault("SANDBOX_NOTIFY_SCHEDULE", "1,1,2")
os.environ.setdefault("WEBHOOK_DISABLE_AFTER", "5")
# The Makefile exports PORT for `make run`; under `make test` it would make every process derive
# PUBLIC_URL for a dev server that is not running, and the worker would post sandbox notices there.
os.environ.pop("PORT", None)
# no refill jobs: tests/support/schema_filler.py keeps the pool filled beside the tests instead
os.environ.setdefault("SCHEMA_POOL_SIZE", "0")
os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE", "1")   # the tests' webhook receivers listen on 127.0.0.1


def _on_sigterm(signum, frame):
    # `timeout`, CI cancelling a job: end like Ctrl-C, so pytest_unconfigure still stops the servers
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, _on_sigterm)


def pytest_unconfigure(config):
    """Stop this run's embedded PostgreSQL and Redis and remove its instance folder (a run leaves
    about a gigabyte behind otherwise). HOUTAI_KEEP_TEST_INSTANCE=1 keeps it, to read worker.log."""
    from app.core.embedded import postgres_running, stop_postgres, stop_redis

    try:
        stop_redis(_INSTANCE)
        if postgres_running(_INSTANCE):
            stop_postgres(_INSTANCE)
    finally:
        if not os.environ.get("HOUTAI_KEEP_TEST_INSTANCE"):
            shutil.rmtree(_INSTANCE, ignore_errors=True)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Alipay's and Stripe's servers are faked on one local port (tests/support/fake_gateways.py);
# the app and the worker process both point at it.
_GATEWAY_PORT = _free_port()
os.environ["ALIPAY_GATEWAY_URL"] = f"http://127.0.0.1:{_GATEWAY_PORT}/gateway.do"
os.environ["STRIPE_API_BASE"] = f"http://127.0.0.1:{_GATEWAY_PORT}"
# WeChat Pay's API v3 and WeChat's OAuth are faked on another (tests/support/fake_wechatpay.py).
_WECHAT_PORT = _free_port()
for _name in ("WECHATPAY_BASE_URL", "WECHAT_OPEN_BASE_URL", "WECHAT_API_BASE_URL"):
    os.environ[_name] = f"http://127.0.0.1:{_WECHAT_PORT}"
# Aliyun's SMS endpoint is faked on another (tests/support/fake_aliyun_sms.py); the keys are the fake's.
_SMS_PORT = _free_port()
os.environ.update(SMS_PROVIDER="aliyun", ALIYUN_SMS_ENDPOINT=f"http://127.0.0.1:{_SMS_PORT}",
                  ALIYUN_SMS_ACCESS_KEY_ID="LTAI5tFakeKeyForTests", ALIYUN_SMS_ACCESS_KEY_SECRET="fake-secret-for-tests",
                  ALIYUN_SMS_SIGN_NAME="后台商城", ALIYUN_SMS_TEMPLATE_CODE="SMS_465000001")
# Kuaidi100's tracking and waybill servers are faked on another (tests/support/fake_kuaidi100.py).
_KUAIDI100_PORT = _free_port()
os.environ["KUAIDI100_BASE_URL"] = f"http://127.0.0.1:{_KUAIDI100_PORT}"

from app import create_app  # noqa: E402
from app.extensions import db, limiter  # noqa: E402

# one-line builders of every model (also as fixtures), and the shared stores of the page test base
pytest_plugins = ["tests.factories", "tests.support.crud"]

CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
PASSWORD = "correct-horse-battery"


class Client(FlaskClient):
    """A test client that posts forms with a valid CSRF token, as a browser would. It
    browses in English unless a test says otherwise."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    def csrf_token(self) -> str:
        html = self.get("/").get_data(as_text=True)
        return CSRF_RE.search(html).group(1)

    def form(self, url: str, data: dict | None = None, htmx: bool = False, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.post(url, data=data, headers=headers, **kwargs)

    def login(self, realm: str, email: str, password: str = PASSWORD, slug: str | None = None):
        url = {"platform": "/platform/login", "supplier": "/supplier/login"}.get(realm) or f"/store/{slug}/login"
        response = self.form(url, {"email": email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        return response


@pytest.fixture(scope="session")
def suite_app():
    """The app, straight to the embedded PostgreSQL. Tests ask for `app`, which a test
    package may point elsewhere (tests/pgbouncer runs it through PgBouncer)."""
    app = create_app({"TESTING": True, "SERVER_NAME": None})
    app.test_client_class = Client
    from tests import factories

    factories.use_app(app)
    with app.app_context():
        from app.blueprints.platform.services import ensure_plans
        from app.cli import upgrade_platform

        upgrade_platform()
        ensure_plans()
        db.session.commit()
        app.extensions["houtai_redis"].flushdb()
    yield app
    from app.core.embedded import stop_redis

    stop_redis(_INSTANCE)


@pytest.fixture(scope="session")
def app(suite_app):
    return suite_app


class WorkerProcess:
    """A real RQ worker process (python -m app.worker) on the test Redis and database."""

    def __init__(self):
        self.proc = None

    def start(self, take_over_scheduler: bool = False):
        """Start the worker; `take_over_scheduler` first drops the scheduler locks a killed
        worker left behind (else its delayed jobs wait for the locks to expire)."""
        import subprocess
        import sys

        if take_over_scheduler:
            from redis import Redis

            redis = Redis.from_url(os.environ.get("REDIS_URL") or f"unix://{_INSTANCE / 'redis' / 'redis.sock'}")
            for key in redis.scan_iter("rq:scheduler-lock:*"):
                redis.delete(key)

        log = open(_INSTANCE / "worker.log", "ab")  # read it when a test about jobs fails
        self.proc = subprocess.Popen([sys.executable, "-m", "app.worker"], env=dict(os.environ),
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def stop(self, sig=None):
        import signal

        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig or signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except Exception:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture(scope="session")
def fake_gateways():
    """(FakeAlipay, FakeStripe) serving on the port the app was configured with."""
    from tests.support.fake_gateways import FakeAlipay, FakeStripe, serve

    alipay, stripe_fake = FakeAlipay(), FakeStripe()
    server = serve(alipay, stripe_fake, _GATEWAY_PORT)
    yield alipay, stripe_fake
    server.shutdown()


@pytest.fixture(scope="session")
def fake_wechatpay():
    """FakeWeChatPay serving on the port the app was configured with."""
    from tests.support.fake_wechatpay import FakeWeChatPay, serve

    fake = FakeWeChatPay()
    server = serve(fake, _WECHAT_PORT)
    yield fake
    server.shutdown()


@pytest.fixture(scope="session")
def fake_sms():
    """FakeAliyunSms serving on the port the app was configured with."""
    from tests.support.fake_aliyun_sms import FakeAliyunSms, serve

    fake = FakeAliyunSms()
    server = serve(fake, _SMS_PORT)
    yield fake
    server.shutdown()


@pytest.fixture(scope="session")
def fake_kuaidi100():
    """FakeKuaidi100 serving on the port the app was configured with."""
    from tests.support.fake_kuaidi100 import FakeKuaidi100, serve

    fake = FakeKuaidi100()
    server = serve(fake, _KUAIDI100_PORT)
    yield fake
    server.shutdown()


@pytest.fixture(scope="session", autouse=True)
def schema_pool_filler(suite_app):
    """A few store schemas kept built beside the tests (tests/support/schema_filler.py)."""
    from tests.support.schema_filler import SchemaPoolFiller

    filler = SchemaPoolFiller(suite_app.config["SQLALCHEMY_DATABASE_URI"]).start()
    yield filler
    filler.stop()


@pytest.fixture(autouse=True)
def _schema_pool_paused(request, schema_pool_filler):
    if request.node.get_closest_marker("schema_pool_paused"):
        with schema_pool_filler.paused():
            yield
    else:
        yield


@pytest.fixture(scope="session", autouse=True)
def worker(suite_app):
    """One worker for the whole run: mail, events and tasks go through it as in production."""
    process = WorkerProcess().start()
    yield process
    process.stop()


# How long a test waits for the worker (or a browser for a page) before failing. It returns as
# soon as the awaited condition holds, so a generous limit costs nothing when the test passes;
# 15 s failed on a loaded 2-core CI machine (the worker's jobs queue behind the suite's others).
WAIT_LIMIT = 45.0


def wait_for(predicate, timeout: float = WAIT_LIMIT, interval: float = 0.1):
    """Poll until `predicate()` is truthy; returns its value or fails the test."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
        time.sleep(interval)


@pytest.fixture(autouse=True)
def _push_request_context():
    """Overrides pytest-flask's fixture of this name, which pushes one request context
    around each test: test-client requests would then share `g` (and with it the signed-in
    user and the database session). Each request here stands alone, as in production."""
    yield


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    with app.app_context():
        limiter.reset()
    yield


@pytest.fixture()
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture()
def client(app) -> Client:
    return app.test_client()


def unique(prefix: str) -> str:
    from tests.factories import unique as factory_unique

    return factory_unique(prefix)


class StoreInfo:
    def __init__(self, store):
        self.id, self.slug, self.schema, self.name = store.id, store.slug, store.schema_name, store.name
        self.owner_email = store.owner_email


@pytest.fixture()
def make_store(app):
    """make_store() -> StoreInfo; the owner's password is PASSWORD (see tests.factories.store)."""
    from tests import factories

    return factories.store


@pytest.fixture()
def store(make_store) -> StoreInfo:
    return make_store()


@pytest.fixture()
def owner(app, store) -> Client:
    client = app.test_client()
    client.login("store", store.owner_email, slug=store.slug)
    return client


@pytest.fixture()
def platform_admin(app) -> Client:
    from app.blueprints.platform.services import create_platform_user

    email = f"{unique('admin')}@houtai.cn"
    with app.app_context():
        create_platform_user(None, email, "Admin", PASSWORD)
        db.session.commit()
    client = app.test_client()
    client.login("platform", email)
    return client


def add_staff(app, store: StoreInfo, role: str | None = None, permissions: list[str] | None = None,
              status: str = "active") -> str:
    """Add a staff member straight through the services; returns their email (see tests.factories.staff)."""
    from tests import factories

    return factories.staff(store, role, permissions, status).email


def _bound(store: StoreInfo):
    from app.blueprints.platform.models import Store

    return db.session.get(Store, store.id)


def last_mail(app, to: str, timeout: float = WAIT_LIMIT) -> str:
    """Body of the newest mail sent to `to`, waiting for the worker to write it."""
    from app.core.mail import list_mail

    def find():
        with app.app_context():
            for message in list_mail():
                if message["to"] == to:
                    return message["body"]
        return None

    return wait_for(find, timeout)
