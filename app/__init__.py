"""Houtai: a multi-tenant e-commerce back office."""
from __future__ import annotations

import os

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from app.config import Config
from app.extensions import babel, csrf, db, limiter, login_manager, migrate

def import_center_modules() -> list:
    """Find every center under app/blueprints/ and import the modules it declares (its
    tables, jobs and handlers), plus HOUTAI_EXTRA_MODULES. The worker and cron call this too."""
    from app.core import centers

    return centers.load()


from werkzeug.routing import IntegerConverter  # noqa: E402

MAX_DB_INT = 2 ** 31 - 1


class DbIntConverter(IntegerConverter):
    """<int:...> limited to what an INTEGER column holds."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DB_INT)
        super().__init__(url_map, *args, **kwargs)


def select_locale() -> str:
    if not has_request_context():  # CLI and jobs: the bound store's language, else the default
        from app.core.tenancy import bound_store

        store = bound_store()
        return store.default_locale if store else current_app.config["BABEL_DEFAULT_LOCALE"]
    user_locale = getattr(current_user, "locale", None) if current_user and current_user.is_authenticated else None
    if user_locale:
        return user_locale
    if session.get("locale"):
        return session["locale"]
    store = g.get("store")
    if store is not None:
        return store.default_locale
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    if best == "en":
        return "en"
    return "zh_CN" if best else current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """"zh" or "en": the language of the page being rendered (or of the bound store in a job)."""
    locale = get_locale()
    return "zh" if locale is not None and locale.language == "zh" else "en"


def select_timezone() -> str | None:
    store = g.get("store")
    return store.timezone if store is not None else None


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies, take the client's address, scheme and host from their
    X-Forwarded-* headers (Werkzeug's ProxyFix), so that rate limits and the audit log see the
    real client. With 0 (the default) the headers are ignored: anyone could forge them."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app. `overrides` (tests) are applied on top of the environment's settings."""
    app = Flask(__name__, instance_path=os.path.abspath(Config().INSTANCE_PATH))
    app.url_map.converters["int"] = DbIntConverter  # ids beyond PostgreSQL's integer are 404, not 500
    from app.core.inputs import SafeJSONProvider
    app.json = SafeJSONProvider(app)                # deeply nested or lone-surrogate JSON is a 400
    from app.core import limits
    limits.install()                                # a value too long or too big for its column: a field error
    app.config.from_object(Config())
    app.config.update(overrides or {})
    from app.core.logs import configure_logging
    configure_logging(app.config["INSTANCE_PATH"])

    from app.core.embedded import resolve_urls
    resolve_urls(app.config)
    app.config["SQLALCHEMY_DATABASE_URI"] = _sqlalchemy_url(app.config["DATABASE_URL"])
    from app.core.db import engine_options
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    redis_url = app.config["REDIS_URL"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", _limits_url(redis_url))
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")

    _trust_proxies(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)

    from app.core.redisconn import get_redis, init_redis
    from app.core.sessions import RedisSessionInterface
    init_redis(app)
    app.session_interface = RedisSessionInterface(lambda: app.extensions["houtai_redis"])

    _init_login(app)
    for center in import_center_modules():
        for blueprint in center.resolved_blueprints():
            app.register_blueprint(blueprint)

    from app.core.errors import register_error_pages
    from app.core.tenancy import teardown_binding
    register_error_pages(app)
    from app.core.headers import init_security_headers
    init_security_headers(app)
    app.teardown_request(teardown_binding)
    # before the store blueprints look the slug up (their url_value_preprocessors run after the app's)
    app.url_value_preprocessor(lambda endpoint, values: _refuse_nul_characters())
    from app.core.sessions import refuse_without_session
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_without_session)
    _template_helpers(app)

    from app.cli import register_cli
    register_cli(app)
    return app


def _refuse_nul_characters():
    """PostgreSQL text cannot hold NUL: refuse such input with a 400 instead of failing later
    (schemathesis found it). File uploads are binary and are not checked."""
    from flask import abort

    values = [request.path, *request.args.values(), *(request.form.values() if request.form else [])]
    if any("\x00" in value for value in values):
        abort(400)
    if request.is_json and (b"\x00" in request.get_data() or b"\\u0000" in request.get_data()):
        abort(400)


def _sqlalchemy_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    if url.startswith("postgres://"):
        return url.replace("postgres://", "postgresql+psycopg://", 1)
    return url


def _limits_url(redis_url: str) -> str:
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def _init_login(app: Flask) -> None:
    from flask import redirect, url_for

    from app.core.htmx import is_htmx

    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are server-side and rotated at login

    @login_manager.user_loader
    def load_user(identity):
        from app.blueprints.auth.services import load_identity
        from app.core.sessions import password_unchanged

        user = load_identity(identity)
        # a password change or reset elsewhere ends this session
        return user if user is not None and password_unchanged(session, user) else None

    from flask_login import user_logged_in

    @user_logged_in.connect_via(app)
    def _remember_password(sender, user, **extra):
        from app.core.sessions import remember_password

        remember_password(session, user)

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import make_response
        from app.core.tenancy import bound_store

        path = request.path
        if path.startswith("/platform"):
            target = url_for("platform_auth.login", next=request.full_path)
        elif path.startswith("/supplier"):
            target = url_for("supplier_auth.login", next=request.full_path)
        elif path.startswith("/shop/") and bound_store() is not None:
            target = url_for("shop_auth.login", next=request.full_path)
        elif bound_store() is not None:
            target = url_for("store_auth.login", next=request.full_path)
        else:
            target = url_for("core.index")
        if is_htmx():
            response = make_response("", 401)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target)


def _template_helpers(app: Flask) -> None:
    from app.core import menu, permissions
    from app.core.tenancy import bound_store

    @app.context_processor
    def inject():
        language = current_language()
        return {
            "current_store": bound_store(),
            "store_menu": menu.visible_entries,
            "can": permissions.can,
            # compare languages, not str(get_locale()): that is "zh_Hans_CN" for Chinese
            "current_language": language,
            "current_locale": "zh_CN" if language == "zh" else "en",
            "html_lang": "zh-CN" if language == "zh" else "en",
        }

    @app.template_filter("dt")
    def format_dt(value):
        from flask_babel import format_datetime
        return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""

    @app.template_filter("money")
    def format_money(minor, currency=None):
        """Money with its currency: the one given, else the bound store's (never a bare number)."""
        from app.core.money import format_money as fmt
        store = bound_store()
        return fmt(minor, currency or getattr(store, "currency", None) or "CNY")

    from app.core import audit as audit_words

    app.add_template_filter(audit_words.action_label, "audit_action")
    app.add_template_filter(audit_words.actor_label, "actor")
    app.add_template_global(audit_words.changes_view, "audit_changes")
    from app.core.jobs import queue_label, worker_state_label
    app.add_template_filter(queue_label, "queue_label")
    app.add_template_filter(worker_state_label, "worker_state")
    from app.core.countries import abroad_name
    app.add_template_filter(abroad_name, "abroad_country")
    from app.core.tasks import result_items
    app.add_template_global(result_items, "task_results")

    @app.template_filter("amount")
    def amount_text(minor, currency="CNY"):
        """Minor units as the plain decimal an input field shows (1234 -> 12.34), never float arithmetic."""
        from app.core.money import to_decimal_text
        return "" if minor is None else to_decimal_text(minor, currency)
