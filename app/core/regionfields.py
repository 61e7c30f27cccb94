"""The province -> city -> district selects shared by the shop's address forms and the freight
simulator (app.core.regions; the picker re-renders itself through htmx on each change)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import ValidationError

from app.core import regions


class RegionFields:
    """Province -> city -> district selects: each offers the children of the one above it, so
    the form posted (or re-rendered by htmx or the no-JS "update" button) shows the next level.
    `region_code()` is the deepest code chosen; validation asks for every level that exists.
    A form using it declares `province`, `city` and `district` with `region_select`."""

    picker_endpoint = "storefront.region_picker"   # the view that re-renders the picker

    def setup_regions(self) -> None:
        from flask import url_for

        attrs = {"hx-get": url_for(self.picker_endpoint), "hx-trigger": "change", "hx-swap": "outerHTML settle:0ms",
                 "hx-target": "closest .region-picker", "hx-include": "closest .region-picker",
                 "autocomplete": "off"}
        for field in (self.province, self.city, self.district):
            field.render_kw = attrs
        province, city = self.province.data or "", self.city.data or ""
        if regions.get(province) is None or regions.get(province).level != 1:
            province = self.province.data = ""
        if not regions.within(city, province) or regions.get(city).level != 2:
            city = self.city.data = ""
        if not regions.within(self.district.data, city) or regions.get(self.district.data).level != 3:
            self.district.data = ""
        self.province.choices = [("", _l("Choose…"))] + [(r.code, r.name()) for r in regions.provinces()]
        self.city.choices = [("", _l("Choose…"))] + [(r.code, r.name()) for r in regions.children(province)] \
            if province else [("", "—")]
        self.district.choices = [("", _l("Choose…"))] + [(r.code, r.name()) for r in regions.children(city)] \
            if city else [("", "—")]

    def region_code(self) -> str:
        return self.district.data or self.city.data or self.province.data or ""

    def validate_province(self, field):
        if not field.data:
            raise ValidationError(_l("Choose the province."))

    def validate_city(self, field):
        if self.province.data and not field.data and regions.children(self.province.data):
            raise ValidationError(_l("Choose the city."))

    def validate_district(self, field):
        if self.city.data and not field.data and regions.children(self.city.data):
            raise ValidationError(_l("Choose the district."))


def region_select(label):
    return SelectField(label, choices=[], validate_choice=False, default="")
