"""Which configured brands a text is about.

A brand is mentioned when one of its names (name or alias) occurs as a word of its own and outside the spans
its exclusions cover (小米粥 is not 小米); when the brand has a boolean query, the query holds as well, its
terms subject to the same exclusions. Each occurrence is judged:

- Han names must be words there: the segmenter's dictionary decides whether 华为 in 精华为什么 belongs to
  精华|为什么 (Segmenter.word_margin), and a two-character name right after a surname (李华为难, 王蜜雪), or
  ending a three-character name whose last character stands alone (古正华|为), reads as a person's name
  unless the words around it say brand;
- somebody's name or nickname is not the brand: an ambiguous name next to a kinship or address word
  (姑奶奶小米, 小米妞, 苹果妹, 小米侧头), or written bare in a post where a handle holds it (小米 … //@小米在米库:);
  a name that is a whole title (《苹果》) is a work's;
- Latin names must not continue a Latin word, except at a camel-case seam or before model words
  (iPadPro, MacBookAir, huaweimate70, iPadminiRetina); when a longer alias runs on into other letters
  (红米NOTEF码), the shorter name it starts with is tried;
- names written apart to dodge filters still count (小😡米, 华.为, 小 米 手 机, X i a o m i);
- ambiguous names (config `ambiguous`: 小米 the grain, 苹果 the fruit) need the words around them to lean
  to the brand (cue words, monitor/nlp/data/brand_context.txt plus the brand's own; a one-character cue
  inside a longer word, 箱 in 行李箱, does not count), unless another of the brand's names is in the text;
  with no cue either way, a company's things right after the name (苹果客服), a user's doings right before
  it (用苹果的人) or a product measured against it (比苹果便宜, 和苹果没法比) lean to the brand, and else the
  brand's `ambiguous_default` decides;
- in @handles (Normalized.handles) only a handle that is the brand's counts: it starts with the name, and an
  ambiguous name stands alone or before an official word (@小米公司, @华为终端官方微博, not @食尚小米 or
  @苹果小妖); a handle followed by a colon (//@雷军: …, 回复@X: …) is the author of what follows, not a
  mention; cue words inside handles say nothing.

Texts are compared normalised (monitor/nlp/normalize.py); case is kept only to see camel-case seams.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from monitor.config.model import BrandConfig
from monitor.nlp.normalize import fold, normalize
from monitor.nlp.query import Node, Text, parse_query
from monitor.nlp.segment import Segmenter

_CUES_FILE = Path(__file__).parent / "data" / "brand_context.txt"
# What people put between the characters of a name to get past keyword filters: spaces, dots, symbols and
# emoji (emoticon codes like [doge] are spaces by now). Not sentence punctuation: 小米。手机 is two clauses.
_NOISE = ("[ \t.·•・*\\-_~|/\\\\'\"^+=#`@$%&\u2190-\u2bff\u3000\u30fb\ufe0f\U0001f000-\U0001faff]")
_NOISE_RUN = re.compile(f"{_NOISE}+")
_MAX_NOISE = 3  # characters of noise between two characters of a name
# Latin words that follow a product name without a space: iPadPro, huaweimate70, AppleWatch.
# Several may follow each other (iPadMiniRetina, MacBookProMax).
_MODEL_WORDS = re.compile(r"(?:pro|max|air|mini?|plus|ultra|lite|se|watch|pad|book|phone|mate|pura|nova|note|"
                          r"pods|tv|car|os|store|music|pay|id|home|band|buds|retina|s)+(?![a-z])|\d")
_SURNAMES = frozenset("李王张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯董萧程曹袁邓许傅沈曾彭吕苏卢蒋"
                      "蔡贾丁魏薛叶阎潘杜戴夏钟汪田姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙段"
                      "雷钱汤尹黎易武乔贺赖龚文古余万严左翟殷洪温牛颜伍施聂葛章鲁韦申柴祝甘霍童骆焦覃耿凌柳卫岳"
                      "俞倪鲍褚宁蓝晏邢滕樊邬尤齐裴闫喻裘谷庞兰欧")
# Single characters that stand as words of their own after a given name: 古正华|为敬一丹惋惜 (为), not 米 or 果.
_FUNCTION_CHARS = frozenset("为了在是和与对说把被给让也都就又才还却向从跟")
MIN_MARGIN = -1.25  # log-likelihood "one word" may lose by to "split into other words" (对华|为: -0.74, 才华|为: -1.9)
_CONTEXT = 20  # characters either side in which cue words count
_DEFAULT_FREQUENCY = 300  # dictionary count for a brand name the dictionary does not know (小米 396, 华为 373)
_NEAR = 8  # Han characters either side read by the segmenter
_NICKNAME = 12  # characters: a longer run after @ is read as text (Weibo nicknames are at most 15 Han, mostly far fewer)
# Right after an ambiguous name, a model number makes it the brand: 苹果6P, 小米14, 小米 su7 (not 苹果6个, 苹果 9枚).
_MODEL_AFTER = re.compile(r" ?(?:\d{1,2}(?![\d.个只颗枚斤箱袋筐盒份件串片瓶罐杯元块毛角粒万千百多公克吨年月日号岁%])|"
                          r"[a-z]{1,4}\d|"
                          r"(?:pro|max|mini|note|plus|air)(?![a-z]))")
# Right before an ambiguous name, these make it a thing or a name, not the brand: 吃苹果, 两斤小米, 猫叫小米.
_THING_BEFORE = re.compile(r"(?:[吃啃削切摘种熬煮蒸榨][着了个点口过完]?|[叫名]|(?<![第\d])[一二两三四五六七八九十几半数\d]+[个只颗斤箱袋筐碗粒盒盘])$")
# With no cue word either way, what stands right after (苹果客服, 苹果控, 苹果要求) or right before (用苹果的人,
# 指责苹果) leans to the brand: the things and doings of a company and its users, not of a fruit or a grain.
_COMPANY_AFTER = re.compile(r"(?:产品|客服|用户|用品|官网|官方|专卖|售后|粉丝|控|族|迷(?!你)|"
                            r"要求|起诉|否认|承认|声称|收购|招聘)")  # what only a company (or a person) does
_USER_BEFORE = re.compile(r"(?:[用玩换][过了着]?|联系|指责|鄙视|追捧|抵制|力挺|吐槽)$")
# A product measured against the name (比苹果便宜, 不如苹果, 和苹果没法比) is measured against the company: nobody
# holds a tablet against a fruit. Only read when no cue word says either way (比苹果甜 is the fruit's 甜).
_COMPARE_BEFORE = re.compile(r"(?:比|不如|媲美|赶超|超越|秒杀|吊打|完爆)$")
_COMPARE_AROUND = (re.compile(r"[和跟与同]$"), re.compile(r"[^，。！？!?,;；]{0,3}比"))


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


@functools.cache
def _builtin_cues() -> dict[str, tuple[str, ...]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in _CUES_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        elif current is not None:
            current.extend(line.split())
    return {k: tuple(v) for k, v in sections.items()}


@functools.cache
def _person_words() -> tuple[re.Pattern, re.Pattern]:
    """Words that end right before a name ([person_before]) and words that start right after it
    ([person_after]) when it is somebody's name."""
    cues = _builtin_cues()
    before = sorted(cues.get("person_before", ()), key=len, reverse=True)
    after = sorted(cues.get("person_after", ()), key=len, reverse=True)
    never = "(?!)"  # a section left empty matches nothing, not everything
    return (re.compile(f"(?:{'|'.join(map(re.escape, before)) or never})$"),
            re.compile("|".join(map(re.escape, after)) or never))


