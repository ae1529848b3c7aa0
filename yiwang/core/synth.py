"""Deterministic synthetic data for the demo city 焦作: people with valid ID numbers,
enterprises with valid credit codes, mobile numbers, Chinese names.

Generators yield plain dicts and never touch the database, so any room can reuse them for
its own registries. The same seed always yields the same sequence; identifiers within one
sequence are unique.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import accumulate
from random import Random

from yiwang.core.identifiers import ID_CHECK, ID_WEIGHTS, USCC_ALPHABET, make_credit_code

DEFAULT_SEED = 20240113  # the date of the city plan

# County-level divisions of 焦作 with their 2010 census population (DOMAIN.md).
COUNTIES: tuple[tuple[str, str, int], ...] = (
    ("410802", "解放区", 295675),
    ("410803", "中站区", 106057),
    ("410804", "马村区", 139524),
    ("410811", "山阳区", 324100),
    ("410821", "修武县", 287794),
    ("410822", "博爱县", 436289),
    ("410823", "武陟县", 713896),
    ("410825", "温县", 421767),
    ("410882", "沁阳市", 447670),
    ("410883", "孟州市", 367088),
)
REGION_NAMES = {"410800": "焦作", **{c: n for c, n, _p in COUNTIES}}
REGION_SHORT = {"410800": "焦作", **{c: n[:-1] if len(n) > 2 else n for c, n, _p in COUNTIES}}

# Common surnames, most frequent first (weights roughly follow national frequency).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史"
    "陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫")
GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林峰建国文博志"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英华慧巧美娅婷雪琳晶颖倩琪欣怡佳萍红梅兰燕莉蓉月"
GIVEN_SHARED = "子思雨晨嘉一梓欣宏正新春海永佳明德玉金小亚晓立天文"

MOBILE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 171 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 198 199"
).split()

TRADE_NAMES = tuple(
    "怀川 太行 山阳 覃怀 丰源 宏达 华兴 鑫盛 瑞丰 恒通 永安 金诚 博远 嘉禾 隆昌 鼎盛 汇丰 德润 "
    "天成 中原 豫北 云台 神农 沁园 月季 竹林 龙源 富康 新创 智联 四方 万和 信达 宏图 启航 锦程 "
    "同心 泰和 润泽 恒信 明德 众邦 佳诚".split()
)
INDUSTRIES_91 = (
    "科技",
    "商贸",
    "建材",
    "食品",
    "机械制造",
    "化工",
    "物流",
    "建筑工程",
    "农业开发",
    "医药",
    "信息技术",
    "新能源",
    "汽车配件",
    "纺织",
    "文化传媒",
    "餐饮管理",
    "环保科技",
    "铝业",
    "电子",
    "旅游开发",
)
SHOPS_92 = ("便利店", "商行", "经营部", "餐馆", "五金店", "理发店", "农资店", "修理部")
COOPS_93 = ("蔬菜", "山药", "小麦", "怀菊", "养殖", "果品", "中药材", "花卉")

BIRTH_START = dt.date(1940, 1, 1)
BIRTH_DAYS = (dt.date(2010, 12, 31) - BIRTH_START).days + 1
_ORDINAL0 = BIRTH_START.toordinal()

ORG_SPACE = 31**6  # six free USCC characters after "MA"
ORG_STEP = 387_420_489  # 3**18, coprime with 31**6: a permutation of the org space


def _digits_to_base31(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 31)
        out.append(USCC_ALPHABET[r])
    return "".join(reversed(out))


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(c) * w for c, w in zip(digits, weights, strict=True))


class CitySynth:
    """Seeded generator of people and enterprises of 焦作.

    ``people(n)`` and ``enterprises(n)`` restart from the seed on every call, so the first
    k rows of a longer run equal a shorter run: seeding can resume after the rows it kept.
    """

    def __init__(self, seed: int = DEFAULT_SEED):
        self.seed = seed
        self._county_codes = [c for c, _n, _p in COUNTIES]
        self._county_cum = list(accumulate(p for _c, _n, p in COUNTIES))

    # --- small pieces -------------------------------------------------------------
    @staticmethod
    def name(rng: Random, sex: str) -> str:
        """A plausible Chinese full name: surname plus one or two given-name characters."""
        r = rng.random()
        if r < 0.004:
            surname = COMPOUND_SURNAMES[int(r * 1500) % len(COMPOUND_SURNAMES)]
        else:
            # Skew towards the frequent surnames at the front of the list.
            surname = SURNAMES[int(len(SURNAMES) * rng.random() ** 1.8)]
        pool = GIVEN_MALE if sex == "M" else GIVEN_FEMALE
        first = pool[int(rng.random() * len(pool))]
        if rng.random() < 0.3:
            return surname + first
        second = (GIVEN_SHARED + pool)[int(rng.random() * (len(GIVEN_SHARED) + len(pool)))]
        return surname + second + first

    @staticmethod
    def mobile(rng: Random) -> str:
        """An 11-digit mainland mobile number on a real carrier prefix."""
        return MOBILE_PREFIXES[int(rng.random() * len(MOBILE_PREFIXES))] + (
            f"{int(rng.random() * 100_000_000):08d}"
        )

    def county(self, rng: Random) -> str:
        """A county-level division code, weighted by population."""
        x = rng.random() * self._county_cum[-1]
        for code, cum in zip(self._county_codes, self._county_cum, strict=True):
            if x < cum:
                return code
        return self._county_codes[-1]

    # --- people -------------------------------------------------------------------
    def people(self, n: int) -> Iterator[dict]:
        """Yield ``n`` people: index, full_name, sex (M/F), birth_date, id_number, phone,
        division (county code). ID numbers are valid (GB 11643) and unique in the run."""
        rng = Random(f"{self.seed}:people")
        used: dict[tuple[str, int, int], int] = {}
        # The check sum is linear: precompute the region and birth-date parts once.
        region_sum = {c: _weighted(c, ID_WEIGHTS[:6]) for c in self._county_codes}
        dates = [dt.date.fromordinal(_ORDINAL0 + d) for d in range(BIRTH_DAYS)]
        date_text = [f"{d:%Y%m%d}" for d in dates]
        date_sum = [_weighted(t, ID_WEIGHTS[6:14]) for t in date_text]
        w14, w15, w16 = ID_WEIGHTS[14:17]
        check = ID_CHECK
        for index in range(n):
            division = self.county(rng)
            sex = "M" if rng.random() < 0.51 else "F"
            day = int(rng.random() * BIRTH_DAYS)
            parity = 1 if sex == "M" else 0
            key = (division, day, parity)
            k = used.get(key, 0)
            if k >= 500:  # sequence space for that day and sex is full: take the next day
                while used.get((division, day, parity), 0) >= 500:
                    day = (day + 1) % BIRTH_DAYS
                key = (division, day, parity)
                k = used.get(key, 0)
            used[key] = k + 1
            seq = 2 * k + parity
            total = region_sum[division] + date_sum[day]
            total += (seq // 100) * w14 + (seq // 10 % 10) * w15 + (seq % 10) * w16
            yield {
                "index": index,
                "full_name": self.name(rng, sex),
                "sex": sex,
                "birth_date": dates[day],
                "id_number": f"{division}{date_text[day]}{seq:03d}{check[total % 11]}",
                "phone": self.mobile(rng),
                "division": division,
            }

    # --- enterprises --------------------------------------------------------------
    def enterprises(self, n: int) -> Iterator[dict]:
        """Yield ``n`` market entities: index, name, credit_code, entity_type (91 企业 /
        92 个体工商户 / 93 农民专业合作社), division, industry, legal_rep, phone.
        Credit codes are valid (GB 32100 with GB 11714 body) and unique in the run."""
        rng = Random(f"{self.seed}:enterprises")
        offset = Random(f"{self.seed}:org").randrange(ORG_SPACE)
        for index in range(n):
            r = rng.random()
            entity_type = "91" if r < 0.72 else ("92" if r < 0.95 else "93")
            division = "410800" if rng.random() < 0.15 else self.county(rng)
            org8 = "MA" + _digits_to_base31((offset + index * ORG_STEP) % ORG_SPACE, 6)
            trade = TRADE_NAMES[int(rng.random() * len(TRADE_NAMES))]
            if entity_type == "91":
                industry = INDUSTRIES_91[int(rng.random() * len(INDUSTRIES_91))]
                name = f"{REGION_SHORT[division]}{trade}{industry}有限公司"
                if division == "410800":
                    name = "焦作市" + name[2:]
            elif entity_type == "92":
                industry = SHOPS_92[int(rng.random() * len(SHOPS_92))]
                name = f"{REGION_NAMES[division]}{trade}{industry}"
            else:
                industry = COOPS_93[int(rng.random() * len(COOPS_93))]
                name = f"{REGION_NAMES[division]}{trade}{industry}专业合作社"
            sex = "M" if rng.random() < 0.6 else "F"
            yield {
                "index": index,
                "name": name,
                "credit_code": make_credit_code(entity_type, division, org8),
                "entity_type": entity_type,
                "division": division,
                "industry": industry,
                "legal_rep": self.name(rng, sex),
                "phone": self.mobile(rng),
            }


def people(n: int, seed: int = DEFAULT_SEED) -> Iterator[dict]:
    """Shortcut for ``CitySynth(seed).people(n)``."""
    return CitySynth(seed).people(n)


def enterprises(n: int, seed: int = DEFAULT_SEED) -> Iterator[dict]:
    """Shortcut for ``CitySynth(seed).enterprises(n)``."""
    return CitySynth(seed).enterprises(n)
