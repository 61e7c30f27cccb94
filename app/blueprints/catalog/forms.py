from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core.formfields import LocalDateTimeField, MoneyField, typed


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    parent_id = SelectField(_l("Parent category"), coerce=int, choices=[])
    template_id = SelectField(_l("Attribute template"), coerce=int, choices=[],
                              description=_l("Left empty, a sub-category uses its parent category's template."))
    enabled = BooleanField(_l("Enabled"), default=True)


class BrandForm(FlaskForm):
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=80)])
    name_en = StringField(_l("Name (English)"), validators=[Length(max=80)])
    first_letter = StringField(_l("Index letter"), validators=[Length(max=1)],
                               description=_l("A–Z for the brand index; left empty it is worked out from the name."))
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    logo = FileField(_l("Logo"), description=_l("PNG, JPEG, GIF or WebP, at most 5 MB."))
    enabled = BooleanField(_l("Enabled"), default=True)


class TemplateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    description = StringField(_l("Description"), validators=[Length(max=300)])


class AttributeForm(FlaskForm):
    name = StringField(_l("Attribute"), validators=[DataRequired(), Length(max=60)])
    kind = SelectField(_l("Kind"), choices=[("key", _l("Key attribute (identifies the product)")),
                                           ("descriptive", _l("Descriptive attribute")),
                                           ("sales", _l("Sales attribute (spans SKUs, e.g. colour, size)"))])
    input_type = SelectField(_l("Input"), choices=[("choice", _l("Choice from a list")), ("text", _l("Free text")),
                                                   ("number", _l("Number with unit"))])
    unit = StringField(_l("Unit"), validators=[Length(max=20)])
    options = TextAreaField(_l("Choices"), description=_l("One per line (or separated by commas)."))
    required = BooleanField(_l("Required"))
    searchable = BooleanField(_l("Searchable"))
    filterable = BooleanField(_l("Filterable"))


class TagsField(StringField):
    """Tags typed as one text ("夏季, 新品"); a product's list of tags is shown the same way, so
    saving the page unchanged keeps them (the service splits the text again)."""

    def _value(self):
        if isinstance(self.data, (list, tuple)):
            return ", ".join(self.data)
        return super()._value()


class ProductForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    subtitle = StringField(_l("Subtitle"), validators=[Length(max=300)])
    category_id = SelectField(_l("Category"), coerce=int, choices=[])
    brand_id = SelectField(_l("Brand"), coerce=int, choices=[])
    tags = TagsField(_l("Tags"), description=_l("Separated by commas or spaces."))
    weight_grams = IntegerField(_l("Weight (g)"), validators=[Optional(), NumberRange(min=0)])
    volume_cm3 = IntegerField(_l("Volume (cm³)"), validators=[Optional(), NumberRange(min=0)])
    freight_template_id = SelectField(_l("Freight template"), coerce=int, choices=[], default=0, validate_choice=False,
                                      description=_l("Left on the default, the store's default template applies."))
    description_html = TextAreaField(_l("Description"), description=_l("HTML is allowed; scripts and styles are removed."))


class _RequiredMark:
    """Marks a field required (the asterisk) where the service checks it: a product's required
    attributes are enforced on save and again before it goes on sale."""
    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


def product_form_class(template):
    """ProductForm with one field `attr_<id>` per key or descriptive attribute of the category's
    template, so a refused value shows under its own field with what was typed."""
    if template is None:
        return ProductForm
    fields = {}
    for a in template.attributes:
        if a.kind == "sales":
            continue
        label = f"{a.name} ({a.unit})" if a.unit else a.name
        validators = [_RequiredMark()] if a.required else []
        if a.input_type == "choice":
            fields[f"attr_{a.id}"] = SelectField(label, choices=[("", "—"), *[(o, o) for o in a.options]],
                                                 validate_choice=False, validators=validators,
                                                 render_kw={"data-attribute": a.id})
        else:
            render_kw = {"data-attribute": a.id, **({"type": "number", "step": "any"} if a.input_type == "number" else {})}
            fields[f"attr_{a.id}"] = StringField(label, validators=[*validators, Length(max=200)], render_kw=render_kw)
    return type("ProductWithAttributesForm", (ProductForm,), fields)


def attribute_fields(form) -> list:
    """The attribute fields of a product form, in the template's order."""
    return [f for f in form if f.name.startswith("attr_")]


class ImageForm(FlaskForm):
    image = FileField(_l("Image"), render_kw={"accept": "image/png,image/jpeg,image/gif,image/webp"})
    alt = StringField(_l("Description of the image"), validators=[Length(max=200)],
                      description=_l("What the image shows, for shoppers who cannot see it."))