def _alternation(terms: Iterable[str], noisy: bool) -> re.Pattern | None:
    """Longest first; with noisy, up to _MAX_NOISE noise characters may sit between two characters."""
    folded = sorted({f for f in (fold(t) for t in terms) if f}, key=len, reverse=True)
    if not folded:
        return None
    gap = f"{_NOISE}{{0,{_MAX_NOISE}}}" if noisy else ""
    return re.compile("|".join(gap.join(re.escape(ch) for ch in t if not ch.isspace()) if noisy else re.escape(t)
                               for t in folded))


def _compact(text: str) -> str:
    return _NOISE_RUN.sub("", text)


@dataclass(frozen=True, slots=True)
class _Name:
    term: str  # folded, without spaces
    ambiguous: bool
    han: bool  # all Han: the segmenter judges its boundaries
    default: int = -1  # an ambiguous name with nothing around it: 1 the brand, -1 something else


class _Brand:
    def __init__(self, brand: BrandConfig, segmenter: Segmenter) -> None:
        self.name = brand.name
        ambiguous = {_compact(fold(a)) for a in brand.ambiguous}
        self.names = {}
        for term in brand.terms:
            key = _compact(fold(term)).replace(" ", "")
            if key:
                default = 1 if key in ambiguous and brand.default_sense(fold(term)) == "brand" else -1
                self.names[key] = _Name(key, key in ambiguous, all(_is_han(c) for c in key), default)
        self.pattern = _alternation(brand.terms, noisy=True)
        self.exclude = _alternation(brand.exclude, noisy=False)
        self.query: Node | None = parse_query(brand.query) if brand.query else None
        cues = _builtin_cues()
        brand_cues = {fold(c) for c in (*cues.get("brand", ()), *brand.brand_cues)}
        other_cues = {fold(c) for c in (*cues.get("other", ()), *brand.other_cues)}
        brand_cues -= set(self.names)
        neutral = {fold(c): 0 for c in cues.get("neutral", ())}
        self.cue_sign = {**{c: -1 for c in other_cues}, **{c: 1 for c in brand_cues}, **neutral}
        self.cues = _alternation(self.cue_sign, noisy=False)
        self.official = _alternation(cues.get("official", ()), noisy=False)
        self._segmenter = segmenter

    def _name_at(self, text: str, cased: str, a: int, b: int) -> tuple[int, _Name] | None:
        """The longest of the brand's names that starts at a, ends by b and stands alone there: 红米NOTEF码 is
        not the alias 红米Note (it runs on into F码) but is still 红米."""
        while b > a:
            m = self.pattern.match(text, a, b)
            if m is None:
                return None
            name = self.names.get(_compact(m.group()).replace(" ", ""))
            if name is not None and self._stands_alone(text, cased, a, m.end(), name):
                return m.end(), name
            b = m.end() - 1
        return None

    def mentioned_in(self, text: str, cased: str, handles: tuple[tuple[int, int], ...] = ()) -> bool:
        if self.pattern is None:
            return False
        blocked = [m.span() for m in self.exclude.finditer(text)] if self.exclude else []
        pending: list[tuple[int, int, bool, int]] = []  # needing the words around: (…, a person's name, default)
        nicknames: set[str] = set()  # ambiguous names seen inside somebody's handle (@小米表姐, //@食尚小米:)
        bare: list[tuple[int, str]] = []  # (index into pending, name) of ambiguous names outside handles
        found = False
        for m in self.pattern.finditer(text):
            a, b = m.span()
            if any(s <= a and b <= e for s, e in blocked):
                continue
            named = self._name_at(text, cased, a, b)
            if named is None:
                continue
            b, name = named
            if any(s <= a and b <= e for s, e in blocked):
                continue
            handle = next(((s, e) for s, e in handles if s <= a < e), None)
            if handle is not None:
                verdict = self._handle_verdict(text, a, b, handle, name)
                if verdict is None:
                    if name.ambiguous:
                        nicknames.add(name.term)
                    continue
                if verdict:
                    found = True
                    break
            person = name.han and ((len(name.term) == 2 and self._after_surname(text, a, name.term))
                                   or (name.ambiguous and self._person_around(text, a, b)))
            if name.ambiguous or person:
                if name.ambiguous and handle is None:
                    bare.append((len(pending), name.term))
                pending.append((a, b, person, name.default if name.ambiguous else -1))
            else:
                found = True
                break
        for i, term in bare:  # 漂亮的小米 … //@小米在米库: the bare name is most likely that person, written without @
            if term in nicknames:
                pending[i] = (*pending[i][:2], True, pending[i][3])
        if not found and pending:
            if handles:  # what people are called says nothing about what the text is about
                text = _blank(text, handles)
            found = self._means_brand(text, pending)
        if not found:
            return False
        return self.query is None or self.query.matches(Text(text, blocked))

    def _handle_verdict(self, text: str, a: int, b: int, handle: tuple[int, int], name: _Name) -> bool | None:
        """A name inside an @handle: None when it does not count (part of someone's nickname, or the author of
        what follows), True when the handle is the brand's own, False when it is the bare ambiguous name
        (@Apple), to be judged by the words around it like any other occurrence."""
        start, end = handle
        if a != start or text.startswith(":", end):
            return None
        rest = text[b:end]
        if not name.ambiguous or (rest and self.official and self.official.match(rest)):
            return True
        # @小米看到那个60英寸的电视…: a "handle" longer than nicknames run is the sentence itself
        return None if rest and end - start <= _NICKNAME else False

    def _stands_alone(self, text: str, cased: str, a: int, b: int, name: _Name) -> bool:
        """The occurrence is a word of its own, not letters or characters of other words."""
        if _is_latin(text[a]) and a > 0 and _is_latin(text[a - 1]) and not _camel(cased, a):
            return False
        if _is_latin(text[b - 1]) and b < len(text) and _is_latin(text[b]):
            if not (_camel(cased, b) or _MODEL_WORDS.match(text, b)):
                return False
        if len(text[a:b]) > len(name.term) and _is_latin(name.term[0]) and len(name.term) < 4:
            return False  # "m i" in a sentence is not Mi
        if not name.han:
            return True
        left = _han_run(text, a, -1, noisy=b - a > len(name.term))
        right = _han_run(text, b, 1, noisy=b - a > len(name.term))
        if not left and not right:
            return True
        block = left + name.term + right
        frequency = self._segmenter.natural_frequency(name.term) or _DEFAULT_FREQUENCY
        return self._segmenter.word_margin(block, len(left), len(left) + len(name.term), frequency) >= MIN_MARGIN

    def _after_surname(self, text: str, a: int, term: str) -> bool:
        """李华为难, 王蜜雪, 王小华为了: a two-character name straight after a surname (and 小/老/阿) that is not
        part of a word before it; 古正华为敬一丹: a surname and one character that with the name's first
        character make a three-character name, its second character (为) a word of its own."""
        if a >= 2 and text[a - 1] in "小老阿" and text[a - 2] in _SURNAMES:
            a -= 1
        if a > 0 and text[a - 1] in _SURNAMES:
            return a < 2 or not _is_han(text[a - 2]) or not self._segmenter.is_word(text[a - 2:a])
        if a < 2 or term[-1] not in _FUNCTION_CHARS or text[a - 2] not in _SURNAMES or not _is_han(text[a - 1]):
            return False
        return not self._segmenter.is_word(text[a - 2:a]) and (
            a < 3 or not _is_han(text[a - 3]) or not self._segmenter.is_word(text[a - 3:a - 1]))

    @staticmethod
    def _person_around(text: str, a: int, b: int) -> bool:
        """小米妞, 苹果妹, 姑奶奶小米, 小米侧头: an address or kinship word, or what only people do, right next to
        the name makes it somebody's name (monitor/nlp/data/brand_context.txt, [person_before] and
        [person_after])."""
        before, after = _person_words()
        return bool(after.match(text, b)) or bool(before.search(text, max(0, a - 4), a))

    def _means_brand(self, text: str, pending: list[tuple[int, int, bool, int]]) -> bool:
        """What stands right after (苹果6P) or before (吃苹果, 两斤小米, 猫叫小米) each occurrence, else the cue
        words within _CONTEXT characters; a name after a surname is a person unless cues say brand. One
        occurrence read either way decides for the others; with none, cues anywhere in the text, and with
        no cue at all the brand's ambiguous_default."""
        verdicts = []
        for a, b, person, _ in pending:
            if a > 0 and text[a - 1] == "《" and text.startswith("》", b):  # 《苹果》: a film's or book's title
                verdicts.append(-1)
            elif _MODEL_AFTER.match(text, b):
                verdicts.append(1)
            elif _THING_BEFORE.search(text, max(0, a - 5), a):
                verdicts.append(-1)
            else:
                score = self._cue_score(text, max(0, a - _CONTEXT), min(len(text), b + _CONTEXT))
                if score == 0 and not person and _leans_to_company(text, a, b):
                    score = 1
                verdicts.append(1 if score > 0 else -1 if score < 0 or person else 0)
        if 1 in verdicts or -1 in verdicts:
            return 1 in verdicts
        score = self._cue_score(text, 0, len(text))  # nothing nearby: the whole text
        return score > 0 if score else any(default > 0 for *_, default in pending)

    def _cue_score(self, text: str, lo: int, hi: int) -> int:
        return sum(self.cue_sign[m.group()] for m in self.cues.finditer(text, lo, hi)
                   if len(m.group()) > 1 or not self._inside_word(text, m.start()))

    def _inside_word(self, text: str, i: int) -> bool:
        """A one-character cue that is part of a longer word (箱 in 行李箱, 汤 in 汤姆森) says nothing: the
        dictionary knows a word of three or four Han characters around it."""
        for size in (4, 3):
            for start in range(max(0, i - size + 1), i + 1):
                piece = text[start:start + size]
                if len(piece) == size and all(_is_han(c) for c in piece) and self._segmenter.is_word(piece):
                    return True
        return False


