from flask_babel import lazy_gettext as _l, lazy_pgettext as _lp
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.form import _Auto
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation


class WarehouseForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    kind = SelectField(_l("Kind"), choices=[("own", _l("Own warehouse")), ("third_party", _l("Third-party warehouse")),
                                           ("pickup", _l("Shop for pickup"))])
    address = StringField(_lp("warehouse", "Address"), validators=[Length(max=300)])
    region_code = StringField(_l("Region code"), validators=[Optional(), Length(min=6, max=6)],
                              description=_l("Six-digit administrative division code (GB/T 2260) of the "
                                             "warehouse's district, like 310115: orders go to the nearest warehouse."))
    priority = IntegerField(_l("Priority"), default=100, validators=[Optional(), NumberRange(min=0, max=9999)],
                            description=_l("Lower numbers ship first."))
    active = BooleanField(_l("Active"), default=True)


class DocumentForm(FlaskForm):
    """A new inbound, outbound, transfer or stocktake; choices are set by the view."""

    kind = SelectField(_l("Kind"), choices=[])
    warehouse_id = SelectField(_l("Warehouse"), coerce=int, choices=[])
    to_warehouse_id = SelectField(_l("To warehouse"), coerce=int, choices=[], validate_choice=False)
    category_id = SelectField(_l("Category (for a cycle count)"), coerce=int, choices=[], validate_choice=False)
    reference = StringField(_lp("source document", "Reference"), validators=[Length(max=80)],
                            render_kw={"placeholder": _l("supplier delivery note, order or reservation reference")})
    blind = BooleanField(_l("Blind count: counters do not see the book quantity"))
    note = StringField(_l("Note"), validators=[Length(max=300)])

    def for_type(self, doc_type: str, kinds, warehouses, categories) -> "DocumentForm":
        self.kind.choices = kinds
        self.warehouse_id.choices = [(w.id, f"{w.code} {w.name}") for w in warehouses]
        self.to_warehouse_id.choices = [(w.id, f"{w.code} {w.name}") for w in warehouses]
        self.category_id.choices = [(0, "—"), *categories]
        if doc_type == "transfer":
            self.warehouse_id.label.text = _l("From warehouse")
            if len(warehouses) > 1 and not self.is_submitted():
                self.to_warehouse_id.data = warehouses[1].id
        if doc_type == "stocktake":
            self.reference.label.text = _l("Zone (for a zone count)")
            self.reference.render_kw = {"placeholder": "A", "size": 6}
        exclude = {"transfer": ("category_id", "blind"), "stocktake": ("to_warehouse_id",)}.get(
            doc_type, ("to_warehouse_id", "category_id", "blind"))
        for name in exclude:
            del self[name]
        return self


# --- the forms on a document's page (a refused one re-renders the page with its field errors) --

class LineForm(FlaskForm):
    """A line of a draft document: a SKU (code or barcode) and how many."""

    sku_code = StringField(_l("SKU code or barcode"), validators=[DataRequired(), Length(max=64)])
    quantity = IntegerField(_l("Quantity"), validators=[InputRequired(), NumberRange(min=1, max=10_000_000)],
                            render_kw={"size": 6, "inputmode": "numeric"})
    location = StringField(_l("Bin"), validators=[Length(max=40)], render_kw={"size": 8})


class ReceiveForm(FlaskForm):
    """Goods received against one line of an inbound order, and the bin they went into."""

    line_id = HiddenField(validators=[InputRequired()])
    quantity = IntegerField(_l("Quantity received"), validators=[InputRequired(), NumberRange(min=1, max=10_000_000)])
    location = StringField(_l("Bin"), validators=[Length(max=40)])

    @classmethod
    def for_line(cls, line, posted: "ReceiveForm | None" = None) -> "ReceiveForm":
        """The line's own form (the posted one when it was refused), its ids unique on the page."""
        form = posted if posted is not None else cls(formdata=None, line_id=line.id, quantity=line.quantity - line.done)
        for name in ("quantity", "location"):
            form[name].id = form[name].label.field_id = f"receive-{line.id}-{name}"
        return form


