"""Shopper pages: browse, product, cart, register, account and addresses, checkout, my orders."""
from __future__ import annotations

import uuid

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from app.blueprints.catalog import queries as catalog
from app.blueprints.members import services as members
from app.blueprints.orders import services as orders
from app.blueprints.storefront import bp, cart, forms, queries
from app.blueprints.storefront.guest_api import lookup_ip_limit, lookup_number_limit
from app.blueprints.payments.gateways import GatewayError
from app.core import regions
from app.core.errors import DomainError, retry_after, too_many_attempts
from app.core.formview import attach_error, commit, commit_form, perform
from app.core.headers import leads_to_gateways
from app.core.money import to_minor
from app.core.permissions import _realm_only, public
from app.core.sessions import rotate_session
from app.core.tenancy import current_store
from app.core.urls import back, same_origin_path
from app.extensions import db

shopper = _realm_only("shopper", "shopper")
PER_PAGE = queries.PER_PAGE


MAX_PAGE = 10_000


def _page_arg() -> int:
    """The `page` argument, 1 to MAX_PAGE (past the last page shows an empty one)."""
    try:
        return min(max(1, int(request.args.get("page", 1))), MAX_PAGE)
    except ValueError:
        return 1


@bp.route("/")
@public
def home():
    q = (request.args.get("q") or "").strip()[:100]
    page = _page_arg()
    products, total = queries.products(q=q, page=page)
    return render_template("shop/home.html", categories=catalog.shop_categories(), products=products, total=total,
                           page=page, pages=max(1, -(-total // PER_PAGE)), q=q)


@bp.route("/c/<int:id>")
@public
def category(id):
    category = catalog.shop_category(id)
    if category is None:
        abort(404)
    try:
        currency = current_store().currency
        low = to_minor(request.args["min"], currency) if request.args.get("min") else None
        high = to_minor(request.args["max"], currency) if request.args.get("max") else None
    except ValueError:   # 'inf', '1e309', 'nan', more decimals than the currency has
        low = high = None
        flash(_("Prices look like 99 or 99.50."), "error")
    sort = request.args.get("sort", "new")
    page = _page_arg()
    products, total = queries.products(category_id=id, low=low, high=high, sort=sort, page=page)
    return render_template("shop/category.html", category=category, children=catalog.shop_categories(id),
                           products=products, total=total, page=page, pages=max(1, -(-total // PER_PAGE)), sort=sort)


@bp.route("/categories")
@public
def categories():
    """Every category a shopper can browse, with its subcategories (the categories tab)."""
    return render_template("shop/categories.html", tree=catalog.shop_category_tree())


def _share_code() -> str | None:
    """The signed-in shopper's share code (None for a guest)."""
    from app.blueprints.members import queries as member_queries

    return member_queries.referral_code(current_user.id) if cart.shopper_signed_in() else None


def _remember_referrer() -> None:
    """A visit through someone's share link keeps their code for this visit (for referral rewards)."""
    from flask import session

    from app.blueprints.members import queries as member_queries

    code = (request.args.get("ref") or "")[:20]
    if code and member_queries.member_for_referral(code) is not None and code.upper() != _share_code():
        session["referrer"] = code.upper()


@bp.route("/p/<int:id>")
@public
def product(id):
    return _product_page(id)


def _product_page(id: int, buy_form=None, status: int = 200):
    page = queries.product_page(id)
    if page is None:
        abort(404)
    _remember_referrer()
    code, levels = _share_code(), page.levels
    from app.core.money import to_decimal_text

    detail = page.product
    return render_template("shop/product.html", product=detail, skus=detail.skus, stock=page.stock,
                           levels=levels, attributes=page.attributes, images=detail.images,
                           chosen=next((s for s in detail.skus if levels[s.id] != "sold_out"), None),
                           og_price=to_decimal_text(detail.min_price, current_store().currency)
                           if detail.min_price is not None else None,
                           canonical=url_for("storefront.product", id=id, _external=True),
                           share_url=url_for("storefront.product", id=id, ref=code, _external=True),
                           poster_url=url_for("storefront.poster", id=id, ref=code),
                           buy_form=buy_form or forms.CartLineForm(formdata=None)), status


@bp.route("/p/<int:id>/poster.png")
@public
def poster(id):
    """The product's poster to save and send: picture, title, price and a QR code to the
    product (carrying the sharer's code when a shopper is signed in)."""
    from flask import current_app

    from app.blueprints.storefront.poster import product_poster
    from app.core.money import format_money
    from app.core.storage import get_storage

    page = queries.product_page(id)
    if page is None:
        abort(404)
    product = page.product
    storage, key = get_storage(), product.image
    path = storage.path(key) if key and storage.owns(key) else None
    currency = current_store().currency
    price = format_money(product.min_price, currency) if product.min_price is not None else ""
    if product.max_price is not None and product.min_price is not None and product.max_price > product.min_price:
        price = _("From %(price)s", price=price)
    png = product_poster(title=product.title, price=price, store_name=current_store().name,
                         link=url_for("storefront.product", id=id, ref=_share_code(), _external=True),
                         scan_text=_("Scan the code to see it in the shop"), picture_path=path,
                         font=current_app.config.get("POSTER_FONT"))
    response = make_response(png)
    response.mimetype = "image/png"
    response.headers["Content-Disposition"] = f'inline; filename="poster-{id}.png"'
    response.cache_control.private = True
    response.cache_control.max_age = 600
    return response


@bp.route("/sitemap.xml")
@public
def sitemap():
    """The shop's pages for search engines: home, categories and every product on sale."""
    body = render_template("shop/sitemap.xml", tree=catalog.shop_category_tree(), products=catalog.shop_sitemap())
    response = make_response(body)
    response.mimetype = "application/xml"
    return response


@bp.route("/robots.txt")
@public
def robots():
    """What crawlers may read of this shop (its catalogue, not carts, checkouts or accounts) and
    where its sitemap is."""
    from app.blueprints.storefront.root import SHOP_PRIVATE

    base = url_for("storefront.home")
    lines = ["User-agent: *", f"Allow: {base}"] + [f"Disallow: {base}{path}" for path in SHOP_PRIVATE] + \
        ["", f"Sitemap: {url_for('storefront.sitemap', _external=True)}", ""]
    response = make_response("\n".join(lines))
    response.mimetype = "text/plain"
    return response


# --- cart ------------------------------------------------------------------------------------

def _cart_lines(items: dict[int, int]):
    from app.blueprints.members import queries as member_queries

    pricing = member_queries.member_pricing(current_user.id if cart.shopper_signed_in() else None, segments=False)
    return queries.cart_lines(items, pricing.level_code, pricing.discount_percent)


@bp.route("/cart")
@public
def cart_page():
    return _cart_page()


def _cart_page(refused=None, status: int = 200):
    """The cart; `refused` is a line's form whose quantity was refused, shown under that line."""
    from app.blueprints.promotions import queries as promotions

    items = cart.current_items()
    lines, total = _cart_lines(items)
    signed_in = cart.shopper_signed_in()
    breakdown = promotions.cart_breakdown({l.sku.id: l.quantity for l in lines if l.quote},
                                          current_user.id if signed_in else None,
                                          None,
                                          skus={l.sku.id: l.sku for l in lines}) if lines else None
    from app.blueprints.members.services import MAX_CART_QUANTITY

    guest = not signed_in and bool(lines) and orders.guest_checkout_open()
    return render_template("shop/cart.html", lines=lines, total=total, breakdown=breakdown,
                           max_quantity=MAX_CART_QUANTITY, guest_checkout=guest, refused=refused), status


@bp.route("/cart", methods=["POST"])
@public
def cart_update():
    """Add to (mode=add) or set (mode=set; 0 removes) a cart line. A quantity that is not a
    whole number comes back under the box it was typed in (the product page's, or the cart line's)."""
    form = forms.CartLineForm()
    if not form.validate_on_submit() and (form.sku_id.errors or not form.quantity.errors):   # no item chosen
        flash(_("Choose an item and a quantity."), "error")
        return redirect(back(url_for("storefront.cart_page"), prefix=f"/shop/{g.store.slug}/"), code=303)
    sku_id, quantity = form.sku_id.data, form.quantity.data
    sku = catalog.sku_snapshots([sku_id]).get(sku_id)
    if sku is None or not sku.enabled:
        abort(404)
    if form.quantity.errors:
        return _cart_page(form, 422) if form.mode.data == "set" else _product_page(sku.product_id, form, 422)
    items = cart.current_items()
    mode = form.mode.data
    if form.stepped:    # the cart's steppers: -1, +1, remove
        mode, quantity = ("set", 0) if form.step.data == "remove" else ("add", int(form.step.data))
    wanted = max(0, items.get(sku_id, 0) + quantity if mode == "add" else quantity)
    quantity = min(wanted, queries.cart_limit(sku_id))    # never more than can be bought
    response = make_response(redirect(url_for("storefront.cart_page"), code=303))
    if cart.shopper_signed_in():
        member_id = current_user.id
        commit(lambda: members.set_cart_line(member_id, sku_id, quantity))
    else:
        items = {k: v for k, v in {**items, sku_id: quantity}.items() if v > 0}
        cart.write_guest(response, items)
    if quantity < wanted:
        item = f"{sku.title} ({sku.label})" if sku.options else sku.title
        flash(_("Only %(n)d of %(item)s can be bought now, so your cart holds %(n)d.", n=quantity, item=item)
              if quantity else _("%(item)s is sold out, so it is not in your cart.", item=item), "error")
    else:
        flash(_("Cart updated."), "success")
    return response


# --- accounts --------------------------------------------------------------------------------

@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    from flask import session

    form = forms.RegisterForm()
    if not form.is_submitted():
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit() and (done := commit_form(form, lambda: members.register(
            form.email.data, form.password.data, form.name.data or "", form.phone.data or ""))):
        member, guest = done.result, request.cookies.get(cart.COOKIE)
        session.clear()
        rotate_session(session)
        login_user(member)
        # back where the shopper was going (the checkout, from its sign-in page), else the account
        target = same_origin_path(form.next.data, url_for("storefront.account"), prefix=f"/shop/{g.store.slug}/")
        response = redirect(target, code=303)
        if guest:
            cart.merge_guest_cart(member, guest, response)
        flash(_("Welcome! Your account is ready."), "success")
        return response
    return render_template("shop/register.html", form=form), 422 if request.method == "POST" else 200


def _client_address() -> str:
    return request.remote_addr or "unknown"


@bp.route("/login/phone", methods=["GET", "POST"])
@public
def phone_login():
    """Sign in by phone: "send code" texts a one-time code (limits per phone and per address),
    "sign in" checks it and signs in to the member with that verified phone (made if new)."""
    from flask import session

    from app.blueprints.members import phone_sign_in
    from app.core.sms import SmsError, sender

    form = forms.PhoneSignInForm()
    if not form.is_submitted():
        form.next.data = request.args.get("next", "")
    status, code_sent = 200, False
    if request.method == "POST":
        status = 422
        if form.validate_on_submit() and request.form.get("action") == "send":
            done = commit_form(form, lambda: phone_sign_in.send_sign_in_code(form.phone.data, _client_address()))
            if done:
                sent = done.result
                try:
                    provider_id = sender().send_code(sent.phone, sent.code)
                    commit(lambda: phone_sign_in.record_delivery(sent.code_id, provider_id))
                    flash(_("A code was sent to %(phone)s. It is valid for %(n)d minutes.",
                            phone=phone_sign_in.masked(sent.phone), n=sent.expires_in // 60), "success")
                    status, code_sent = 200, True
                except SmsError:
                    form.phone.errors.append(_("The text message could not be sent. Please try again later."))
        elif form.validate_on_submit():
            if not form.code.data:
                form.code.errors.append(_("Enter the code from the SMS."))
            else:
                outcome = commit(lambda: phone_sign_in.sign_in_with_code(form.phone.data, form.code.data))
                check = outcome.result if outcome else phone_sign_in.CodeCheck(None, outcome.error.message)
                if check.member is None:
                    form.code.errors.append(check.error)   # a wrong try was committed: it counts
                else:
                    member, guest = check.member, request.cookies.get(cart.COOKIE)
                    session.clear()
                    rotate_session(session)
                    login_user(member)
                    if member.locale:
                        session["locale"] = member.locale
                    target = same_origin_path(form.next.data, url_for("storefront.account"),
                                              prefix=f"/shop/{g.store.slug}/")
                    response = redirect(target, code=303)
                    if guest:
                        cart.merge_guest_cart(member, guest, response)
                    flash(_("Welcome! Your account is ready.") if check.created else _("You are signed in."), "success")
                    return response
    return render_template("shop/phone_login.html", form=form, code_sent=code_sent), status


@bp.route("/locale", methods=["POST"])
@public
def set_locale():
    """Switch the shop's language for this visit; a signed-in shopper keeps it for the next one."""
    from app.core.formview import commit
    from flask import session

    locale = request.form.get("locale", "")
    if locale in ("zh_CN", "en"):
        session["locale"] = locale
        if getattr(current_user, "realm", None) == "shopper":
            commit(lambda: members.set_locale(current_user, locale))
    return redirect(back(url_for("storefront.home"), prefix=f"/shop/{g.store.slug}/"), code=303)


@bp.route("/account", methods=["GET", "POST"])
@shopper
def account():
    form = forms.AddressForm()
    refresh = request.form.get("refresh") == "regions"   # no JavaScript: show the next region level
    if not refresh and form.validate_on_submit() \
            and commit_form(form, lambda: members.save_address(current_user, form.values())):
        flash(_("Address saved."), "success")
        return redirect(url_for("storefront.account"), code=303)
    return render_template("shop/account.html", addresses=members.addresses(current_user.id), form=form), \
        422 if request.method == "POST" and not refresh else 200


@bp.route("/regions")
@public
def region_picker():
    """The province -> city -> district selects for the chosen values (htmx swaps them in)."""
    form = forms.RegionForm(formdata=request.args)
    return render_template("components/_region_picker.html", form=form, picker_only=True)


@bp.route("/account/addresses/<int:id>/<action>", methods=["POST"])
@shopper
def address_action(id, action):
    address = members.address_of(current_user.id, id)
    if address is None or action not in ("default", "delete"):
        abort(404)
    perform(lambda: (members.set_default if action == "default" else members.remove_address)(current_user, address),
            _("Address saved."))
    return redirect(url_for("storefront.account"), code=303)


# --- checkout and orders ---------------------------------------------------------------------

def _checkout_region(form: forms.CheckoutForm) -> str:
    """The region code to quote the freight for: the new address's, or the saved one's."""
    if form.new_address:
        return form.region_code()
    address = form.chosen_address()
    return address.region_code if address is not None else ""


def _payer(source) -> dict:
    """The payer a cross-border store asks for at checkout (ignored by other stores)."""
    return {"name": source.get("payer_name", ""), "id_number": source.get("payer_id_number", ""),
            "phone": current_user.phone or ""}


def _payer_form(posted: bool = False):
    """The payer's name and identity number, when the store sells cross-border (else None)."""
    from app.blueprints.crossborder import forms as crossborder_forms, services as crossborder

    if not crossborder.enabled():
        return None
    return crossborder_forms.PayerForm(formdata=request.form if posted else None, meta={"csrf": False})


def _preview(items, form: forms.CheckoutForm, payer: dict | None = None):
    delivery = form.delivery.data if form.delivery.data in orders.DELIVERY_METHODS else "express"
    region_code = _checkout_region(form)
    preview = orders.preview_checkout(items, region_code, delivery, shopper_id=current_user.id, payer=payer,
                                      coupon_ids=_coupon_ids(), points=form.points_asked())
    # a saved address from before regions (no code) is quoted by the templates' default rules
    if delivery != "pickup" and preview.error is None and (
            form.chosen_address() is None and not form.new_address
            or form.new_address and not regions.is_leaf(region_code)):
        from dataclasses import replace

        message = _("Choose the province, city and district to see the freight.") if form.new_address \
            else _("Choose a delivery address (or enter a new one).")
        preview = replace(preview, shipping=None, error=message)
    return preview


def _usable_coupons() -> list[tuple]:
    """(coupon id, name, description) of the shopper's coupons usable now, for the checkout."""
    from app.blueprints.promotions import coupons

    currency = current_store().currency
    return [(c.id, t.name, coupons.describe(t, currency)) for c, t in coupons.wallet(current_user.id)
            if coupons.usable(c)]


def _checkout_form(**kwargs) -> forms.CheckoutForm:
    """The checkout form with the shopper's address book and points balance."""
    from app.blueprints.members import queries as member_queries

    return forms.CheckoutForm(addresses=members.addresses(current_user.id),
                              points_balance=member_queries.points_balance(current_user.id), **kwargs)


def _points_offer():
    """The store's points rule when the shopper has points to pay with (else None: no field)."""
    from app.blueprints.members import queries as member_queries

    rule = member_queries.points_rule()
    balance = member_queries.points_balance(current_user.id)
    if balance <= 0 or rule.value_per_100 <= 0 or rule.max_share_percent <= 0:
        return None
    return {"balance": balance, "rule": rule}


def _coupon_ids() -> tuple[int, ...]:
    """The coupons the shopper chose at checkout (their own, unused: the pipeline checks)."""
    source = request.form if request.method == "POST" else request.args
    return tuple(int(v) for v in source.getlist("coupon_id") if v.isdigit() and len(v) < 12)


@bp.route("/checkout/summary")
@shopper
def checkout_summary():
    """The goods, freight and total for the address and delivery chosen so far (htmx swaps it in
    whenever the checkout form changes)."""
    form = _checkout_form(formdata=request.args, meta={"csrf": False})
    items = members.cart_of(current_user.id)
    return render_template("shop/_checkout_summary.html", lines=bool(items),
                           preview=_preview(items, form, _payer(request.args)), breakdown_of=_breakdown_of)


def _breakdown_of(preview):
    from app.blueprints.promotions import queries as promotions

    return promotions.describe(preview.priced) if preview.priced is not None else None


@bp.route("/checkout", methods=["GET", "POST"])
@shopper
def checkout():
    """One page: address (one of the book's or a new one with the region cascade), delivery,
    note, and the freight and total for them before the shopper places the order. Bad input
    re-renders the page with the message under its field and everything typed kept."""
    form = _checkout_form()
    payer_form = _payer_form(posted=form.is_submitted())
    payer = _payer(request.form) if payer_form is not None and form.is_submitted() else None
    if not form.idempotency_key.data:
        form.idempotency_key.data = uuid.uuid4().hex
    placing = form.is_submitted() and form.refresh.data not in ("regions", "quote")  # no JS: show, do not order
    key = (form.idempotency_key.data or "")[:80] if placing else None
    new_values = form.values() if form.new_address else None
    if placing:  # a resubmitted form (double click, reload) shows the first order
        digest = orders.fingerprint(page="checkout", address_id=form.address_id.data, new=new_values,
                                    delivery=form.delivery.data, note=form.note.data or "", payer=payer,
                                    coupons=list(_coupon_ids()), points=form.points.raw_data or [])
        try:
            existing = orders.order_for_key(current_user.id, key, digest)
        except DomainError as err:
            existing = None
            form.form_errors.append(err.message)
        if existing is not None:
            return redirect(url_for("storefront.my_order", number=existing.number), code=303)
    items = members.cart_of(current_user.id)
    lines, total = _cart_lines(items)
    if placing and not form.form_errors and form.validate_on_submit():
        member = current_user._get_current_object()
        shopper = {"name": current_user.name, "email": current_user.email, "phone": current_user.phone}
        address = form.chosen_address()
        book_address = address.as_dict() if address is not None else None
        delivery, note = form.delivery.data, form.note.data or ""
        coupon_ids, points = _coupon_ids(), form.points_asked()

        def place():
            target = book_address or members.save_address(member, new_values).as_dict()
            order = orders.place_order(
                [orders.LineRequest(s, q) for s, q in items.items()], target, shopper=shopper,
                shopper_id=member.id, delivery_method=delivery, note=note, idempotency_key=key or None,
                source="storefront", request_hash=digest, key_checked=True, payer=payer, coupon_ids=coupon_ids,
                points=points)
            members.clear_cart(member.id, items)
            return order.number

        if done := commit(place):
            return redirect(url_for("storefront.my_order", number=done.result), code=303)
        field = {"delivery_method": "delivery"}.get(done.error.field, done.error.field)
        if payer_form is not None and field in ("payer_name", "payer_id_number"):
            attach_error(payer_form, DomainError(done.error.message, field=field))
        elif form.new_address or field in ("delivery", "note", "points"):
            attach_error(form, DomainError(done.error.message, field=field))
        else:   # about the saved address or the cart: said above the form
            form.form_errors.append(done.error.message)
    failed = placing and (bool(form.errors) or bool(payer_form and payer_form.errors))
    return render_template("shop/checkout.html", lines=lines, total=total, form=form, payer_form=payer_form,
                           preview=_preview(items, form, payer), breakdown_of=_breakdown_of, coupons=_usable_coupons(),
                           chosen_coupons=set(_coupon_ids()), points_offer=_points_offer()), 422 if failed else 200


# --- guest checkout (a store setting): no account, the order found again by number + phone ----

GUEST_ORDERS = "guest_orders"       # session: the order numbers this browser placed or looked up


def _guest_may_see(number: str) -> bool:
    from flask import session

    return number in session.get(GUEST_ORDERS, [])


def _remember_guest_order(number: str) -> None:
    from flask import session

    session[GUEST_ORDERS] = [number, *[n for n in session.get(GUEST_ORDERS, []) if n != number]][:20]


@bp.route("/checkout/guest", methods=["GET", "POST"])
@public
def guest_checkout():
    """The one-page checkout for a shopper without an account, where the store allows it: the
    guest cart, a delivery address (its name and phone are the order's contact), delivery, note."""
    if cart.shopper_signed_in():
        return redirect(url_for("storefront.checkout"), code=303)
    if not orders.guest_checkout_open():
        abort(404)
    form = forms.GuestCheckoutForm()
    if not form.idempotency_key.data:
        form.idempotency_key.data = uuid.uuid4().hex
    items = cart.current_items()
    lines, total = _cart_lines(items)
    placing = form.is_submitted() and form.refresh.data not in ("regions", "quote")
    if placing and form.validate_on_submit():
        if not items:
            form.form_errors.append(_("Your cart is empty."))
        else:
            values = form.values()
            shopper = {"name": values["name"], "email": form.email.data or "", "phone": values["phone"]}
            key = form.idempotency_key.data[:80]

            def place():
                address = members.address_values(values)
                return orders.place_order(
                    [orders.LineRequest(s, q) for s, q in items.items()], address, shopper=shopper, shopper_id=None,
                    delivery_method=form.delivery.data, note=form.note.data or "", idempotency_key=key,
                    source="storefront").number

            done = commit(place)
            if done:
                _remember_guest_order(done.result)
                response = redirect(url_for("storefront.guest_order", number=done.result), code=303)
                cart.write_guest(response, {})
                flash(_("Order %(number)s placed. Keep its number: with your phone it finds the order again.",
                        number=done.result), "success")
                return response
            field = {"delivery_method": "delivery"}.get(done.error.field, done.error.field)
            attach_error(form, DomainError(done.error.message, field=field))
    delivery = form.delivery.data if form.delivery.data in orders.DELIVERY_METHODS else "express"
    preview = orders.preview_checkout(items, form.region_code(), delivery)
    failed = placing and bool(form.errors or form.form_errors)
    return render_template("shop/guest_checkout.html", form=form, lines=lines, total=total, preview=preview,
                           breakdown_of=_breakdown_of), 422 if failed else 200


@bp.route("/orders/find", methods=["GET", "POST"])
@public
@lookup_ip_limit
@lookup_number_limit
def order_lookup():
    """A guest finds an order by its number and the phone given at checkout (the same answer
    for a wrong number and a wrong phone). Failed look-ups count in the same buckets as the
    API's (POST guest/orders/lookup): per client address and per order number."""
    form = forms.OrderLookupForm()
    status = 200
    if form.validate_on_submit():
        order = orders.guest_order(form.number.data, form.phone.data)
        if order is not None:
            _remember_guest_order(order.number)
            return redirect(url_for("storefront.guest_order", number=order.number), code=303)
        form.form_errors.append(_("No order with this number and phone."))
        status = 404
    elif request.method == "POST":
        status = 422
    return render_template("shop/order_lookup.html", form=form), status


@bp.errorhandler(429)
def _too_many(err):
    """The look-up's limit answers on the look-up page, the form kept, saying what to do."""
    if request.endpoint != "storefront.order_lookup":
        return too_many_attempts(err)
    form = forms.OrderLookupForm()
    form.form_errors.append(_("Too many look-ups with a wrong number or phone. Wait a few minutes and try again."))
    return render_template("shop/order_lookup.html", form=form), 429, {"Retry-After": str(retry_after(err))}


@bp.route("/orders/guest/<number>", methods=["GET", "POST"])
@leads_to_gateways
@public
def guest_order(number):
    """A guest's order, for the browser that placed or looked it up: status, lines, paying."""
    order = orders.guest_order(number) if _guest_may_see(number) else None
    if order is None:
        abort(404)
    if request.method == "POST":
        if request.form.get("action") != "pay":
            abort(400)
        from app.blueprints.payments.gateway_views import pay_order

        back_url = url_for("storefront.guest_order", number=number, _external=True)
        try:
            return pay_order(order, request.form.get("gateway") or "sandbox", back_url)
        except DomainError as err:
            flash(err.message, "error")
        except GatewayError:
            flash(_("The payment service did not answer. Please try again in a moment."), "error")
        return redirect(url_for("storefront.guest_order", number=number), code=303)
    from app.blueprints.logistics import queries as logistics
    from app.blueprints.payments import accounts
    from app.blueprints.payments.gateways import registry

    view = queries.order_view(order, timeline=True)
    methods = [(name, registry()[name].label) for name in accounts.enabled_gateways()]
    return render_template("shop/guest_order.html", order=view, timeline=view.timeline, statuses=orders.STATUS_LABELS,
                           methods=methods, shipments=logistics.shipments_for_order_number(view.number))


@bp.route("/orders")
@shopper
def my_orders():
    """The shopper's orders, newest first, 20 a page, optionally by status."""
    status = request.args.get("status") if request.args.get("status") in orders.STATUS_LABELS else None
    page = _page_arg()
    rows, total = queries.my_orders(current_user.id, status, page)
    pages = max(1, -(-total // queries.ORDERS_PER_PAGE))
    if page > pages:
        page = pages
        rows, total = queries.my_orders(current_user.id, status, page)
    return render_template("shop/orders.html", orders=rows, statuses=orders.STATUS_LABELS, status=status,
                           page=page, pages=pages, total=total)


@bp.route("/orders/<number>", methods=["GET", "POST"])
@leads_to_gateways
@shopper
def my_order(number):
    if request.method == "POST":
        order = orders.shopper_order(current_user.id, number)
        if order is None:  # another shopper's order looks exactly like a missing one
            abort(404)
        action = request.form.get("action")
        if action == "pay":
            from app.blueprints.payments.gateway_views import pay_order

            try:
                return pay_order(order, request.form.get("gateway") or "sandbox")   # commits its steps itself
            except DomainError as err:
                flash(err.message, "error")
            except GatewayError:
                flash(_("The payment service did not answer. Please try again in a moment."), "error")
        elif action in ("cancel", "confirm"):
            perform(lambda: orders.cancel_order(current_user, order, _("cancelled by the shopper")) if action == "cancel"
                    else orders.confirm_receipt(current_user, order), _("Done."))
        else:
            abort(400)
        return redirect(url_for("storefront.my_order", number=number), code=303)
    order = queries.my_order(current_user.id, number)
    if order is None:
        abort(404)
    from app.blueprints.payments import accounts
    from app.blueprints.payments.gateways import registry

    from app.blueprints.payments import queries as payment_queries

    methods = [(name, registry()[name].label) for name in accounts.enabled_gateways()]
    # back from the gateway, its answer not in yet: the page refreshes itself and offers no pay or cancel meanwhile
    waiting = bool(request.args.get("paying")) and order.awaiting_payment \
        and payment_queries.awaiting_confirmation(order.number)
    from app.blueprints.aftersales import queries as aftersales
    from app.blueprints.logistics import queries as logistics

    from app.blueprints.promotions import queries as promotions

    return render_template("shop/order.html", order=order, timeline=order.timeline, statuses=orders.STATUS_LABELS,
                           methods=methods, waiting=waiting, shipments=logistics.shipments_for_order_number(order.number),
                           aftersales=aftersales.order_requests(order.number), can_ask=aftersales.can_ask(order.status),
                           breakdown=promotions.order_breakdown_by_number(order.number),
                           group=promotions.group_of_order_number(order.number))


@bp.route("/files/<path:key>")
@public
def file(key):
    """Product images for shoppers (only images of products on sale)."""
    from flask import send_file

    from app.core.storage import get_storage

    storage = get_storage()
    if not catalog.image_on_sale(key) or not storage.owns(key):
        abort(404)
    return send_file(storage.path(key), max_age=86400)


# --- coupons ---------------------------------------------------------------------------------

@bp.route("/coupons")
@public
def coupons():
    """The coupons a shopper can claim now and, signed in, their own wallet."""
    return _coupons_page()


def _coupons_page(redeem_form=None, status: int = 200):
    from app.blueprints.promotions import coupons as coupon_service

    signed_in = cart.shopper_signed_in()
    wallet = coupon_service.wallet(current_user.id) if signed_in else []
    held = coupon_service.held_counts(current_user.id) if signed_in else {}
    currency = current_store().currency
    return render_template("shop/coupons.html", templates=coupon_service.claimable_templates(), wallet=wallet,
                           held=held, describe=lambda t: coupon_service.describe(t, currency),
                           wallet_status=coupon_service.wallet_status, statuses=coupon_service.WALLET_LABELS,
                           redeem_form=redeem_form or forms.RedeemCodeForm(formdata=None)), status


@bp.route("/coupons/<int:id>/claim", methods=["POST"])
@shopper
def coupon_claim(id):
    from app.blueprints.promotions import coupons as coupon_service

    if not 0 < id < 2 ** 31 or coupon_service.template(id) is None:
        abort(404)
    member_id = current_user.id
    perform(lambda: coupon_service.claim_coupon(member_id, id), _("The coupon is in your wallet."))
    return redirect(url_for("storefront.coupons"), code=303)


@bp.route("/coupons/redeem", methods=["POST"])
@shopper
def coupon_redeem():
    from app.blueprints.promotions import coupons as coupon_service

    form, member_id = forms.RedeemCodeForm(), current_user.id
    if form.validate_on_submit() and commit_form(form, lambda: coupon_service.redeem_code(member_id, form.code.data)):
        flash(_("The coupon is in your wallet."), "success")
        return redirect(url_for("storefront.coupons"), code=303)
    return _coupons_page(form, 422)


# --- flash sales -----------------------------------------------------------------------------

@bp.route("/flash")
@public
def flash_sales():
    """The flash sales on now or coming: price, what is left (sold out when nothing), the time to go."""
    from app.blueprints.promotions import flash as flash_sales_service

    return render_template("shop/flash.html", rows=flash_sales_service.shop_items())


@bp.route("/flash-items/<int:id>/claim", methods=["POST"])
@shopper
def flash_claim(id):
    """Claim one unit: an order with the flash price to pay within the session's minutes."""
    from app.blueprints.promotions import flash as flash_sales_service

    if not 0 < id < 2 ** 31 or not flash_sales_service.item_exists(id):
        abort(404)
    address = next(iter(members.addresses(current_user.id)), None)
    if address is None:
        flash(_("Add a delivery address to your account first."), "error")
        return redirect(url_for("storefront.account"), code=303)
    shopper_snapshot = {"name": current_user.name, "email": current_user.email, "phone": current_user.phone}
    try:
        number = flash_sales_service.place_claim(id, current_user.id, address.as_dict(), shopper_snapshot)
    except DomainError as err:
        flash_error(err.message)
        return redirect(url_for("storefront.flash_sales"), code=303)
    return redirect(url_for("storefront.my_order", number=number), code=303)


def flash_error(message: str) -> None:
    flash(message, "error")