def _leans_to_company(text: str, a: int, b: int) -> bool:
    """With no cue word either way: a company's things right after the name (苹果客服), a user's
    doings right before it (用苹果的人, 指责苹果), or a product measured against it (比苹果便宜, 和苹果没法比)."""
    if _COMPANY_AFTER.match(text, b) or _USER_BEFORE.search(text, max(0, a - 2), a):
        return True
    if _COMPARE_BEFORE.search(text, max(0, a - 2), a):
        return True
    before, after = _COMPARE_AROUND
    return bool(before.search(text, max(0, a - 1), a) and after.match(text, b))


def _blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """The text with the spans turned into spaces (positions kept)."""
    chars = list(text)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)


def _camel(cased: str, i: int) -> bool:
    """A lower-case letter followed by an upper-case one at i: the seam in iPadPro, MacBookAir."""
    return 0 < i < len(cased) and cased[i - 1].islower() and cased[i].isupper()


def _han_run(text: str, at: int, step: int, noisy: bool) -> str:
    """Up to _NEAR Han characters next to position at (before it for step -1); across noise when the name
    itself was written with noise (小 米 手 机)."""
    out = []
    i = at - 1 if step < 0 else at
    while 0 <= i < len(text) and len(out) < _NEAR:
        ch = text[i]
        if _is_han(ch):
            out.append(ch)
        elif not (noisy and re.match(_NOISE, ch)):
            break
        i += step
    return "".join(reversed(out)) if step < 0 else "".join(out)


class BrandMatcher:
    def __init__(self, brands: Iterable[BrandConfig], segmenter: Segmenter | None = None) -> None:
        """segmenter: the NLP stage's own (its dictionary judges word boundaries); built here when absent."""
        brands = tuple(brands)
        if segmenter is None:
            segmenter = Segmenter({t for b in brands for t in b.terms})
        self._brands = [_Brand(b, segmenter) for b in brands]

    def match(self, text: str) -> list[str]:
        """Brand names mentioned in a raw text."""
        norm = normalize(text)
        return self.match_normalized(norm.plain, norm.handles)

    def match_normalized(self, plain: str, handles: tuple[tuple[int, int], ...] = ()) -> list[str]:
        """Brand names mentioned in a normalised text (Normalized.plain, case kept; Normalized.handles)."""
        folded = plain.lower()
        if len(folded) != len(plain):  # a few characters change length when lower-cased (İ)
            plain, handles = folded, ()
        return [b.name for b in self._brands if b.mentioned_in(folded, plain, handles)]
