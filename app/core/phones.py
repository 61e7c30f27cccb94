"""Phone numbers: mainland China mobile numbers checked against libphonenumber's number plan
(the `phonenumbers` package keeps the allocated 13x-19x ranges current), kept as 11 digits."""
from __future__ import annotations

import phonenumbers
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
MAINLAND_MOBILE_MESSAGE = _l("Enter a mainland China mobile number (11 digits, e.g. 138 0013 8000).")


def mainland_mobile(raw: str | None) -> str | None:
    """The 11-digit national form of a mainland mobile number (spaces, dashes and a +86 / 86
    prefix allowed), or None when `raw` is not one (landlines, other countries, unallocated ranges)."""
    text = (raw or "").strip()
    if not text or len(text) > 40:
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number) \
            or phonenumbers.number_type(number) not in MOBILE_TYPES:
        return None
    national = str(number.national_number)
    return national if len(national) == 11 else None


class MainlandMobile:
    """WTForms validator: a mainland mobile number; the field's data becomes its 11 digits."""

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        if not (field.data or "").strip():
            return  # DataRequired / Optional decide about empty input
        clean = mainland_mobile(field.data)
        if clean is None:
            raise ValidationError(self.message or str(MAINLAND_MOBILE_MESSAGE))
        field.data = clean


def international(raw: str | None, country: str) -> str | None:
    """The E.164 form (+44 20 …  ->  +442071234567) of a phone number valid in `country`
    (ISO 3166 alpha-2; the number may carry its own +country code), or None."""
    text = (raw or "").strip()
    if not text or len(text) > 40:
        return None
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def comparable(raw: str | None) -> str:
    """A phone as typed, in one form for comparing: a mainland mobile's 11 digits, another
    country's number given with its +code in E.164, else the text trimmed."""
    text = (raw or "").strip()
    mainland = mainland_mobile(text)
    if mainland:
        return mainland
    if text.startswith("+") or text.startswith("00"):
        try:
            number = phonenumbers.parse("+" + text[2:] if text.startswith("00") else text, None)
        except phonenumbers.NumberParseException:
            return text
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return text
