from monitor.report import charts
from monitor.report.data import BrandFigures


def test_without_a_cjk_font_chinese_names_become_codes_explained_beside_the_chart():
    labels = charts.labeller_for(["星河手机", "OPPO", "极光手机"], font=None)
    assert [labels.name(n) for n in ("星河手机", "OPPO", "极光手机")] == ["B1", "OPPO", "B3"]
    assert labels.legend() == {"B1": "星河手机", "B3": "极光手机"}
    assert labels.words["share"] == "share of voice"
    png = charts.bar_chart("share", "星河手机", [("星河手机", 3), ("OPPO", 1)], labels, "#337ab7")
    assert png.startswith(b"\x89PNG")


def test_with_a_cjk_font_names_stay_chinese():
    labels = charts.labeller_for(["星河手机"], font="WenQuanYi Micro Hei")
    assert labels.name("星河手机") == "星河手机" and labels.legend() == {}


def test_the_installed_cjk_font_is_found():
    """scripts/test.sh installs fonts-wqy-microhei, so CI draws Chinese labels."""
    assert charts.cjk_font() is not None


def test_a_brand_with_no_mentions_still_gets_a_volume_chart():
    brand = BrandFigures("星河手机")
    labels = charts.labeller_for(["星河手机"], charts.cjk_font())
    assert charts.volume_chart(brand, hourly=False, zone=None, labels=labels).startswith(b"\x89PNG")
