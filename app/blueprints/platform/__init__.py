"""Platform administration: stores, platform staff, supplier accounts, health, mail."""
from flask import Blueprint

from app.core.centers import Center

bp = Blueprint("platform", __name__, url_prefix="/platform")

center = Center(__name__, position=20, blueprints=[bp], models=["models"], jobs=["jobs"])

from app.blueprints.platform import jobs_views, views  # noqa: E402,F401
