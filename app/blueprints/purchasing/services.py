"""Purchasing operations on suppliers: the directory, contacts, documents and notes; the
applications suppliers send through the portal and the store's decision; what a supplier
supplies (supplier SKUs and their price history); the store's purchasing settings.

Services take plain values and an actor, flush, write the audit entry, and never commit.
Purchase orders, ASNs, receiving, returns and invoices are in ``orders.py``.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.blueprints.purchasing.models import (DOCUMENT_KINDS, SUPPLIER_STATUSES, PurchasingSettings, Supplier,
                                              SupplierApplication, SupplierContact, SupplierDocument,
                                              SupplierInvitation, SupplierNote, SupplierPrice, SupplierSku)
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError, DuplicateCode, IllegalTransition, NotFound
from app.extensions import db

MAX_FILE_BYTES = 10 * 1024 * 1024
# what a licence or supplier document may be: PDF, PNG or JPEG, told by its first bytes
FILE_TYPES = {b"%PDF-": ".pdf", b"\x89PNG": ".png", b"\xff\xd8\xff": ".jpg"}
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


# --- settings -----------------------------------------------------------------------------------

def settings() -> PurchasingSettings:
    """The store's purchasing settings (the defaults until someone saves them)."""
    row = db.session.get(PurchasingSettings, 1)
    if row is None:
        row = PurchasingSettings(id=1, open_to_applications=False, approval_threshold=500000, over_tolerance_pct=5,
                                 under_tolerance_pct=5, velocity_days=30, cover_days=14, default_tax_rate=1300,
                                 price_tolerance_pct=2, quantity_tolerance_pct=0)
    return row


def save_settings(actor, *, open_to_applications: bool, approval_threshold: int, over_tolerance_pct: int,
                  under_tolerance_pct: int, velocity_days: int, cover_days: int, default_tax_rate: int,
                  price_tolerance_pct: int | None = None, quantity_tolerance_pct: int | None = None) -> PurchasingSettings:
    """Save the settings; the invoice match tolerances stay as they are when not given."""
    if approval_threshold is None or approval_threshold < 0:
        raise DomainError(_("Cannot be negative."), field="approval_threshold")
    for name, value, low, high in (("over_tolerance_pct", over_tolerance_pct, 0, 100),
                                   ("under_tolerance_pct", under_tolerance_pct, 0, 100),
                                   ("velocity_days", velocity_days, 1, 365), ("cover_days", cover_days, 0, 365),
                                   ("default_tax_rate", default_tax_rate, 0, 10000)):
        if value is None or not low <= value <= high:
            raise DomainError(_("Give a number from %(low)d to %(high)d.", low=low, high=high), field=name)
    for name, value in (("price_tolerance_pct", price_tolerance_pct), ("quantity_tolerance_pct", quantity_tolerance_pct)):
        if value is not None and not 0 <= value <= 100:
            raise DomainError(_("Give a number from %(low)d to %(high)d.", low=0, high=100), field=name)
    row = settings()
    if row not in db.session:
        db.session.add(row)
    if price_tolerance_pct is not None:
        row.price_tolerance_pct = price_tolerance_pct
    if quantity_tolerance_pct is not None:
        row.quantity_tolerance_pct = quantity_tolerance_pct
    row.open_to_applications, row.approval_threshold = bool(open_to_applications), approval_threshold
    row.over_tolerance_pct, row.under_tolerance_pct = over_tolerance_pct, under_tolerance_pct
    row.velocity_days, row.cover_days, row.default_tax_rate = velocity_days, cover_days, default_tax_rate
    changes = audit.changes_of(row)
    if changes:
        audit.record(actor, "purchasing.settings", None, label=_("Purchasing settings"), changes=changes)
    return row


# --- validation ------------------------------------------------------------------------------

def check_credit_code(value: str) -> str:
    """A unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, the last a
    check character over the first 17. Returns it in upper case; DomainError otherwise."""
    from stdnum.cn import uscc
    from stdnum.exceptions import InvalidChecksum, ValidationError

    code = (value or "").strip().upper()
    if not code:
        raise DomainError(_("Give the unified social credit code."), field="credit_code")
    try:
        return uscc.validate(code)
    except InvalidChecksum:
        raise DomainError(_("The check character of this unified social credit code is wrong: check for a typo."),
                          field="credit_code")
    except ValidationError:
        raise DomainError(_("A unified social credit code has 18 characters: digits and capital letters "
                            "(not I, O, Z, S or V)."), field="credit_code")


