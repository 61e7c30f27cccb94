"""Member operations: registration, profile, address book, the signed-in cart."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.blueprints.members.models import Address, CartItem, Member
from app.core import countries, phones, regions
from app.core.errors import DomainError, DuplicateCode
from app.core.outbox import emit
from app.core.security import MIN_PASSWORD_LENGTH, hash_password
from app.extensions import db

MAX_CART_QUANTITY = 99
ADDRESS_INPUT = ("name", "phone", "region_code", "street", "postcode",   # what save_address reads
                 "country", "city", "province")                          # (the last three: abroad)
ADDRESS_LIMITS = {"name": 120, "phone": 40, "street": 200, "postcode": 20}  # characters, as the columns hold


def register(email: str, password: str, name: str = "", phone: str = "") -> Member:
    """Create a shopper account of the bound store."""
    email = (email or "").strip()
    if "@" not in email or len(email) > 254:
        raise DomainError(_("Enter a valid email address."), field="email")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(_("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH), field="password")
    if db.session.scalar(select(Member.id).where(func.lower(Member.email) == email.lower())):
        raise DuplicateCode(_("An account with this email exists already. Sign in or reset the password."),
                            field="email")
    member = Member(email=email, name=(name or "").strip()[:120], phone=(phone or "").strip()[:40],
                    password_hash=hash_password(password), status="active")
    db.session.add(member)
    db.session.flush()
    emit("member.registered", {"member_id": member.id, "email": email})
    return member


def set_locale(member: Member, locale: str) -> None:
    """The shopper's own language choice, kept for their next visit."""
    if locale not in ("zh_CN", "en"):
        raise DomainError(_("Choose a supported language."), field="locale")
    member.locale = locale


def save_address(member: Member, values: dict, address: Address | None = None) -> Address:
    """Add (or change) one of the member's addresses (checked by `address_values`)."""
    clean = address_values(values)
    first = not db.session.scalar(select(func.count(Address.id)).where(Address.member_id == member.id))
    if address is None:
        address = Address(member_id=member.id, **clean)
        db.session.add(address)
    else:
        for key, value in clean.items():
            setattr(address, key, value)
    if values.get("is_default") or first:  # the first address is the default one
        set_default(member, address)
    return address


def address_values(values: dict) -> dict:
    """A delivery address as typed, checked and completed: name, phone, street and postcode
    trimmed. In the mainland (`country` CN, the default) the phone must be a mainland mobile
    number (kept as its 11 digits) and `region_code` is the six-digit code of the district (or of
    a city / region without districts) from `app.core.regions`, whose province, city and district
    names are filled in. Another country (where the store ships abroad) is free-form, see
    `_abroad_fields`. Raises a DomainError naming the field at fault; the checkouts of guests and
    members use it too."""
    clean = {f: (values.get(f) or "").strip() for f in ADDRESS_LIMITS}
    for required in ("name", "phone", "street"):
        if not clean[required]:
            raise DomainError(_("This field is required."), field=required)
    for name, limit in ADDRESS_LIMITS.items():
        if len(clean[name]) > limit:
            raise DomainError(_("Use at most %(n)d characters.", n=limit), field=name)
    country = (values.get("country") or countries.MAINLAND).strip().upper()
    if country != countries.MAINLAND:
        return {**clean, **_abroad_fields(country, clean["phone"], values)}
    clean["phone"] = phones.mainland_mobile(clean["phone"])
    if clean["phone"] is None:
        raise DomainError(str(phones.MAINLAND_MOBILE_MESSAGE), field="phone")
    clean.update(region_fields(values.get("region_code")))
    return {**clean, "country": countries.MAINLAND}


def _abroad_fields(country: str, phone: str, values: dict) -> dict:
    """An address in another country, where the store ships abroad: free-form `city` (required)
    and `province` (state, region; optional), a phone valid there (kept in E.164, +44…)."""
    from app.blueprints.logistics import queries as logistics

    if not logistics.ships_abroad():
        raise DomainError(_("This shop delivers within mainland China only."), field="country")
    if country not in countries.codes():
        raise DomainError(_("Choose a country from the list."), field="country")
    city, state = ((values.get(f) or "").strip() for f in ("city", "province"))
    if not city:
        raise DomainError(_("This field is required."), field="city")
    for field, text in (("city", city), ("province", state)):
        if len(text) > 60:
            raise DomainError(_("Use at most %(n)d characters.", n=60), field=field)
    number = phones.international(phone, country)
    if number is None:
        raise DomainError(_("Enter a phone number of %(country)s (with its +country code if it is another "
                            "country's).", country=countries.name(country)), field="phone")
    return {"country": country, "phone": number, "region_code": "", "province": state, "city": city, "district": ""}


