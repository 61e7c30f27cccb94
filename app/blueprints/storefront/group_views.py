"""Shopper pages for group buying (拼团): the live group buys, a group's page with its share
link and QR poster, starting a group and joining one (each an order to pay)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.members import services as members
from app.blueprints.storefront import bp
from app.core.errors import DomainError
from app.core.formview import committed
from app.core.permissions import _realm_only, public

shopper = _realm_only("shopper", "shopper")


@bp.route("/group-buys")
@public
def group_buys():
    """The group buys on now: the group price next to the usual one, and the groups one can join."""
    from app.blueprints.promotions import groupbuy

    rows = groupbuy.shop_activities()
    teams = {r["activity"].id: groupbuy.open_teams(r["activity"].id, limit=5) for r in rows}
    return render_template("shop/group_buys.html", rows=rows, teams=teams)


def _address_or_redirect():
    address = next(iter(members.addresses(current_user.id)), None)
    if address is None:
        flash(_("Add a delivery address to your account first."), "error")
    return address


def place_in_group(start, member, address, points: int = 0, then=lambda team, order: (team, order)):
    """Start or join a group for a shopper (the pages and the API): `start(member_id, address,
    shopper, points)` is `groupbuy.open_group` or `join_group` bound to the activity or code; it
    runs in the request's one commit and `then(team, order)` reads what the caller answers before
    that commit. A refusal (DomainError) is raised after one rollback, nothing changed."""
    target = address.as_dict()
    snapshot = {"name": member.name, "email": member.email, "phone": member.phone}
    member_id = member.id
    return committed(lambda: then(*start(member_id, target, snapshot, points)))


def _place_from_page(start, back_url: str, success: str | None = None):
    """The pages' start and join: the shopper's first address, then the order page to pay it."""
    address = _address_or_redirect()
    if address is None:
        return redirect(url_for("storefront.account"), code=303)
    try:
        number = place_in_group(start, current_user, address, then=lambda team, order: order.number)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(back_url, code=303)
    if success:
        flash(success, "success")
    return redirect(url_for("storefront.my_order", number=number), code=303)


@bp.route("/group-buys/<int:id>/open", methods=["POST"])
@shopper
def group_open(id):
    """Start a group: an order at the group price; the group opens once it is paid."""
    from app.blueprints.promotions import groupbuy

    if groupbuy.activity(id) is None:
        abort(404)
    return _place_from_page(lambda member_id, address, snapshot, points: groupbuy.open_group(
        id, member_id, address, snapshot, points=points), url_for("storefront.group_buys"),
        _("Pay to open your group, then share its link."))


@bp.route("/groups/<code>")
@public
def group_page(code):
    """A group: what it sells, how many places are paid and left, the time left, and (for its
    members) the share link with a QR poster; others can join it from here."""
    from app.blueprints.catalog import queries as catalog
    from app.blueprints.promotions import groupbuy
    from app.core.barcodes import qr_svg
    from app.core.db import utcnow

    team = groupbuy.team_by_code(code)
    if team is None:
        abort(404)
    activity = groupbuy.activity(team.activity_id)
    sku = catalog.sku_snapshots([activity.sku_id]).get(activity.sku_id)
    places = groupbuy.places(team.id)
    mine = current_user.is_authenticated and getattr(current_user, "realm", None) == "shopper" and any(
        p.member_id == current_user.id and p.status in ("pending", "paid") for p in places)
    link = url_for("storefront.group_page", code=team.code, _external=True)
    seconds = max(0, int((team.expires_at - utcnow()).total_seconds())) if team.expires_at else None
    return render_template("shop/group.html", team=team, activity=activity, sku=sku, mine=mine, link=link,
                           qr=qr_svg(link, scale=4), seconds=seconds, labels=groupbuy.GROUP_LABELS)


@bp.route("/groups/<code>/join", methods=["POST"])
@shopper
def group_join(code):
    """Join a group through its link: an order at the group price, to pay before the group's time runs out."""
    from app.blueprints.promotions import groupbuy

    if groupbuy.team_by_code(code) is None:
        abort(404)
    return _place_from_page(lambda member_id, address, snapshot, points: groupbuy.join_group(
        code, member_id, address, snapshot, points=points), url_for("storefront.group_page", code=code))
