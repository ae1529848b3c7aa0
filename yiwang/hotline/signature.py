"""工单内容签名 (a ticket's content signature): what a ticket is about, kept small so
hotspots by content (热点发现) and similar tickets (相似工单) find their candidates by
shared terms in an index instead of comparing every ticket with every other.

Citizens describe one problem in different words (one writes 油烟, the next 排风扇 or
烧烤), so a signature is not the text but its most telling terms, each weighted:

- the text is folded (繁→简, 全角→半角, lower case) and the hotline's boilerplate
  (客套话: 您好、希望有关部门尽快处理、谢谢) is cut out;
- the places it names — compounds (小区、花园、苑…) and roads (路、街…) — are taken out as
  place terms (``@锦华苑``, ``#焦东路``): they are evidence of *where*, not of *what*;
- the rest is cut into jieba words, and each word of three or more characters also
  gives its character bigrams (油烟机 → 油烟, 烟机), so 油烟 and 油烟机 still meet;
- the matter it speaks of is recognised from the everyday words for it (``CONCEPTS``:
  油烟、排烟、烟熏 all say smoke, 噪音、吵、嗡嗡、鼓风机 all say noise, 烧烤、夜宵、饭庄 all
  say a restaurant) and counted as a concept term (``§烟``), so neighbours who share no
  word still share what they complain of;
- each term weighs (1 + log tf) × its idf (jieba's general-corpus idf table; a word it
  does not know counts as rare), stop words and numbers dropped;
- the ``TOP_TERMS`` heaviest terms are kept and scaled to unit length, so a
  10,000-character letter weighs as much as a two-line message and cannot match
  everything by sheer size.

The signature is stored per ticket as rows of ``TicketTerm`` (term, weight, the
ticket's time), indexed by (term, created_at); intake writes them, and batch jobs fill in
tickets that arrived without (bulk imports)."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

from yiwang.hotline.knowledge import STOP_WORDS, _jieba, fold

TOP_TERMS = 24
TEXT_CHARS = 10_000  # read at most this much (the intake limit)
TERM_MAX = 24  # characters of a stored term
PLACE_MARK, ROAD_MARK = "@", "#"
BIGRAM = "\x01"  # marks a bigram's count while counting; stored as the plain word

# 客套话 and intake boilerplate: phrases every kind of ticket carries.
BOILERPLATE = re.compile(
    r"(市民来电反映|来电人反映|来电反映|市民反映|网友反映|我要反映|我想反映|现反映|"
    r"希望(有关|相关)?(部门|领导)?(能够?|尽快|及时|予以)*(处理|解决|核实|调查|查处|整治|协调)*|"
    r"请(有关|相关)?部门|恳请|麻烦|谢谢|您好|你好|12345|热线|诉求人|来电人|要求处理)"
)
WORD_STOP = STOP_WORDS | frozenset(
    "反映 投诉 举报 希望 要求 相关 部门 有关 尽快 处理 解决 市民 来电 一直 已经 没有 "
    "今天 昨天 这里 那里 非常 严重 问题 情况 影响 多次 很多 每次 这样 那样 但是 而且 "
    "因为 所以 如果 还是 就是 不是 自己 他们 她们 大家 时候 之前 以后 目前 到底 根本 "
    "希望 领导 政府 管理 核实 调查 查处 整治 协调 落实 答复 回复 电话 打电话 工作人员 "
    "居民 业主 住户 小区 附近 周边 楼下 楼上 对面 旁边 门口 一家 这家 那家 地方 位置 "
    "我家 家里 已经 还有 不能 不会 可能 无法 进行 发现 出现 造成 导致 存在 时间 天天 "
    "每天 经常 长期 好几 几天 多天 很久 至今 仍然 依然 始终 一下 谁管 有人 没人 "
    "北门 南门 东门 西门 北侧 南侧 东侧 西侧 大门 侧门 后门 临街 一楼 二楼 楼顶".split()
)
# 同义说法: the matters citizens name in many words; a text using any cue has the concept.
CONCEPTS = {
    "烟": "油烟 排烟 烟味 烟熏 烟管 烟雾 冒烟 呛人 熏得 炭火 油味 异味",
    "噪": "噪音 噪声 吵 嗡嗡 轰隆 分贝 扰民 鼓风机 风机 排风扇 声音 吆喝 划拳 喧哗 睡不着",
    "餐": "饭店 饭馆 饭庄 餐馆 餐饮 餐厅 烧烤 烤串 撸串 夜宵 大排档 火锅 小吃 后厨 炒菜 饮食",
    "水": "停水 自来水 水压 水管 漏水 水质 发黄",
    "电": "停电 断电 电压 跳闸 供电",
    "暖": "供暖 暖气 采暖 不热 室温",
    "梯": "电梯 困人 轿厢",
    "垃": "垃圾 清运 臭气 垃圾桶",
    "车": "停车 车位 乱停 占道 停车费",
    "工": "施工 工地 打桩 渣土",
    "灯": "路灯 不亮 照明",
    "污": "下水道 污水 堵塞 化粪池 返水",
    "薪": "工资 欠薪 拖欠 讨薪",
    "犬": "狗 犬 拴绳 咬伤",
}
CONCEPT_MARK = "§"
CONCEPT_IDF = 9.0
COMPOUND = (
    "小区|花园|家园|公寓|新村|社区|大厦|广场|市场|商场|家属院|号院|大院|名苑|华府|苑|园|院|村"
)
ROAD = "大道|大街|路|街|巷"
_PLACE = re.compile(rf"({COMPOUND})|({ROAD})")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
# Characters that end a place name's lead-in: 我住在锦华苑 → 锦华苑; 我们小区 → none.
_CUT = frozenset("在住的是到于和从向我们你他她这那该本个里边旁对家与及或隔壁区县市镇乡")
_NOT_ROAD = frozenset("临上沿过马大小")
_division_names: list[str] = []


def _divisions() -> re.Pattern | None:
    """The names of the city's divisions (焦作市、解放区、城关镇…), longest first: cut
    out of the text, since they say where, not what (read once per process)."""
    if not _division_names:
        from yiwang.core.models import Division

        names = {
            fold(n)
            for n in Division.objects.exclude(level="village").values_list("name", flat=True)
        }
        names |= {re.sub(r"^.+?[区县市]", "", n) for n in names}  # 解放区城关镇 → 城关镇
        _division_names.extend(sorted((n for n in names if len(n) >= 2), key=len)[::-1])
    if not _division_names:
        return None
    return _division_re(tuple(_division_names))


@lru_cache(maxsize=1)
def _division_re(names: tuple[str, ...]) -> re.Pattern:
    towns = r"[\u4e00-\u9fff]{2}(?:镇|乡|街道办事处|街道|办事处)"  # 清化镇: a township's name
    return re.compile("|".join([towns, *(re.escape(n) for n in names)]))


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    """jieba's idf table (general Chinese corpus) and its median, for unknown words."""
    from jieba.analyse.tfidf import TFIDF

    table = TFIDF()
    return table.idf_freq, table.median_idf


