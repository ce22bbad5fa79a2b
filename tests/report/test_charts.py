import io
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from PIL import Image, ImageChops

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


def _pixels(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_a_kept_figure_redrawn_for_another_brand_gives_the_picture_a_fresh_figure_gives():
    day = datetime(2026, 9, 1, 16, tzinfo=timezone.utc)
    big, small = BrandFigures("星河手机"), BrandFigures("OPPO")
    big.series = [(day + timedelta(days=i), {"negative": 900 * i, "neutral": 30_000, "positive": 5_000}) for i in range(7)]
    small.series = [(day + timedelta(days=i), {"negative": i, "neutral": 3, "positive": 7 - i}) for i in range(7)]
    big.share_of_voice, small.share_of_voice = [("星河手机", 40_000), ("OPPO", 80)], [("OPPO", 80), ("星河手机", 40_000)]
    labels = charts.labeller_for(["星河手机", "OPPO"], charts.cjk_font())
    kept, zone = charts.Charts(labels), ZoneInfo("Asia/Shanghai")
    for first, then in ((big, small), (small, big)):
        kept.volume(first, False, zone)
        kept.bars("share", first.name, first.share_of_voice, "#337ab7")
        pairs = [(kept.volume(then, False, zone), charts.volume_chart(then, False, zone, labels)),
                 (kept.bars("share", then.name, then.share_of_voice, "#337ab7"),
                  charts.bar_chart("share", then.name, then.share_of_voice, labels, "#337ab7"))]
        for redrawn, fresh in pairs:
            assert ImageChops.difference(_pixels(redrawn), _pixels(fresh)).getbbox() is None