def check_file(data: bytes, filename: str, field: str = "files") -> str:
    """The suffix of an acceptable upload (PDF, PNG or JPEG up to 10 MB); DomainError otherwise."""
    if not data:
        raise DomainError(_("The file “%(name)s” is empty.", name=filename), field=field)
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(_("The file “%(name)s” is larger than 10 MB.", name=filename), field=field)
    for magic, suffix in FILE_TYPES.items():
        if data.startswith(magic):
            return suffix
    raise DomainError(_("The file “%(name)s” is not a PDF, PNG or JPEG.", name=filename), field=field)


def _store_file(folder: str, data: bytes, filename: str, field: str) -> dict:
    from app.core.storage import get_storage

    suffix = check_file(data, filename, field)
    key = get_storage().save(folder, data, suffix)
    return {"key": key, "filename": (filename or "file")[-200:], "size": len(data)}


def _clean_categories(categories) -> list[str]:
    if isinstance(categories, str):
        categories = re.split(r"[,，;；\n]", categories)
    out = []
    for item in categories or []:
        item = (item or "").strip()[:80]
        if item and item not in out:
            out.append(item)
    return out[:20]


# --- suppliers ---------------------------------------------------------------------------------

def _check_code(code: str, supplier: Supplier | None) -> str:
    code = (code or "").strip().upper()
    if not CODE_RE.match(code):
        raise DomainError(_("Give a code of letters, digits, - or _ (up to 40)."), field="code")
    clash = select(Supplier.id).where(func.lower(Supplier.code) == code.lower())
    if supplier is not None and supplier.id is not None:
        clash = clash.where(Supplier.id != supplier.id)
    if db.session.scalar(clash):
        raise DuplicateCode(_("Another supplier has this code."), field="code")
    return code


