import json
import subprocess
import sys

import pytest

from monitor.config import ConfigError, load_settings
from monitor.config.model import BrandConfig
from monitor.nlp.brands import BrandMatcher

XIAOMI = BrandConfig(name="小米", aliases=("Xiaomi", "雷军"), exclude=("小米粥", "小米椒"))
HUAWEI = BrandConfig(name="华为", aliases=("Huawei",))


def test_an_alias_matches_its_brand_case_insensitively():
    assert BrandMatcher([XIAOMI, HUAWEI]).match("XIAOMI 14 的影像不错，HuaWei 也行") == ["小米", "华为"]


def test_porridge_is_not_the_phone_maker():
    assert BrandMatcher([XIAOMI]).match("早上喝了一碗小米粥，加了点小米椒") == []


def test_without_the_exclusion_the_porridge_would_match():
    assert BrandMatcher([XIAOMI.model_copy(update={"exclude": ()})]).match("早上喝了一碗小米粥") == ["小米"]


def test_an_exclusion_only_suppresses_the_text_it_covers():
    assert BrandMatcher([XIAOMI]).match("喝着小米粥刷小米手机") == ["小米"]


def test_unrelated_text_matches_nothing():
    assert BrandMatcher([XIAOMI, HUAWEI]).match("今天天气很好") == []


def test_traditional_and_full_width_text_matches():
    assert BrandMatcher([XIAOMI, HUAWEI]).match("華為和ＸＩＡＯＭＩ哪個好") == ["小米", "华为"]


def test_a_latin_alias_does_not_match_inside_another_word():
    apple = BrandConfig(name="苹果", aliases=("iPhone", "Mac"))
    assert BrandMatcher([apple]).match("macro photography with a smartphone") == []
    assert BrandMatcher([apple]).match("iPhone15 和 Mac mini") == ["苹果"]


def test_a_query_narrows_the_brand_to_the_right_context():
    phone = BrandConfig(name="小米", aliases=("Xiaomi",), exclude=("小米粥",),
                        query="(手机 OR 汽车 OR SU7 OR xiaomi) NOT (种植 OR 煮)")
    matcher = BrandMatcher([phone])
    assert matcher.match("小米手机发布会") == ["小米"]
    assert matcher.match("小米SU7 上市") == ["小米"]
    assert matcher.match("家里种植的小米丰收了") == []
    assert matcher.match("用小米煮粥") == []


def test_query_terms_inside_an_exclusion_do_not_count():
    phone = BrandConfig(name="小米", aliases=("雷军",), exclude=("小米粥",), query="小米 OR xiaomi")
    assert BrandMatcher([phone]).match("雷军说他早餐喝小米粥") == []
    assert BrandMatcher([phone]).match("雷军说小米要造车") == ["小米"]


def test_a_query_never_matches_without_a_brand_name():
    assert BrandMatcher([BrandConfig(name="星河", query="手机")]).match("新手机到了") == []


def _config(tmp_path, query: str):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "playbooks.yaml").write_text("default:\n  steps:\n    - notify: [console]\n",
                                                       encoding="utf-8")
    path = tmp_path / "config.yaml"
    path.write_text(
        "channels:\n  console: 'console://'\n"
        "brands:\n"
        "  - name: 小米\n"
        "  - name: 星河\n"
        "    aliases: [星河X5]\n"
        f"    query: '{query}'\n", encoding="utf-8")
    return path


