"""Purchasing (采购中心) and the supplier portal. For now the portal's home: the stores a
supplier account serves; purchase orders arrive with the purchasing issue."""
from flask import Blueprint

from app.core.centers import Center

portal_bp = Blueprint("portal", __name__, url_prefix="/supplier")

center = Center(__name__, position=80, blueprints=[portal_bp])

from app.blueprints.purchasing import views  # noqa: E402,F401
