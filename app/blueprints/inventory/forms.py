from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class WarehouseForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    kind = SelectField(_l("Kind"), choices=[("own", _l("Own warehouse")), ("third_party", _l("Third-party warehouse")),
                                           ("pickup", _l("Shop for pickup"))])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    priority = IntegerField(_l("Priority"), default=100, validators=[Optional(), NumberRange(min=0, max=9999)],
                            description=_l("Lower numbers ship first."))
    active = BooleanField(_l("Active"), default=True)


class DocumentForm(FlaskForm):
    """A new inbound, outbound, transfer or stocktake; choices are set by the view."""

    kind = SelectField(_l("Kind"), choices=[])
    warehouse_id = SelectField(_l("Warehouse"), coerce=int, choices=[])
    to_warehouse_id = SelectField(_l("To warehouse"), coerce=int, choices=[], validate_choice=False)
    category_id = SelectField(_l("Category (for a cycle count)"), coerce=int, choices=[], validate_choice=False)
    reference = StringField(_l("Reference"), validators=[Length(max=80)],
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
