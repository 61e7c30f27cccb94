from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.blueprints.auth import forms, platform_bp, services, shop_bp, store_bp, supplier_bp
from app.core.mail import queue_mail
from app.core.permissions import public
from app.core.security import BadToken
from app.core.sessions import rotate_session
from app.core.urls import same_origin_path
from app.core.formview import commit_form, committed
from app.extensions import limiter

HOME = {"platform": "platform.home", "supplier": "portal.home", "store": "store.dashboard",
        "shopper": "storefront.home"}
LOGIN = {"platform": "platform_auth.login", "supplier": "supplier_auth.login", "store": "store_auth.login",
         "shopper": "shop_auth.login"}


def _realm_title(realm: str) -> str:
    if realm == "shopper":
        return g.store.name
    if realm == "platform":
        return _("Platform administration")
    if realm == "supplier":
        return _("Supplier portal")
    return g.store.name


def _failed(response) -> bool:
    return response.status_code == 401


def _account_key() -> str:
    email = (request.form.get("email") or "").strip().lower()
    store = getattr(g, "store", None)
    return f"login:{request.blueprint}:{store.id if store else '-'}:{email}"


ip_limit = limiter.shared_limit(lambda: current_app.config["LOGIN_LIMIT_IP"], scope="login-ip",
                                methods=["POST"], deduct_when=_failed)
account_limit = limiter.limit(lambda: current_app.config["LOGIN_LIMIT_ACCOUNT"], key_func=_account_key,
                              methods=["POST"], deduct_when=_failed)


def _safe_next(realm: str) -> str:
    target = request.args.get("next", "")
    prefix = {"platform": "/platform", "supplier": "/supplier",
              "store": f"/store/{g.store.slug}" if realm == "store" else "",
              "shopper": f"/shop/{g.store.slug}" if realm == "shopper" else ""}[realm]
    return same_origin_path(target, url_for(HOME[realm]), prefix=prefix + "/")


def login_page(realm: str):
    if current_user.is_authenticated and getattr(current_user, "realm", None) == realm:
        return redirect(url_for(HOME[realm]))
    form = forms.LoginForm()
    status = 200
    if form.validate_on_submit():
        user = committed(lambda: services.authenticate(realm, form.email.data, form.password.data))
        if user is not None:
            session.clear()
            rotate_session(session)
            guest_cart = request.cookies.get("cart") if realm == "shopper" else None
            login_user(user)
            if user.locale:
                session["locale"] = user.locale
            response = redirect(_safe_next(realm), code=303)
            if guest_cart:
                from app.blueprints.storefront.cart import merge_guest_cart

                merge_guest_cart(user, guest_cart, response)
            return response
        form.form_errors.append(_("The email or password is wrong, or the account is disabled."))
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form, realm=realm, realm_title=_realm_title(realm),
                           forgot_url=url_for(f"{request.blueprint}.forgot")), status


def logout_page(realm: str):
    logout_user()
    session.clear()
    rotate_session(session)
    flash(_("You have signed out."), "success")
    return redirect(url_for(LOGIN[realm]), code=303)


def _send_reset_link(realm: str, email: str) -> None:
    found = services.start_password_reset(realm, email)
    if found:
        user, token = found
        link = url_for(f"{request.blueprint}.reset", token=token, _external=True)
        queue_mail(user.email, _("Reset your Houtai password"),
                   _("Someone asked to reset the password of %(email)s.\n\nOpen this link within an hour to "
                     "choose a new password:\n%(link)s\n\nIf it was not you, ignore this mail.",
                     email=user.email, link=link))


def forgot_page(realm: str):
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        committed(lambda: _send_reset_link(realm, form.email.data))   # the commit sends the queued mail
        # the same answer whether or not the account exists
        flash(_("If an account with that email exists, a reset link is on its way."), "success")
        return redirect(url_for(LOGIN[realm]), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form, realm_title=_realm_title(realm),
                           login_url=url_for(LOGIN[realm])), status


def reset_page(realm: str, token: str):
    try:
        services.check_reset_token(realm, token)
    except BadToken as err:
        msg = _("This reset link has expired.") if err.expired else _("This reset link is invalid or was used already.")
        flash(msg + " " + _("Ask for a new one."), "error")
        return redirect(url_for(f"{request.blueprint}.forgot"), code=303)
    form = forms.NewPasswordForm()
    if form.validate_on_submit() and commit_form(form, lambda: services.reset_password(realm, token, form.password.data)):
        flash(_("Your password was changed. Sign in with the new one."), "success")
        return redirect(url_for(LOGIN[realm]), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form, realm_title=_realm_title(realm)), status


def _routes(bp, realm: str) -> None:
    def login():
        return login_page(realm)

    def logout():
        return logout_page(realm)

    def forgot():
        return forgot_page(realm)

    def reset(token):
        return reset_page(realm, token)

    for fn in (login, logout, forgot, reset):
        fn.__name__ = fn.__qualname__ = f"{realm}_{fn.__name__}"  # Flask-Limiter keys limits by name
    bp.add_url_rule("/login", "login", public(ip_limit(account_limit(login))), methods=["GET", "POST"])
    bp.add_url_rule("/logout", "logout", public(logout), methods=["POST"])
    bp.add_url_rule("/password/forgot", "forgot", public(ip_limit(forgot)), methods=["GET", "POST"])
    bp.add_url_rule("/password/reset/<token>", "reset", public(reset), methods=["GET", "POST"])


_routes(platform_bp, "platform")
_routes(supplier_bp, "supplier")
_routes(store_bp, "store")
_routes(shop_bp, "shopper")