def test_a_bad_query_is_a_located_config_problem(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(_config(tmp_path, "(手机 OR 充电 AND 爆炸"))
    assert str(err.value) == f"{tmp_path / 'config.yaml'}:7: brands[1].query: '(' is never closed at column 1"


def test_brandmon_check_reports_the_column_of_a_query_error(tmp_path):
    path = _config(tmp_path, "手机 爆炸")
    proc = subprocess.run([sys.executable, "-m", "monitor", "check", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert f"{path}:7: brands[1].query: expected AND, OR, NOT or NEAR/n before '爆炸'" in proc.stderr
    assert "at column 4" in proc.stderr


def test_a_good_query_passes_the_check(tmp_path):
    settings = load_settings(_config(tmp_path, "(手机 OR 充电) NEAR/10 爆炸 NOT 星河湾"))
    assert settings.config.brands[1].query == "(手机 OR 充电) NEAR/10 爆炸 NOT 星河湾"


# --- the cases of issue 10, as a table: (text, brands the example config must find) --------------------

from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "tests" / "fixtures" / "real" / "brands"


@pytest.fixture(scope="module")
def example_matcher():
    from monitor.nlp.pipeline import NlpStage

    config = load_settings(ROOT / "config.example.yaml").config
    return NlpStage.brand_matcher(config.brands, config.nlp)


@pytest.mark.parametrize("text, brands", [
    # a Han name inside other words
    ("李华为难地看着我", []), ("这个精华为什么这么贵", []), ("他的才华为他赢得了尊重", []),
    ("矛盾最终升华为冲突", []), ("我们以中华为荣", []), ("以董建华为首的政府", []),
    ("地雷军火库被炸了", []), ("昨天打雷军训取消了", []), ("蜂蜜雪梨汤润肺", []), ("王蜜雪是我高中同学", []),
    ("蜜雪儿·奥巴马出了新书", []), ("鸿蒙初开，天地未分", []),
    # the grain and the fruit
    ("早上煮了一锅小米饭", []), ("买了两斤黄小米熬粥", []), ("小米锅巴是我小时候最爱的零食", []),
    ("当年是小米加步枪打天下", []), ("小米海参粥很养胃", []), ("脸上长了小米粒大小的疙瘩", []),
    ("苹果一斤要八块，太贵了", []), ("打完玻尿酸苹果肌更饱满了", []), ("我家猫叫小米", []),
    ("吃着苹果刷着华为手机", ["华为"]),
    # written apart
    ("小😡米手机又死机了", ["小米"]), ("华\u200b为的售后太慢了", ["华为"]), ("小 米 手 机 充电爆炸了", ["小米"]),
    ("华.为新机发热严重", ["华为"]), ("小[doge]米的客服是不是下班了", ["小米"]), ("X i a o m i 的系统广告太多", ["小米"]),
    # handles
    ("@小米公司 我的手机充不进电了", ["小米"]), ("求助@华为手机爆炸了烧伤了孩子怎么办", ["华为"]),
    # run-together Latin names
    ("iPadPro 的屏幕真香", ["苹果"]), ("MacBookAir 的键盘坏了", ["苹果"]), ("AppleWatch 的表带过敏", ["苹果"]),
    ("huaweimate70 什么时候降价", ["华为"]), ("macro photography", []),
    # what the old example query dropped
    ("小米之家的店员态度很好", ["小米"]), ("小米股价今天跌了5%", ["小米"]), ("小米比华为好", ["小米", "华为"]),
    ("对华为很失望", ["华为"]), ("苹果6P装进口袋", ["苹果"]), ("雪王真好喝", ["蜜雪冰城"]),
])
def test_the_example_config_reads_each_case_of_the_issue_right(example_matcher, text, brands):
    assert example_matcher.match(text) == brands


def test_an_ambiguous_name_with_nothing_around_it_follows_the_brands_default():
    fruit_first = BrandConfig(name="苹果", aliases=("iPhone",), ambiguous=("苹果",))
    brand_first = fruit_first.model_copy(update={"ambiguous_default": "brand"})
    assert BrandMatcher([fruit_first]).match("苹果很好，买了好多次了") == []
    assert BrandMatcher([brand_first]).match("苹果很好，买了好多次了") == ["苹果"]
    assert BrandMatcher([fruit_first]).match("苹果很好，系统很流畅") == ["苹果"]  # a cue outweighs the default
    assert BrandMatcher([brand_first]).match("苹果很好，又甜又脆") == []


@pytest.mark.parametrize("text, brands", [
    ("@小米公司 我的手机充不进电了", ["小米"]),            # the brand's own account, by alias
    ("@华为终端官方微博 我也是疯了", ["华为"]),             # a name then an official word
    ("求助@华为手机爆炸了烧伤了孩子怎么办", ["华为"]),       # a handle that runs on keeps its words
    ("[good]//@食尚小米: 说得到心窝子了", []),             # a food blogger's nickname
    ("感谢众姐妹 @吃番茄的苹果 @苹果小妖 来探望我", []),     # nicknames that hold or start with a name
    ("@AppleWang519 看看这个是不是更受刺激", []),          # a Latin nickname starting with one
    ("建议大家先学习太极//@雷军:创业就是要以弱胜强", []),   # the author of a repost, not a mention
    ("下周首发 //@小米手机: 小米3 仅售2499元", ["小米"]),    # …while what they wrote still counts
    ("哈哈 @Apple 的合影很迷人", []),                     # a bare ambiguous handle, nothing says brand
    ("@Apple 我的iPhone屏幕绿线了", ["苹果"]),
])
def test_handles_count_only_when_they_are_the_brands_own(example_matcher, text, brands):
    assert example_matcher.match(text) == brands


@pytest.mark.parametrize("text, brands", [
    ("小米侧头看着我，迷惘的眼神", []),                       # what only people do, right after the name
    ("昨晚11点小米妞睡着后我去逛了商场", []),                 # an address word right after it
    ("腿型不错，姑奶奶小米。照片里那位", []),                 # a kinship word right before it
    ("苹果妹今天被老师表扬了", []),
    ("小米妞的新手机是小米14", ["小米"]),                     # …while the brand's own words still count
])
def test_an_ambiguous_name_used_as_somebodys_name_is_not_the_brand(example_matcher, text, brands):
    assert example_matcher.match(text) == brands


@pytest.mark.parametrize("text, brands", [
    ("漂亮的小米漂亮的行动！//@小米在米库: 准备再订", []),      # the nickname of a handle in the same post
    ("你们收到小米了吗 @小米表姐 @北京看风景的大爷", []),
    ("小米真好 //@小米在米库: 我的小米手机又卡了", ["小米"]),   # words of the brand outweigh it
    ("小米涨了5%", ["小米"]),                                # no handle with the name: the default stands
])
def test_a_bare_name_that_is_a_handles_nickname_in_the_same_post_is_that_person(example_matcher, text, brands):
    assert example_matcher.match(text) == brands


@pytest.mark.parametrize("text, brands", [
    ("2020-1-17 古正华为敬一丹惋惜", []),                     # surname + one character + 华, then 为
    ("他叫王小华为了考试熬夜", []),
    ("中国华为发布了新手机", ["华为"]),                       # a place, not a surname
    ("江西华为专卖店开业", ["华为"]),                         # 江 is a surname, but 江西 is a word
])
def test_a_three_character_persons_name_ending_in_the_brands_first_character_is_a_person(example_matcher, text,
                                                                                        brands):
    assert example_matcher.match(text) == brands


@pytest.mark.parametrize("text, brands", [
    ("在@MAC魅可 的粉饼上滴水测试，看来MAC出众的防水效果不是假的！上妆后效果很好", []),  # the cosmetics brand
    ("MAC的口红色号好全", []),
    ("MAC 做PPT 又崩溃了，系统太烂", ["苹果"]),                                         # the computer
    ("路由器里查一下MAC地址", []),                                                       # a network address
])
def test_mac_is_the_computer_only_when_the_words_around_say_so(example_matcher, text, brands):
    assert example_matcher.match(text) == brands


@pytest.mark.parametrize("text, brands", [
    ("[许愿]红米NOTEF码，想要的赶紧拉！", ["小米"]),         # a longer alias that runs on still leaves the name
    ("有奖转发#iPadminiRetina#等您拿", ["苹果"]),            # model words one after another
    ("MacBookProMax 太贵", ["苹果"]),
    ("除了冯小刚的《手机》和李玉的《苹果》外", []),           # a film's title
])
def test_names_run_into_other_words_and_titles_are_read_right(example_matcher, text, brands):
    assert example_matcher.match(text) == brands


@pytest.mark.parametrize("text, brands", [
    ("一直觉得用苹果的人犯贱", ["苹果"]),                    # what people do with a phone, right before the name
    ("没有任何理由去指责苹果", ["苹果"]),
    ("今天联系苹果客服，真无语", ["苹果"]),                  # a company's things right after it
    ("吃苹果的人身体好", []),                                # …the fruit's words still win
    ("用苹果榨汁，加点蜂蜜", []),                            # a cue word decides before the hint is read
])
def test_with_no_cue_word_the_words_touching_an_ambiguous_name_lean_to_the_brand(example_matcher, text, brands):
    assert example_matcher.match(text) == brands


@pytest.mark.parametrize("text, brands", [
    ("价格比苹果便宜太多", ["苹果"]),          # a product measured against the name: the company
    ("用着不如苹果顺手", ["苹果"]),
    ("质量跟苹果没法比", ["苹果"]),
    ("这个梨比苹果还甜", []),                  # …unless a cue word says fruit
    ("香蕉和苹果比起来哪个好", []),
])
def test_a_product_measured_against_an_ambiguous_name_is_measured_against_the_company(example_matcher, text,
                                                                                     brands):
    assert example_matcher.match(text) == brands


@pytest.mark.parametrize("text, brands", [
    ("花牛苹果 9枚 礼盒装", []),              # a count of things after the name is no model number
    ("苹果 12盒 送同事", []),
    ("苹果16 发布会", ["苹果"]),               # …a model number is
    ("苹果收到了，送给员工当福利", []),         # any company gives its staff fruit: 给员工 says nothing
    ("好友定位 iPhone版下载：http://t.cn/x", []),  # an app's share text (an exclude of the example config)
    ("小米员工爆料新机", ["小米"]),             # …while the company's staff still say brand
])
def test_counts_after_the_name_and_staff_given_presents_do_not_say_brand(example_matcher, text, brands):
    assert example_matcher.match(text) == brands


@pytest.mark.parametrize("text, brands", [
    ("比之Google，硅谷另一巨擘苹果倒是另一番景象", ["苹果"]),  # other tech companies
    ("惠普挺身而出，苹果暴利时代或将终结", ["苹果"]),            # what companies do
    ("office 2011 for mac发布咯", ["苹果"]),                     # software on the computer
    ("苹果阿里合作新进展", ["苹果"]),                              # another tech company beside it
    ("苹果要求供应商降价", ["苹果"]),                              # what only a company or a person does
    ("苹果要求不高，能吃就行", []),                                # …unless the words around say fruit
])
def test_company_and_software_words_say_the_brand(example_matcher, text, brands):
    assert example_matcher.match(text) == brands


@pytest.mark.parametrize("text, brands", [
    ("小米的后座能放七个行李箱", ["小米"]),   # 箱 inside 行李箱 is no fruit crate
    ("小米一箱才二十块", []),                # …a crate is
])
def test_a_one_character_cue_inside_a_longer_word_says_nothing(example_matcher, text, brands):
    assert example_matcher.match(text) == brands


def test_the_default_can_differ_per_ambiguous_name():
    brand = BrandConfig(name="小米", aliases=("米粉",), ambiguous=("小米", "米粉"), ambiguous_default={"小米": "brand"})
    matcher = BrandMatcher([brand])
    assert matcher.match("小米涨5%") == ["小米"]
    assert matcher.match("米粉涨5%") == []
    assert matcher.match("今天的小米粒粒饱满，熬粥香") == []  # the grain's words still decide


def test_a_default_for_a_name_that_is_not_ambiguous_is_refused():
    with pytest.raises(ValueError, match="not in ambiguous"):
        BrandConfig(name="小米", aliases=("米粉",), ambiguous=("小米",), ambiguous_default={"米粉": "brand"})


def test_an_ambiguous_name_must_be_one_of_the_brands_names():
    with pytest.raises(ValueError, match="neither the name nor an alias"):
        BrandConfig(name="小米", aliases=("Xiaomi",), ambiguous=("苹果",))


def test_a_brands_own_cue_words_decide_an_ambiguous_name():
    plain = BrandConfig(name="星河", ambiguous=("星河",), ambiguous_default="brand")
    tuned = plain.model_copy(update={"other_cues": ("夜空",)})
    assert BrandMatcher([plain]).match("夜空里的星河真美") == ["星河"]
    assert BrandMatcher([tuned]).match("夜空里的星河真美") == []
    assert BrandMatcher([tuned]).match("星河的新手机夜空模式好用") == ["星河"]


@pytest.mark.parametrize("name, floor_precision, floor_recall", [
    ("tune.csv", 0.98, 0.98),               # public reviews and news plus written hard cases: tuned on
    ("heldout.csv", 0.96, 0.99),            # public reviews sampled after the first tuning ended (since seen)
    ("tune_weibo.csv", 0.95, 0.96),         # Weibo posts 2012-2020, tuned on
    ("heldout_weibo.csv", 0.97, 0.95),      # the same draw's other half, labelled before tuning (its misses seen)
    ("heldout_reviews.csv", 0.98, 0.99),    # reviews labelled before the matcher ran on them (misses read, round 3)
    ("heldout_hotsearch.csv", 0.99, 0.995),  # Weibo hot-search titles with 小米, 2024-2026
    ("heldout_nlpcc.csv", 0.99, 0.96),      # Weibo sentences 2011-2013, another source, labelled before the matcher ran
    ("heldout_hotsearch2.csv", 0.99, 0.96),  # hot-search titles on every topic 2025-2026, labelled after the work
    ("heldout_toutiao.csv", 0.98, 0.95),    # Toutiao news titles 2018, another source, measured once (round 3)
])
def test_the_example_config_holds_its_figures_on_the_labelled_sets(example_matcher, name, floor_precision,
                                                                   floor_recall):
    from monitor.nlp.brand_eval import evaluate_brands, read_labelled

    result = evaluate_brands(example_matcher.match, read_labelled(LABELLED / name))
    assert result.precision >= floor_precision and result.recall >= floor_recall, result.to_json()


def test_eval_brands_prints_figures_and_misses_and_json_last(tmp_path):
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("text,brands\n华为手机真好用,华为\n精华为什么贵,\n苹果手机又涨价了,\n小米手机,小米\n",
                        encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "monitor", "nlp", "eval-brands", str(labelled), "-c",
                           str(ROOT / "config.example.yaml"), "--json"], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    assert figures == {"n": 4, "precision": 0.6667, "recall": 1.0, "f1": 0.8, "true_positives": 2,
                       "false_positives": 1, "false_negatives": 0}
    assert "+苹果" in proc.stderr and "苹果手机又涨价了" in proc.stderr


def test_eval_brands_refuses_labels_of_brands_the_config_does_not_watch(tmp_path):
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("text,brands\n三星手机,三星\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "monitor", "nlp", "eval-brands", str(labelled), "-c",
                           str(ROOT / "config.example.yaml")], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 2
    assert "labels name brands the config does not watch: 三星" in proc.stderr
