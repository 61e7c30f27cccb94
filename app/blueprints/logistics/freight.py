"""Freight (运费): the quote for a cart to a region, and the store's freight templates.

How a quote is made (`quote(lines, region_code)`):

1. Each line belongs to its product's template; a product without one (or with a template
   that was deleted) uses the store's default template. A store without any template gets no
   quote (None): the order settings' flat fee applies (orders does that).
2. A template that does not deliver to the region (不配送: the province or city is on its list)
   refuses the whole quote with `Undeliverable`, naming the products.
3. Per template, the rule for the region is the per-region rule naming the region's city, else
   its province, else the default rule. Units are counted per template: pieces, grams
   (quantity x weight) or cubic centimetres (quantity x volume).
4. A template's lines ship free when a free-shipping condition for the region is met by those
   lines alone: their goods amount, or their number of pieces, reaches the threshold.
5. **Combining templates** (as Taobao and Youzan do): of the templates still charged, the one
   with the largest first fee (ties: the larger fee on its own, then the older template) is
   charged in full: first fee plus one additional fee per started block of units beyond its
   first units. Every other template adds only additional fees, one per started block of its
   own additional units counted from zero, but never more than it would cost on its own (a
   template whose first units are cheaper than its additional ones). So the fee is never
   negative, never more than quoting each template separately, and never less than the
   leading template alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from app.blueprints.logistics.freight_models import BASES, FREE_KINDS, FreeShippingRule, FreightRule, FreightTemplate
from app.core import audit, regions
from app.core.errors import DomainError, DuplicateCode
from app.extensions import db

BASIS_LABELS = {"piece": _l("By piece"), "weight": _l("By weight"), "volume": _l("By volume")}
UNIT_LABELS = {"piece": _l("pieces"), "weight": _l("kg"), "volume": _l("m³")}
# what a shown unit is in stored units: pieces, grams per kg, cubic centimetres per m³
UNIT_SCALE = {"piece": 1, "weight": 1000, "volume": 1_000_000}
FREE_KIND_LABELS = {"amount": _l("Goods amount reaches"), "quantity": _l("Number of pieces reaches")}
MAX_FEE = 10 ** 7          # 100,000.00 in minor units
MAX_UNITS = 10 ** 9
MAX_RULES = 50


class Undeliverable(DomainError):
    """A line's template does not deliver to the address's region."""


# --- the pure part: snapshots in, a quote out (no database; the benchmark and properties use it) ---

@dataclass(frozen=True)
class Rate:
    first_units: int
    first_fee: int
    extra_units: int
    extra_fee: int

    def alone(self, units: int) -> int:
        """The fee for `units` when this rate leads: first fee, then per started extra block."""
        beyond = max(0, units - self.first_units)
        return self.first_fee + -(-beyond // self.extra_units) * self.extra_fee

    def added(self, units: int) -> int:
        """The fee for `units` added to another template's parcel: additional blocks only."""
        return -(-max(0, units) // self.extra_units) * self.extra_fee


@dataclass(frozen=True)
class TemplateSnapshot:
    id: int
    name: str
    basis: str
    rate: Rate
    rules: tuple = ()            # ((frozenset of region codes, Rate), ...)
    free: tuple = ()             # ((frozenset of region codes or empty = everywhere, kind, threshold), ...)
    undeliverable: frozenset = frozenset()
    is_default: bool = False

    def rate_for(self, chain: tuple[str, ...]) -> Rate:
        """`chain`: the region's codes from the deepest up to its province."""
        for code in chain:
            for codes, rate in self.rules:
                if code in codes:
                    return rate
        return self.rate

    def delivers(self, chain: tuple[str, ...]) -> bool:
        return not any(code in self.undeliverable for code in chain)

    def free_for(self, chain: tuple[str, ...], amount: int, pieces: int) -> bool:
        for codes, kind, threshold in self.free:
            if codes and not any(code in codes for code in chain):
                continue
            if (amount if kind == "amount" else pieces) >= threshold:
                return True
        return False

    def units(self, line: "FreightLine") -> int:
        if self.basis == "weight":
            return line.quantity * (line.weight_grams or 0)
        if self.basis == "volume":
            return line.quantity * (line.volume_cm3 or 0)
        return line.quantity


@dataclass(frozen=True)
class FreightLine:
    """One cart or order line as freight sees it (catalog's snapshot gives the template, weight
    and volume; `amount` is the line's goods amount in minor units)."""

    template_id: int | None
    quantity: int
    amount: int = 0
    weight_grams: int | None = None
    volume_cm3: int | None = None
    title: str = ""


@dataclass(frozen=True)
class GroupFee:
    template_id: int
    template_name: str
    basis: str
    units: int
    pieces: int
    amount: int
    rate: Rate
    free: bool
    alone: int          # this template quoted on its own
    charged: int        # what it adds to the combined fee
    lead: bool = False

    @property
    def units_label(self) -> str:
        shown = Decimal(self.units) / UNIT_SCALE[self.basis]
        return f"{shown.normalize():f} {UNIT_LABELS[self.basis]}"


@dataclass(frozen=True)
class Quote:
    fee: int
    groups: tuple[GroupFee, ...] = field(default_factory=tuple)
    region_code: str = ""

    @property
    def free(self) -> bool:
        return self.fee == 0


def chain_of(region_code: str | None) -> tuple[str, ...]:
    """The region's codes from the deepest to its province (empty for an unknown code)."""
    return tuple(r.code for r in reversed(regions.path(region_code)))


def compute(templates: dict[int, TemplateSnapshot], default_id: int, lines, region_code: str | None) -> Quote:
    """The quote for `lines` to `region_code` over these templates (see the module's rules)."""
    chain = chain_of(region_code)
    groups: dict[int, list[FreightLine]] = {}
    for line in lines:
        template_id = line.template_id if line.template_id in templates else default_id
        groups.setdefault(template_id, []).append(line)
    refused = [line.title for tid, group in groups.items() if not templates[tid].delivers(chain) for line in group]
    if refused:
        raise Undeliverable(_("Sorry, %(items)s cannot be delivered to %(region)s. Choose another address or take "
                              "these items out of the cart.", items="、".join(t for t in refused if t) or _("this order"),
                              region=regions.label(region_code)), field="region_code")
    fees = []
    for tid, group in sorted(groups.items()):
        template = templates[tid]
        rate = template.rate_for(chain)
        units = sum(template.units(l) for l in group)
        pieces, amount = sum(l.quantity for l in group), sum(l.amount for l in group)
        free = template.free_for(chain, amount, pieces)
        fees.append(GroupFee(tid, template.name, template.basis, units, pieces, amount, rate, free,
                             0 if free else rate.alone(units), 0))
    charged = [g for g in fees if not g.free]
    if not charged:
        return Quote(0, tuple(fees), region_code or "")
    lead = max(charged, key=lambda g: (g.rate.first_fee, g.alone, -g.template_id))
    out = []
    for g in fees:
        if g.free:
            out.append(g)
        elif g is lead:
            out.append(_replace(g, charged=g.alone, lead=True))
        else:
            out.append(_replace(g, charged=min(g.rate.added(g.units), g.alone)))
    return Quote(sum(g.charged for g in out), tuple(out), region_code or "")


def _replace(group: GroupFee, **changes) -> GroupFee:
    from dataclasses import replace

    return replace(group, **changes)


# --- reading the store's templates -----------------------------------------------------------

def _snapshot(t: FreightTemplate) -> TemplateSnapshot:
    return TemplateSnapshot(
        t.id, t.name, t.basis, Rate(t.first_units, t.first_fee, t.extra_units, t.extra_fee),
        tuple((frozenset(r.regions), Rate(r.first_units, r.first_fee, r.extra_units, r.extra_fee)) for r in t.rules),
        tuple((frozenset(r.regions or ()), r.kind, r.threshold) for r in t.free_rules),
        frozenset(t.undeliverable or ()), t.is_default)


def snapshots() -> tuple[dict[int, TemplateSnapshot], int | None]:
    """Every template of the bound store and the default one's id (three statements)."""
    rows = db.session.scalars(select(FreightTemplate).order_by(FreightTemplate.id)).all()
    templates = {t.id: _snapshot(t) for t in rows}
    default = next((t.id for t in rows if t.is_default), rows[0].id if rows else None)
    return templates, default


def quote(lines, region_code: str | None) -> Quote | None:
    """The freight for these lines (FreightLine) to the region; None when the store has no
    freight template (the caller falls back to its flat fee). Raises Undeliverable."""
    templates, default = snapshots()
    if not templates:
        return None
    return compute(templates, default, lines, region_code)


def template_choices() -> list[tuple[int, str]]:
    """(id, name) of every template, the default first (the product form's select)."""
    return [(t.id, t.name) for t in db.session.scalars(
        select(FreightTemplate).order_by(FreightTemplate.is_default.desc(), FreightTemplate.name))]


def template(template_id) -> FreightTemplate | None:
    return db.session.get(FreightTemplate, template_id) if isinstance(template_id, int) else None


def simulate(template_obj: FreightTemplate, region_code: str, quantity: int, amount: int, measure: int) -> Quote:
    """The quote of one template for a cart of `quantity` pieces worth `amount` weighing or
    measuring `measure` units per piece (grams / cm³), as the template page's simulator shows it."""
    snap = _snapshot(template_obj)
    line = FreightLine(snap.id, quantity, amount, measure if snap.basis == "weight" else None,
                       measure if snap.basis == "volume" else None, _("the simulated cart"))
    return compute({snap.id: snap}, snap.id, [line], region_code)


# --- changing templates ----------------------------------------------------------------------

def _int(values: dict, key: str, low: int, high: int, field: str) -> int:
    value = values.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(_("Enter a whole number from %(low)s to %(high)s.", low=low, high=high), field=field)
    return value


def _regions(codes, field: str, allow_empty: bool = False) -> list[str]:
    out = []
    for code in codes or ():
        region = regions.get(code)
        if region is None or region.level > 2:
            raise DomainError(_("Pick provinces or cities from the list."), field=field)
        if code not in out:
            out.append(code)
    if not out and not allow_empty:
        raise DomainError(_("Pick at least one region."), field=field)
    return out


def _rate(values: dict, prefix: str = "") -> dict:
    return {"first_units": _int(values, "first_units", 1, MAX_UNITS, f"{prefix}first_units"),
            "first_fee": _int(values, "first_fee", 0, MAX_FEE, f"{prefix}first_fee"),
            "extra_units": _int(values, "extra_units", 1, MAX_UNITS, f"{prefix}extra_units"),
            "extra_fee": _int(values, "extra_fee", 0, MAX_FEE, f"{prefix}extra_fee")}


def save_template(actor, values: dict, template_obj: FreightTemplate | None = None) -> FreightTemplate:
    """Create or change a freight template. `values`: name, basis, the default rule (first_units,
    first_fee, extra_units, extra_fee in stored units and minor units), `undeliverable` (codes),
    `rules` ([{regions, first_units, ...}]) and `free_rules` ([{regions, kind, threshold}]).
    Field errors name the form's fields (`rules-0-regions`). The store's first template becomes
    its default."""
    name = str(values.get("name") or "").strip()
    if not name or len(name) > 80:
        raise DomainError(_("Give the template a name (at most 80 characters)."), field="name")
    clash = select(FreightTemplate.id).where(func.lower(FreightTemplate.name) == name.lower())
    if template_obj is not None:
        clash = clash.where(FreightTemplate.id != template_obj.id)
    if db.session.scalar(clash):
        raise DuplicateCode(_("Another template has this name."), field="name")
    basis = values.get("basis")
    if basis not in BASES:
        raise DomainError(_("Choose by piece, weight or volume."), field="basis")
    rate = _rate(values)
    undeliverable = _regions(values.get("undeliverable"), "undeliverable", allow_empty=True)
    rules, seen = [], set()
    for index, rule in enumerate(values.get("rules") or ()):
        if len(rules) >= MAX_RULES:
            raise DomainError(_("At most %(n)d rules.", n=MAX_RULES), field=f"rules-{index}-regions")
        codes = _regions(rule.get("regions"), f"rules-{index}-regions")
        if seen & set(codes):
            raise DomainError(_("A region can be in one rule only: %(region)s is in two.",
                                region=regions.label(sorted(seen & set(codes))[0])), field=f"rules-{index}-regions")
        seen |= set(codes)
        rules.append(FreightRule(position=index, regions=codes, **_rate(rule, f"rules-{index}-")))
    free_rules = []
    for index, rule in enumerate(values.get("free_rules") or ()):
        if rule.get("kind") not in FREE_KINDS:
            raise DomainError(_("Choose an amount or a number of pieces."), field=f"free_rules-{index}-kind")
        free_rules.append(FreeShippingRule(
            position=index, regions=_regions(rule.get("regions"), f"free_rules-{index}-regions", allow_empty=True),
            kind=rule["kind"], threshold=_int(rule, "threshold", 0, MAX_FEE * 100, f"free_rules-{index}-threshold")))
    first = not db.session.scalar(select(func.count(FreightTemplate.id)))
    created = template_obj is None
    if created:
        template_obj = FreightTemplate(name=name, basis=basis, is_default=False)
        db.session.add(template_obj)
    template_obj.name, template_obj.basis, template_obj.undeliverable = name, basis, undeliverable
    for key, value in rate.items():
        setattr(template_obj, key, value)
    template_obj.rules = rules
    template_obj.free_rules = free_rules
    db.session.flush()
    if first:
        template_obj.is_default = True
    audit.record(actor, "freight.template_created" if created else "freight.template_changed", template_obj,
                 label=name)
    return template_obj


def set_default_template(actor, template_obj: FreightTemplate) -> FreightTemplate:
    """Make this the store's default template (for products without one)."""
    for other in db.session.scalars(select(FreightTemplate).where(FreightTemplate.is_default)):
        other.is_default = False
    db.session.flush()
    template_obj.is_default = True
    audit.record(actor, "freight.default_changed", template_obj, label=template_obj.name)
    return template_obj


def delete_template(actor, template_obj: FreightTemplate) -> None:
    """Delete a template; its products use the default one from now on (the next template
    becomes the default if this one was). Without templates the order settings' fee applies."""
    from app.blueprints.catalog import services as catalog

    was_default, name = template_obj.is_default, template_obj.name
    catalog.forget_freight_template(template_obj.id)
    db.session.delete(template_obj)
    db.session.flush()
    if was_default:
        successor = db.session.scalar(select(FreightTemplate).order_by(FreightTemplate.id).limit(1))
        if successor is not None:
            successor.is_default = True
    audit.record(actor, "freight.template_deleted", None, label=name)


def to_units(basis: str, shown: Decimal | str | int | None) -> int | None:
    """A quantity as people type it (pieces, kg, m³) in stored units; None if not a whole number
    of stored units (e.g. 0.0001 kg)."""
    try:
        value = Decimal(str(shown)) * UNIT_SCALE[basis]
    except (InvalidOperation, KeyError):
        return None
    return int(value) if value == value.to_integral_value() else None


def from_units(basis: str, units: int) -> Decimal:
    return (Decimal(units) / UNIT_SCALE[basis]).normalize()
