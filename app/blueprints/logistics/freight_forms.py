"""Freight template forms: the default rule, per-region rules, free-shipping conditions and the
regions not delivered to (provinces and cities picked from the region tree), and the simulator."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, FieldList, Form, FormField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.blueprints.logistics.freight import BASIS_LABELS, FREE_KIND_LABELS, to_units
from app.core.formfields import MoneyField
from app.core.regionfields import RegionFields, region_select


class RegionTreeField(SelectMultipleField):
    """Province and city codes, rendered as a province -> city checkbox tree
    (logistics/_region_tree.html); any code not in the tree is refused by the service."""

    def pre_validate(self, form):
        pass   # the freight service checks the codes and names the field


def _units(label):
    return DecimalField(label, places=None, validators=[Optional(), NumberRange(min=0)])


class RuleForm(Form):
    regions = RegionTreeField(_l("Regions"))
    first_units = _units(_l("First units"))
    first_fee = MoneyField(_l("First fee"))
    extra_units = _units(_l("Each additional"))
    extra_fee = MoneyField(_l("Additional fee"))

    def is_blank(self) -> bool:
        return not self.regions.data and all(f.data in (None, "") for f in (self.first_units, self.first_fee,
                                                                            self.extra_units, self.extra_fee))


class FreeRuleForm(Form):
    regions = RegionTreeField(_l("Regions"), description=_l("None ticked: everywhere."))
    kind = SelectField(_l("Condition"), choices=list(FREE_KIND_LABELS.items()))
    threshold = StringField(_l("Threshold"), validators=[Length(max=20)],
                            description=_l("An amount such as 99.00, or a number of pieces."))

    def is_blank(self) -> bool:
        return not (self.threshold.data or "").strip()


class FreightTemplateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    basis = SelectField(_l("Charged by"), choices=list(BASIS_LABELS.items()))
    first_units = _units(_l("First units"))
    first_fee = MoneyField(_l("First fee"))
    extra_units = _units(_l("Each additional"))
    extra_fee = MoneyField(_l("Additional fee"))
    rules = FieldList(FormField(RuleForm), min_entries=1, max_entries=51)
    free_rules = FieldList(FormField(FreeRuleForm), min_entries=1, max_entries=51)
    undeliverable = RegionTreeField(_l("Not delivered to (不配送)"))

    def values(self, currency: str) -> dict:
        """What freight.save_template takes: stored units, minor units, region codes (blank rows
        dropped). A value that is not a whole number of stored units goes through as -1 so the
        service names its field."""
        from app.core.money import to_minor

        basis = self.basis.data if self.basis.data in BASIS_LABELS else "piece"

        def units(field):
            value = to_units(basis, field.data) if field.data is not None else None
            return -1 if value is None else value

        def rate(form):
            return {"first_units": units(form.first_units), "first_fee": form.first_fee.data,
                    "extra_units": units(form.extra_units), "extra_fee": form.extra_fee.data}

        free = []
        for entry in self.free_rules:
            if entry.form.is_blank():
                continue
            raw = (entry.form.threshold.data or "").strip()
            try:
                threshold = to_minor(raw, currency) if entry.form.kind.data == "amount" else int(raw)
            except (ValueError, KeyError):
                threshold = -1
            free.append({"regions": entry.form.regions.data or [], "kind": entry.form.kind.data,
                         "threshold": threshold})
        return {"name": self.name.data, "basis": self.basis.data, **rate(self),
                "undeliverable": self.undeliverable.data or [],
                "rules": [{"regions": e.form.regions.data or [], **rate(e.form)}
                          for e in self.rules if not e.form.is_blank()],
                "free_rules": free}


class SimulatorForm(RegionFields, FlaskForm):
    """Quote one template for a region and a cart (GET: no CSRF)."""

    class Meta:
        csrf = False

    picker_endpoint = "freight.region_picker"
    province = region_select(_l("Province"))
    city = region_select(_l("City"))
    district = region_select(_l("District"))
    quantity = IntegerField(_l("Pieces"), default=1, validators=[Optional(), NumberRange(min=1, max=9999)])
    amount = MoneyField(_l("Goods amount"))
    measure = DecimalField(_l("Weight (kg) or volume (m³) per piece"), places=None,
                           validators=[Optional(), NumberRange(min=0, max=100000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_regions()
