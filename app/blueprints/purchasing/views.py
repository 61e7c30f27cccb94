from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.platform.models import Store, SupplierLink
from app.blueprints.purchasing import portal_bp
from app.core.permissions import supplier_user
from app.extensions import db


@portal_bp.route("/")
@supplier_user
def home():
    links = db.session.scalars(
        select(SupplierLink).join(Store).where(SupplierLink.account_id == current_user.id, Store.status == "active")
        .order_by(Store.name)).all()
    return render_template("purchasing/portal_home.html", links=links)
