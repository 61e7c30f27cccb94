"""Platform administration: stores, platform staff, supplier accounts, health, mail."""
from flask import Blueprint

bp = Blueprint("platform", __name__, url_prefix="/platform")

from app.blueprints.platform import jobs_views, views  # noqa: E402,F401