def idf(term: str) -> float:
    """How telling a term is in general Chinese: rare words weigh more; a word the table
    does not know (a name, a new word) counts as the median."""
    table, median = _idf()
    return table.get(term, median)


def _lead(run: str, end: int) -> str:
    """The characters naming a place before position ``end`` of a CJK run, cut at the
    last lead-in character (住在、我们、这个…)."""
    lead = run[:end]
    for i in range(len(lead) - 1, -1, -1):
        if lead[i] in _CUT:
            return lead[i + 1 :]
    return lead


def place_terms(folded: str) -> tuple[set[str], str]:
    """(place terms, text without them) of folded text. A compound (小区、苑、园、村…) or
    road (路、街…) gives its name with two and with three characters before the suffix
    (锦华苑 → ``@锦华苑``, ``@东路锦华苑``…), so two mentions of one place share at least
    one term however the lead-in differs."""
    found: set[str] = set()
    spans: list[tuple[int, int]] = []
    for m in _CJK.finditer(folded):
        run = m.group(0)
        for p in _PLACE.finditer(run):
            if p.group(2) and p.start() and run[p.start() - 1] in _NOT_ROAD:
                continue  # 临街、街上的: not a road's name
            lead = _lead(run, p.start())
            if len(lead) < 2:
                continue
            mark = PLACE_MARK if p.group(1) else ROAD_MARK
            for k in (2, 3):
                if len(lead) >= k:
                    found.add(mark + (lead[-k:] + p.group(0))[:TERM_MAX])
            spans.append((m.start() + p.start() - min(len(lead), 3), m.start() + p.end()))
    if not spans:
        return found, folded
    parts, pos = [], 0
    for a, b in sorted(spans):
        if a >= pos:
            parts.append(folded[pos:a])
            pos = b
        else:
            pos = max(pos, b)
    parts.append(folded[pos:])
    return found, " ".join(parts)


