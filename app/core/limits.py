"""What a column can hold, read from the SQLAlchemy models: the one source for the length and
range checks of forms, the API and imports (a value that passes cannot fail in PostgreSQL).

    limits.max_length(Product, "title")         -> 200
    limits.int_bounds(Sku, "weight_grams")      -> (-2147483648, 2147483647)
    limits.check(Product, "title", value)       raises OutOfRange (a DomainError) naming the field
    limits.validators(Product, "title")         -> [Length(max=200)] for a WTForms field
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import BigInteger, Integer, SmallInteger, String

from app.core.errors import DomainError

INT32 = (-2 ** 31, 2 ** 31 - 1)
_BOUNDS = ((BigInteger, (-2 ** 63, 2 ** 63 - 1)), (SmallInteger, (-2 ** 15, 2 ** 15 - 1)), (Integer, INT32))


class OutOfRange(DomainError):
    pass


def _column(model, name: str):
    return model.__table__.columns[name]


def max_length(model, name: str) -> int | None:
    kind = _column(model, name).type
    return kind.length if isinstance(kind, String) else None


def int_bounds(model, name: str) -> tuple[int, int] | None:
    kind = _column(model, name).type
    for cls, bounds in _BOUNDS:        # BigInteger and SmallInteger are Integers: check them first
        if isinstance(kind, cls):
            return bounds
    return None


def check(model, name: str, value, field: str | None = None):
    """`value` if the column holds it, else OutOfRange with a message for `field` (default: the column)."""
    field = field or name
    if isinstance(value, str):
        limit = max_length(model, name)
        if limit is not None and len(value) > limit:
            raise OutOfRange(_("At most %(n)d characters.", n=limit), field)
    elif isinstance(value, int) and not isinstance(value, bool):
        bounds = int_bounds(model, name)
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            raise OutOfRange(_("Between %(low)d and %(high)d.", low=bounds[0], high=bounds[1]), field)
    return value


def parse_int(text, model=None, name: str | None = None, minimum: int | None = None) -> int:
    """A whole number from text ('12', '12.0', '1e3'), within the column's range (INTEGER if no
    column is named) and >= `minimum`; ValueError for 'inf', 'nan', '1e309', '12.5' or too big."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation as err:
        raise ValueError(text) from err
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(text)
    low, high = int_bounds(model, name) if model is not None else INT32
    if minimum is not None:
        low = max(low, minimum)
    if not low <= value <= high:
        raise ValueError(text)
    return int(value)


def validators(model, name: str) -> list:
    """WTForms validators that hold a field to its column (Length for text, NumberRange for integers)."""
    from wtforms.validators import Length, NumberRange

    limit = max_length(model, name)
    if limit is not None:
        return [Length(max=limit)]
    bounds = int_bounds(model, name)
    if bounds is not None:
        return [NumberRange(min=bounds[0], max=bounds[1])]
    return []


# --- every write: one check at flush time -----------------------------------------------------

def check_row(obj) -> None:
    """Raise OutOfRange for the first changed column value of `obj` its column cannot hold."""
    from sqlalchemy import inspect
    from sqlalchemy.types import ARRAY

    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        if len(attr.columns) != 1:
            continue
        column = attr.columns[0]
        if not state.pending and not state.attrs[attr.key].history.has_changes():
            continue
        value = state.dict.get(attr.key)
        if value is None or not hasattr(column, "type"):
            continue
        kind = column.type
        items = value if isinstance(kind, ARRAY) and isinstance(value, (list, tuple)) else [value]
        kind = kind.item_type if isinstance(kind, ARRAY) else kind
        for item in items:
            if isinstance(item, str) and isinstance(kind, String) and kind.length and len(item) > kind.length:
                raise OutOfRange(_("At most %(n)d characters.", n=kind.length), attr.key)
            if isinstance(item, int) and not isinstance(item, bool):
                for cls, (low, high) in _BOUNDS:
                    if isinstance(kind, cls):
                        if not low <= item <= high:
                            raise OutOfRange(_("Between %(low)d and %(high)d.", low=low, high=high), attr.key)
                        break


def _before_flush(session, flush_context, instances) -> None:
    for obj in (*session.new, *session.dirty):
        check_row(obj)


def install() -> None:
    """Check every flushed row against its columns (called once, by create_app)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