def counts_form(lines, formdata=_Auto) -> FlaskForm:
    """The count grid of a stocktake: one whole-number field `count_<line id>` per line, blank
    for a line not counted yet."""

    class CountsForm(FlaskForm):
        def counts(self) -> dict[int, int]:
            return {int(f.name[6:]): f.data for f in self if f.name.startswith("count_") and f.data is not None}

    for line in lines:
        setattr(CountsForm, f"count_{line.id}", IntegerField(
            _l("Counted"), validators=[Optional(), NumberRange(min=0, max=10_000_000)],
            render_kw={"size": 5, "inputmode": "numeric"}))
    data = {f"count_{line.id}": line.done if line.counted else None for line in lines}
    return CountsForm(formdata=formdata, data=data) if formdata is not _Auto else CountsForm(data=data)


class ScanForm(FlaskForm):
    scans = TextAreaField(_l("Scanner input or code,quantity rows"), validators=[Length(max=2_000_000)],
                          render_kw={"rows": 4, "placeholder": "6901234567890\n6901234567890\nTS-RED-M,12"})
    file = FileField(_l("…or a CSV file of code,quantity"), render_kw={"accept": ".csv,.txt"})
    replace = BooleanField(_l("Replace earlier counts of these SKUs"))

    def rows(self) -> list[str]:
        text = self.scans.data or ""
        upload = self.file.data
        if upload and getattr(upload, "filename", ""):
            text += "\n" + upload.read(2 * 1024 * 1024).decode("utf-8-sig", "replace")
        return text.splitlines()

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not (self.scans.data or "").strip() and not getattr(self.file.data, "filename", ""):
            self.scans.errors.append(_l("Scan or paste the codes, or choose a file."))
            return False
        return True


# --- the stock card and the warehouse page (a refused form re-renders its page with field errors) --

def _typed(form, field) -> None:
    """First in a chain: input that is not a number was said already ("Not a valid integer
    value."); stop there instead of adding a range message about the missing number."""
    if field.process_errors:
        raise StopValidation()


def _warehouse_choices(form, warehouses) -> None:
    form.warehouse_id.choices = [(w.id, f"{w.code} {w.name}") for w in warehouses if w.active]


class AdjustForm(FlaskForm):
    """Set on-hand to what was counted, or change it by a signed quantity, with the reason."""

    warehouse_id = SelectField(_l("Warehouse"), coerce=int, choices=[])
    counted = IntegerField(_l("Counted"), validators=[Optional(), _typed, NumberRange(min=0, max=10_000_000)],
                           render_kw={"size": 6, "inputmode": "numeric"})
    delta = IntegerField(_l("Change (+/-)"), validators=[Optional(), _typed, NumberRange(min=-10_000_000, max=10_000_000)],
                         render_kw={"size": 6})
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("Say why stock is adjusted.")),
                                                   Length(max=200)])

    def for_warehouses(self, warehouses) -> "AdjustForm":
        _warehouse_choices(self, warehouses)
        return self

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and (self.counted.data is None) == (self.delta.data is None):
            self.counted.errors.append(_l("Give either the counted quantity or a change."))
            return False
        return ok


class ThresholdForm(FlaskForm):
    """The safety stock and reorder point of one SKU in one warehouse."""

    warehouse_id = SelectField(_l("Warehouse"), coerce=int, choices=[])
    safety_stock = IntegerField(_l("Safety stock"), default=0, validators=[Optional(), _typed, NumberRange(min=0, max=10_000_000)],
                                render_kw={"size": 5, "inputmode": "numeric"})
    reorder_point = IntegerField(_l("Reorder point"), default=0, validators=[Optional(), _typed, NumberRange(min=0, max=10_000_000)],
                                 render_kw={"size": 5, "inputmode": "numeric"})

    def for_warehouses(self, warehouses) -> "ThresholdForm":
        _warehouse_choices(self, warehouses)
        for name in ("warehouse_id", "safety_stock", "reorder_point"):   # unique ids beside the adjust form
            self[name].id = self[name].label.field_id = f"threshold-{name}"
        return self


class LocationForm(FlaskForm):
    """A bin location of a warehouse: zone, then optionally aisle, shelf and bin."""

    zone = StringField(_l("Zone"), validators=[DataRequired(message=_l("Give at least the zone.")), Length(max=10)],
                       render_kw={"size": 4})
    aisle = StringField(_l("Aisle"), validators=[Length(max=10)], render_kw={"size": 4})
    shelf = StringField(_l("Shelf"), validators=[Length(max=10)], render_kw={"size": 4})
    bin = StringField(_l("Bin"), validators=[Length(max=10)], render_kw={"size": 4})