def _content_terms(text: str) -> Counter:
    """Term counts of the content: jieba words (stop words, single characters and
    numbers dropped) and the character bigrams of words of three or more characters."""
    counts: Counter = Counter()
    for w in _jieba().lcut(text, HMM=False):
        w = w.strip()
        if len(w) < 2 or w in WORD_STOP or not any(ch.isalpha() for ch in w):
            continue
        counts[w[:TERM_MAX]] += 1
        if len(w) >= 3 and _CJK.fullmatch(w):
            for i in range(len(w) - 1):
                gram = w[i : i + 2]
                if gram not in WORD_STOP:
                    counts[BIGRAM + gram] += 1
    return counts


@lru_cache(maxsize=1)
def _cues() -> re.Pattern:
    cues = {cue: c for c, words in CONCEPTS.items() for cue in words.split()}
    return re.compile("|".join(sorted(map(re.escape, cues), key=len, reverse=True)))


def concepts(text: str) -> Counter:
    """How often the text names each matter of ``CONCEPTS`` (by any of its cues)."""
    cue_of = {cue: c for c, words in CONCEPTS.items() for cue in words.split()}
    return Counter(cue_of[m.group(0)] for m in _cues().finditer(text))


def signature(text: str, address: str = "") -> tuple[dict[str, float], set[str]]:
    """(content vector, place terms) of a ticket: the TOP_TERMS heaviest content terms
    with unit-length weights, and the places named in its text or address."""
    folded = fold((text or "")[:TEXT_CHARS])
    folded = BOILERPLATE.sub(" ", folded)
    names = _divisions()
    if names is not None:
        folded = names.sub(" ", folded)
    places, rest = place_terms(folded)
    if address:
        places |= place_terms(fold(address))[0]
    weights: dict[str, float] = {}
    for term, tf in _content_terms(rest).items():
        bigram = term.startswith(BIGRAM)
        word = term[1:] if bigram else term
        weight = (1.0 + math.log(tf)) * idf(word) * (0.5 if bigram else 1.0)
        weights[word] = weights.get(word, 0.0) + weight
    for concept, tf in concepts(rest).items():
        weights[CONCEPT_MARK + concept] = (1.0 + math.log(tf)) * CONCEPT_IDF
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TERMS]
    norm = math.sqrt(sum(w * w for _t, w in top)) or 1.0
    return {t: round(w / norm, 4) for t, w in top}, places


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two content vectors (both unit length, or close): Σ shared weights."""
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[t] for t, w in a.items() if t in b)


def is_place(term: str) -> bool:
    return term[:1] in (PLACE_MARK, ROAD_MARK)


def place_name(term: str) -> str:
    """The place a place term names, without its mark."""
    return term[1:] if is_place(term) else term