def region_fields(code) -> dict:
    """The region columns of an address for this code (a leaf of the region tree), or a field
    error on `region_code` naming what is missing."""
    code = str(code or "").strip()
    if not regions.valid(code):
        raise DomainError(_("Choose the province, city and district."), field="region_code")
    if not regions.is_leaf(code):
        missing = _("Choose the city.") if regions.get(code).level == 1 else _("Choose the district.")
        raise DomainError(missing, field="region_code")
    names = [r.name_zh for r in regions.path(code)] + ["", ""]
    province, city, district = names[0], names[1] or names[0], names[2]
    return {"region_code": code, "province": province, "city": city, "district": district}


def set_default(member: Member, address: Address) -> None:
    db.session.flush()
    for other in db.session.scalars(select(Address).where(Address.member_id == member.id)):
        other.is_default = other.id == address.id


def remove_address(member: Member, address: Address) -> None:
    """Delete an address; if it was the default, the next one becomes the default."""
    was_default = address.is_default
    db.session.delete(address)
    db.session.flush()
    remaining = addresses(member.id)
    if was_default and remaining:
        set_default(member, remaining[0])


def addresses(member_id: int) -> list[Address]:
    return db.session.scalars(select(Address).where(Address.member_id == member_id)
                              .order_by(Address.is_default.desc(), Address.id)).all()


def cart_of(member_id: int) -> dict[int, int]:
    return dict(db.session.execute(select(CartItem.sku_id, CartItem.quantity).where(CartItem.member_id == member_id)).all())


def set_cart_line(member_id: int, sku_id: int, quantity: int) -> None:
    """Set (0 removes) one line of a shopper's cart."""
    quantity = max(0, min(quantity, MAX_CART_QUANTITY))
    item = db.session.scalar(select(CartItem).where(CartItem.member_id == member_id, CartItem.sku_id == sku_id))
    if quantity == 0:
        if item is not None:
            db.session.delete(item)
    elif item is None:
        db.session.add(CartItem(member_id=member_id, sku_id=sku_id, quantity=quantity))
    else:
        item.quantity = quantity


def merge_cart(member_id: int, guest: dict[int, int]) -> None:
    """At sign-in the guest cart joins the account's cart (quantities add up)."""
    current = cart_of(member_id)
    for sku_id, quantity in guest.items():
        set_cart_line(member_id, sku_id, current.get(sku_id, 0) + quantity)


def clear_cart(member_id: int, sku_ids) -> None:
    """Take these SKUs out of the member's cart (they were ordered): one statement."""
    from sqlalchemy import delete

    db.session.execute(delete(CartItem).where(CartItem.member_id == member_id, CartItem.sku_id.in_(list(sku_ids)))
                       .execution_options(synchronize_session=False))


def address_of(member_id: int, address_id: int) -> Address | None:
    """One of the member's own addresses; another member's is None, like a missing one."""
    if not 0 < (address_id or 0) < 2 ** 31:
        return None
    address = db.session.get(Address, address_id)
    return address if address is not None and address.member_id == member_id else None


def member(member_id) -> Member | None:
    """The member with this id (API tokens carry it)."""
    return db.session.get(Member, member_id) if isinstance(member_id, int) else None


def member_by_email(email: str) -> Member | None:
    """The member with this email address, in any letter case (customer service finds shoppers by it)."""
    email = (email or "").strip().lower()
    return db.session.scalar(select(Member).where(func.lower(Member.email) == email)) if email else None



# Points, levels and member admin live in `loyalty`; these are the operations other centers call
# (the promotions pricing pipeline spends points, the handlers earn and give them back).
from app.blueprints.members.loyalty import (NotEnoughPoints, adjust_points, earn_points, max_points_for,  # noqa: E402,F401
                                            points_value, refund_points, spend_points)


def member_id_by_email(email: str) -> int | None:
    """The id of the store's shopper with this email (any case), or None (staff look a shopper up)."""
    email = (email or "").strip().lower()
    return db.session.scalar(select(Member.id).where(func.lower(Member.email) == email)) if email else None
