"""China's administrative divisions: loaded offline from the packaged dataset, six-digit codes."""
from app.core import regions


def test_every_province_is_there_with_six_digit_codes():
    codes = [p.code for p in regions.provinces()]
    assert len(codes) == 34
    assert codes == sorted(codes)
    assert {"110000", "440000", "650000", "810000", "820000", "710000"} <= set(codes)
    assert all(len(c) == 6 and c.isdigit() for c in regions._tree())
    assert len(regions._tree()) > 3000


def test_province_city_district_cascade_and_path():
    assert [r.code for r in regions.path("440305")] == ["440000", "440300", "440305"]
    assert regions.name("440305") == "南山区"
    assert "440305" in [r.code for r in regions.children("440300")]
    assert "440300" in [r.code for r in regions.children("440000")]
    assert regions.children("") == regions.provinces()
    assert regions.province_of("440305") == "440000"
    assert regions.province_of("440000") == "440000"
    assert regions.city_of("440305") == "440300"
    assert regions.within("440305", "440000") and not regions.within("440305", "450000")


def test_municipalities_get_one_city_level_named_like_the_province():
    assert [r.code for r in regions.path("110105")] == ["110000", "110100", "110105"]
    assert regions.name("110100") == "北京市"
    assert regions.label("110105") == "北京市 朝阳区"
    # Chongqing's counties (5002xx) sit beside its districts under the one city
    assert regions.province_of("500235") == "500000"
    assert regions.path("500235")[1].code == "500100"


def test_leaves_are_what_an_address_keeps():
    assert regions.is_leaf("440305")              # a district
    assert regions.is_leaf("441900")              # 东莞市: a city without districts
    assert regions.is_leaf("469001")              # 五指山市: county-level under the province
    assert regions.is_leaf("810000")              # Hong Kong
    assert not regions.is_leaf("440300") and not regions.is_leaf("440000")
    assert [r.code for r in regions.path("469001")] == ["460000", "469001"]


def test_unknown_codes_are_refused_not_guessed():
    for bad in ("", None, "999999", "4403", "44030x", "440300x"):
        assert not regions.valid(bad)
    assert not regions.is_leaf("999999")
    assert regions.path("999999") == [] and regions.name("999999") == ""
    assert regions.province_of("000000") is None
    assert regions.children("999999") == []


def test_data_is_current_to_the_2024_changes():
    # 和田地区 gained 和安县 and 和康县 in December 2024
    assert any(r.name_zh == "和康县" for r in regions.children("653200"))
    assert any(r.name_zh == "和安县" for r in regions.children("653200"))


def test_names_are_localised_chinese_or_english_where_the_dataset_has_it():
    assert regions.name("440000", "en") == "Guangdong"
    assert regions.name("440300", "en") == "Shenzhen"
    assert regions.name("150000", "en") == "Inner Mongolia"
    assert regions.name("110100", "en") == "Beijing"
    assert regions.label("440305", "en") == "Guangdong Shenzhen 南山区"  # districts stay Chinese
    assert regions.name("420200", "en") == "黄石市"     # the source's "Huang" is refused
    assert regions.name("422800", "en") == "恩施土家族苗族自治州"  # no unreadable pinyin
    assert regions.name("440000", "zh_Hans_CN") == "广东省"


def test_name_follows_the_request_locale(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert regions.name("440000") == "Guangdong"
        assert regions.label("110105") == "Beijing 朝阳区"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert regions.name("440000") == "广东省"
    assert regions.name("440000") == "广东省"  # outside the app: the data's own language