class SkuCustomsForm(FlaskForm):
    """A SKU's customs data for cross-border sales (amounts in yuan, rates in percent)."""

    sku_id = SelectField(_l("SKU"), coerce=int, choices=[], validate_choice=False)
    hs_code = StringField(_l("HS code"), validators=[Length(max=14)], description=_l("8 or 10 digits, e.g. 3304990000."))
    origin_country = SelectField(_l("Country of origin"), choices=[], validators=[Optional()])
    declared_value = StringField(_l("Declared unit value"), validators=[Length(max=20)])
    consumption_tax_rate = DecimalField(_l("Consumption tax rate (%)"), places=2, default=0,
                                        validators=[Optional(), NumberRange(min=0, max=56)])
    duty_rate = DecimalField(_l("General duty rate (%)"), places=2, default=0,
                             validators=[Optional(), NumberRange(min=0, max=270)],
                             description=_l("Used only when an order is over the cross-border limits and taxed in full."))


class AllPricesForm(FlaskForm):
    """The same prices on every SKU of a product; a field left blank keeps each SKU's own."""

    list_price = MoneyField(_l("List price"), validators=[Optional()], render_kw={"size": 8, "inputmode": "decimal"})
    sale_price = MoneyField(_l("Sale price"), validators=[Optional()], render_kw={"size": 8, "inputmode": "decimal"})
    cost_price = MoneyField(_l("Cost price"), validators=[Optional()], render_kw={"size": 8, "inputmode": "decimal"})


class ScheduleForm(FlaskForm):
    """When the product goes on sale and off the shelf by itself (store time zone)."""

    publish_at = LocalDateTimeField(_l("On sale at"), validators=[Optional(), typed])
    unpublish_at = LocalDateTimeField(_l("Off sale at"), validators=[Optional(), typed])


class TierPriceForm(FlaskForm):
    """A member-level price or a ladder price (from N pieces) for one SKU."""

    sku_id = SelectField(_l("SKU"), coerce=int, choices=[], validate_choice=False, id="tier-sku_id")
    member_group = SelectField(_l("Member level"), choices=[], validate_choice=False, id="tier-member_group")
    min_quantity = IntegerField(_l("from quantity"), validators=[Optional(), typed], id="tier-min_quantity",
                                render_kw={"size": 8, "inputmode": "numeric"})
    price = MoneyField(_l("price"), validators=[InputRequired(message=_l("Write an amount like 12.00.")), typed],
                       id="tier-price", render_kw={"size": 8, "inputmode": "decimal"})

    def __init__(self, *args, skus=(), levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.sku_id.choices = [(s.id, f"{s.code} {s.label or ''}".strip()) for s in skus]
        self.member_group.choices = [("", "—"), *levels]


GRID_COLUMNS = ("code", "barcode", "list_price", "sale_price", "cost_price", "weight_grams", "image", "enabled")


def sku_grid_form(skus, image_choices, formdata=None) -> FlaskForm:
    """The SKU grid: one row of inputs per SKU, named `sku_<id>_<column>`; a bad cell is said
    under that cell and every cell keeps what was typed."""

    class SkuGridForm(FlaskForm):
        def rows(self) -> list[dict]:
            out = []
            for sku in skus:
                cell = lambda column: self[f"sku_{sku.id}_{column}"].data  # noqa: E731
                out.append({"id": sku.id, "code": cell("code") or "", "barcode": cell("barcode") or "",
                            "list_price": cell("list_price"), "sale_price": cell("sale_price"),
                            "cost_price": cell("cost_price"), "weight_grams": cell("weight_grams"),
                            "enabled": bool(cell("enabled")), "image": cell("image") or None})
            return out

    choices = [("", "—"), *image_choices]
    for sku in skus:
        p = f"sku_{sku.id}_"
        for name, field in {
            "code": StringField(_l("SKU code"), validators=[DataRequired(), Length(max=64)], default=sku.code,
                                render_kw={"size": 14}),
            "barcode": StringField(_l("Barcode"), validators=[Length(max=64)], default=sku.barcode or "",
                                   render_kw={"size": 14}),
            **{price: MoneyField(label, validators=[InputRequired(message=_l("Write an amount like 12.00.")), typed],
                                 default=getattr(sku, price), render_kw={"size": 8, "inputmode": "decimal"})
               for price, label in (("list_price", _l("List price")), ("sale_price", _l("Sale price")),
                                    ("cost_price", _l("Cost price")))},
            "weight_grams": IntegerField(_l("Weight (g)"), validators=[Optional(), typed, NumberRange(min=0, max=10_000_000)],
                                         default=sku.weight_grams, render_kw={"size": 6, "inputmode": "numeric"}),
            "image": SelectField(_l("Image"), choices=choices, validate_choice=False, default=sku.image or ""),
            "enabled": BooleanField(_l("Enabled"), default=sku.enabled),
        }.items():
            setattr(SkuGridForm, p + name, field)
    return SkuGridForm(formdata=formdata)