def save_supplier(actor, supplier: Supplier | None, *, code: str, name: str, credit_code: str = "",
                  status: str = "active", rating: int = 0, categories=(), email: str = "", phone: str = "",
                  address: str = "", bank_name: str = "", bank_account: str = "", bank_holder: str = "",
                  lead_time_days: int = 7, payment_terms_days: int | None = None) -> Supplier:
    """Create or edit a supplier of the directory (payment terms: 30 days for a new one,
    unchanged when not given)."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the supplier's name."), field="name")
    if status not in SUPPLIER_STATUSES:
        raise DomainError(_("Choose a status."), field="status")
    if rating is None or not 0 <= rating <= 5:
        raise DomainError(_("Give a rating from 0 to 5."), field="rating")
    if lead_time_days is None or not 0 <= lead_time_days <= 365:
        raise DomainError(_("Give a number from %(low)d to %(high)d.", low=0, high=365), field="lead_time_days")
    if payment_terms_days is not None and not 0 <= payment_terms_days <= 365:
        raise DomainError(_("Give a number from %(low)d to %(high)d.", low=0, high=365), field="payment_terms_days")
    credit_code = check_credit_code(credit_code) if (credit_code or "").strip() else ""
    created = supplier is None
    supplier = supplier or Supplier()
    supplier.code = _check_code(code, supplier)
    supplier.name, supplier.credit_code, supplier.status, supplier.rating = name[:200], credit_code, status, rating
    supplier.categories = _clean_categories(categories)
    supplier.email, supplier.phone = (email or "").strip()[:254], (phone or "").strip()[:40]
    supplier.address = (address or "").strip()[:300]
    supplier.bank_name, supplier.bank_account = (bank_name or "").strip()[:120], (bank_account or "").strip()[:40]
    supplier.bank_holder, supplier.lead_time_days = (bank_holder or "").strip()[:200], lead_time_days
    if payment_terms_days is not None or created:
        supplier.payment_terms_days = 30 if payment_terms_days is None else payment_terms_days
    if created:
        db.session.add(supplier)
        audit.record(actor, "supplier.created", supplier, label=supplier.code)
    else:
        changes = audit.changes_of(supplier, {"code", "name", "status", "rating", "email", "credit_code",
                                              "bank_account", "lead_time_days", "payment_terms_days"})
        if changes:
            audit.record(actor, "supplier.updated", supplier, label=supplier.code, changes=changes)
    return supplier


def add_contact(actor, supplier: Supplier, name: str, title: str = "", phone: str = "", email: str = "") -> SupplierContact:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the contact's name."), field="name")
    if not (phone or "").strip() and not (email or "").strip():
        raise DomainError(_("Give a phone number or an email."), field="phone")
    contact = SupplierContact(supplier_id=supplier.id, name=name[:120], title=(title or "").strip()[:80],
                              phone=(phone or "").strip()[:40], email=(email or "").strip()[:254])
    db.session.add(contact)
    audit.record(actor, "supplier.contact_added", supplier, label=f"{supplier.code} {contact.name}")
    return contact


def remove_contact(actor, supplier: Supplier, contact_id: int) -> None:
    contact = db.session.get(SupplierContact, contact_id)
    if contact is None or contact.supplier_id != supplier.id:
        raise NotFound(_("That contact is not one of this supplier's."))
    db.session.delete(contact)
    audit.record(actor, "supplier.contact_removed", supplier, label=f"{supplier.code} {contact.name}")


def add_document(actor, supplier: Supplier, kind: str, filename: str, data: bytes, expires_on=None) -> SupplierDocument:
    if kind not in DOCUMENT_KINDS:
        raise DomainError(_("Choose a kind."), field="kind")
    stored = _store_file("suppliers", data, filename, "file")
    document = SupplierDocument(supplier_id=supplier.id, kind=kind, filename=stored["filename"], key=stored["key"],
                                size=stored["size"], expires_on=expires_on,
                                uploaded_by=getattr(actor, "email", None) or "system")
    db.session.add(document)
    audit.record(actor, "supplier.document_added", supplier, label=f"{supplier.code} {document.filename}")
    return document


def add_note(actor, supplier: Supplier, body: str) -> SupplierNote:
    body = (body or "").strip()
    if not body:
        raise DomainError(_("Write the note first."), field="body")
    note = SupplierNote(supplier_id=supplier.id, body=body[:4000], author=getattr(actor, "email", None) or "system")
    db.session.add(note)
    return note


# --- invitations and applications --------------------------------------------------------------

def invite(actor, email: str) -> SupplierInvitation:
    """Invite an email to apply as a supplier (the caller mails the link)."""
    email = (email or "").strip()
    if "@" not in email or len(email) > 254:
        raise DomainError(_("Give a valid email address."), field="email")
    existing = db.session.scalar(select(SupplierInvitation).where(func.lower(SupplierInvitation.email) == email.lower()))
    if existing is not None:
        return existing
    invitation = SupplierInvitation(email=email, invited_by=getattr(actor, "email", None) or "system")
    db.session.add(invitation)
    audit.record(actor, "supplier.invited", None, label=email)
    return invitation


def may_apply(account_email: str) -> bool:
    """Whether a supplier account with this email may apply here: invited, or the store is open."""
    if settings().open_to_applications:
        return True
    return db.session.scalar(select(SupplierInvitation.id).where(
        func.lower(SupplierInvitation.email) == (account_email or "").strip().lower())) is not None


def apply(account, *, company: str, credit_code: str, contact_name: str, contact_email: str, contact_phone: str = "",
          bank_name: str = "", bank_account: str = "", bank_holder: str = "", categories=(),
          files: list[tuple[str, bytes]] = ()) -> SupplierApplication:
    """A supplier account applies to supply the bound store. Refused when the store neither
    invited it nor is open to applications, when it supplies the store already, or when an
    application of it is still pending. Licence files are checked (type and size) before any
    is kept."""
    org_id = account.supplier_id
    if not may_apply(account.email):
        raise DomainError(_("This store takes applications by invitation only."))
    if db.session.scalar(select(Supplier.id).where(Supplier.account_id == org_id)):
        raise DomainError(_("You supply this store already."))
    if db.session.scalar(select(SupplierApplication.id).where(SupplierApplication.account_id == org_id,
                                                              SupplierApplication.status == "pending")):
        raise DomainError(_("Your application to this store is waiting for its decision."))
    company = (company or "").strip()
    if not company:
        raise DomainError(_("Give the company's registered name."), field="company")
    code = check_credit_code(credit_code)
    contact_name, contact_email = (contact_name or "").strip(), (contact_email or "").strip()
    if not contact_name:
        raise DomainError(_("Give the contact's name."), field="contact_name")
    if "@" not in contact_email:
        raise DomainError(_("Give a valid email address."), field="contact_email")
    bank_account = re.sub(r"\s+", "", bank_account or "")
    if bank_account and not re.fullmatch(r"\d{8,30}", bank_account):
        raise DomainError(_("A bank account number has 8 to 30 digits."), field="bank_account")
    if not files:
        raise DomainError(_("Attach the business licence."), field="files")
    for filename, data in files:          # all checked before any is stored
        check_file(data, filename)
    stored = [_store_file("applications", data, filename, "files") for filename, data in files]
    application = SupplierApplication(
        account_id=org_id, status="pending", company=company[:200], credit_code=code, contact_name=contact_name[:120],
        contact_email=contact_email[:254], contact_phone=(contact_phone or "").strip()[:40],
        bank_name=(bank_name or "").strip()[:120], bank_account=bank_account, bank_holder=(bank_holder or "").strip()[:200],
        categories=_clean_categories(categories), files=stored)
    db.session.add(application)
    db.session.flush()
    return application


def _pending(application: SupplierApplication) -> None:
    if application.status != "pending":
        raise IllegalTransition(_("This application was decided already."))


def approve_application(actor, application: SupplierApplication, code: str) -> Supplier:
    """Accept an application: the supplier joins the directory under `code` with what it gave,
    its licence files become its documents, and its account is linked to the store (one
    sign-in for every store it serves)."""
    from app.blueprints.platform import services as platform
    from app.core.tenancy import current_store

    _pending(application)
    supplier = save_supplier(actor, None, code=code, name=application.company, credit_code=application.credit_code,
                             categories=application.categories, email=application.contact_email,
                             phone=application.contact_phone, bank_name=application.bank_name,
                             bank_account=application.bank_account, bank_holder=application.bank_holder)
    supplier.account_id = application.account_id
    db.session.flush()
    db.session.add(SupplierContact(supplier_id=supplier.id, name=application.contact_name,
                                   phone=application.contact_phone, email=application.contact_email))
    for item in application.files:
        db.session.add(SupplierDocument(supplier_id=supplier.id, kind="licence", filename=item["filename"],
                                        key=item["key"], size=item["size"], uploaded_by=application.contact_email))
    application.status, application.supplier_id = "approved", supplier.id
    application.decided_by, application.decided_at = getattr(actor, "email", None) or "system", utcnow()
    platform.link_supplier_account(actor, application.account_id, current_store().id, supplier.code)
    audit.record(actor, "supplier.application_approved", supplier, label=f"{supplier.code} {supplier.name}")
    return supplier


def reject_application(actor, application: SupplierApplication, reason: str) -> SupplierApplication:
    _pending(application)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the application is rejected: the supplier reads it."), field="reason")
    application.status, application.reason = "rejected", reason[:500]
    application.decided_by, application.decided_at = getattr(actor, "email", None) or "system", utcnow()
    audit.record(actor, "supplier.application_rejected", None, label=application.company,
                 changes={"reason": [None, application.reason]})
    return application


# --- what a supplier supplies --------------------------------------------------------------------

def save_supplier_sku(actor, link: SupplierSku | None, *, supplier_id: int, sku_code: str, price: int,
                      supplier_code: str = "", moq: int = 1, pack_size: int = 1, lead_time_days: int | None = None,
                      preferred: bool = False) -> SupplierSku:
    """Link a supplier and a SKU (or edit the link). A new price is kept in the history; making
    a link preferred takes the mark from the SKU's other supplier."""
    from app.blueprints.catalog import queries as catalog

    supplier = db.session.get(Supplier, supplier_id) if supplier_id else None
    if supplier is None:
        raise DomainError(_("Choose a supplier."), field="supplier_id")
    sku_id = catalog.sku_id_by_code(sku_code)
    if sku_id is None:
        raise DomainError(_("No SKU with the code “%(code)s”.", code=sku_code), field="sku_code")
    if price is None or price < 0:
        raise DomainError(_("Give the purchase price."), field="price")
    if moq is None or moq < 1:
        raise DomainError(_("The quantity must be at least 1."), field="moq")
    if pack_size is None or pack_size < 1:
        raise DomainError(_("The quantity must be at least 1."), field="pack_size")
    lead_time_days = supplier.lead_time_days if lead_time_days is None else lead_time_days
    if not 0 <= lead_time_days <= 365:
        raise DomainError(_("Give a number from %(low)d to %(high)d.", low=0, high=365), field="lead_time_days")
    clash = select(SupplierSku.id).where(SupplierSku.supplier_id == supplier.id, SupplierSku.sku_id == sku_id)
    if link is not None:
        clash = clash.where(SupplierSku.id != link.id)
    if db.session.scalar(clash):
        raise DuplicateCode(_("This supplier supplies that SKU already: edit that line."), field="sku_code")
    created = link is None
    old_price = None if created else link.price
    link = link or SupplierSku()
    link.supplier_id, link.sku_id, link.price = supplier.id, sku_id, price
    link.supplier_code, link.moq, link.pack_size = (supplier_code or "").strip()[:64], moq, pack_size
    link.lead_time_days = lead_time_days
    if preferred:
        db.session.execute(update(SupplierSku).where(SupplierSku.sku_id == sku_id, SupplierSku.preferred,
                                                     SupplierSku.id != (link.id or 0))
                           .values(preferred=False).execution_options(synchronize_session="fetch"))
    link.preferred = bool(preferred)
    if created:
        db.session.add(link)
    db.session.flush()
    if old_price != price:
        db.session.add(SupplierPrice(supplier_sku_id=link.id, price=price,
                                     changed_by=getattr(actor, "email", None) or "system"))
    audit.record(actor, "supplier_sku.saved", supplier, label=f"{supplier.code} {sku_code}",
                 changes={"price": [old_price, price]} if old_price != price else None)
    return link


def remove_supplier_sku(actor, link: SupplierSku) -> None:
    db.session.delete(link)
    audit.record(actor, "supplier_sku.removed", None, label=str(link.id))
