"""App-wide routes: landing page, language switch and the health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from app.core.permissions import public
from app.core.redisconn import get_redis
from app.core.urls import back
from app.extensions import db

bp = Blueprint("core", __name__)


@bp.route("/")
@public
def index():
    return render_template("index.html")


@bp.route("/locale", methods=["POST"])
@public
def set_locale():
    """Switch language for this session, and remember it for a signed-in user."""
    locale = request.form.get("locale")
    if locale in ("zh_CN", "en"):
        session["locale"] = locale
        # store staff switch through /store/<slug>/account/locale, where their store is bound
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(back(url_for("core.index")), code=303)


@bp.route("/healthz")
@public
def healthz():
    status = {"database": "ok", "redis": "ok"}
    code = 200
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as err:  # health reports, never raises
        db.session.rollback()
        status["database"] = f"error: {err}"
        code = 503
    try:
        redis = get_redis()
        redis.ping()
        policy = redis.config_get("maxmemory-policy").get("maxmemory-policy")
        status["redis_maxmemory_policy"] = policy
        if policy != "noeviction":
            status["warnings"] = ["Redis maxmemory-policy is not noeviction: queued jobs may be evicted"]
    except Exception as err:  # health reports, never raises
        status["redis"] = f"error: {err}"
        code = 503
    status["status"] = "ok" if code == 200 else "degraded"
    return jsonify(status), code
