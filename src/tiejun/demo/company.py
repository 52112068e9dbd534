"""The fixed ingredients of the demo company: its regions and branches, names, local industries.

Demo data is Chinese on purpose (the company it imitates is); none of it is user-interface text.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPANY_CODE = "TJ"
COMPANY_NAME = "铁军科技"
DEMO_PASSWORD = "tiejun-demo"
ADMIN_NO = "admin"
EMAIL_DOMAIN = "tiejun.example"


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    min_teams: int  # the region opens once the company has this many teams


@dataclass(frozen=True)
class BranchSpec:
    region: str
    code: str  # the branch's own part; the unit code is f"{region}-{code}"
    city: str  # short name: teams are f"{city}{n}组"
    name: str
    weight: int  # share of the teams
    level: float  # revenue level of the local market (1.0 = average)
    industry: str  # key of INDUSTRIES


REGIONS = [
    RegionSpec("ZJ", "浙江大区", 0),
    RegionSpec("JS", "江苏大区", 0),
    RegionSpec("SH", "上海大区", 24),
    RegionSpec("GD", "广东大区", 40),
]

# In the order branches open when the company is small.
BRANCHES = [
    BranchSpec("ZJ", "HZ", "杭州", "杭州分公司", 5, 1.15, "HZ"),
    BranchSpec("ZJ", "NB", "宁波", "宁波分公司", 4, 1.05, "NB"),
    BranchSpec("JS", "SU", "苏州", "苏州分公司", 4, 1.10, "SU"),
    BranchSpec("ZJ", "YW", "义乌", "义乌分公司", 3, 0.95, "YW"),
    BranchSpec("ZJ", "WZ", "温州", "温州分公司", 3, 1.00, "WZ"),
    BranchSpec("ZJ", "JH", "永康", "金华(永康)分公司", 2, 0.90, "JH"),
    BranchSpec("JS", "NJ", "南京", "南京分公司", 3, 1.00, "NJ"),
    BranchSpec("ZJ", "TZ", "台州", "台州分公司", 2, 0.95, "TZ"),
    BranchSpec("JS", "WX", "无锡", "无锡分公司", 2, 0.95, "WX"),
    BranchSpec("SH", "PD", "浦东", "上海浦东分公司", 4, 1.25, "SH"),
    BranchSpec("GD", "GZ", "广州", "广州分公司", 4, 1.10, "GZ"),
    BranchSpec("GD", "SZ", "深圳", "深圳分公司", 4, 1.20, "SZ"),
    BranchSpec("SH", "MH", "闵行", "上海闵行分公司", 3, 1.15, "SH"),
    BranchSpec("GD", "DG", "东莞", "东莞分公司", 3, 0.95, "DG"),
    BranchSpec("SH", "SJ", "松江", "上海松江分公司", 2, 1.05, "SH"),
    BranchSpec("GD", "FS", "佛山", "佛山分公司", 2, 1.00, "FS"),
]

# Customer names: a place, a trade name, and a business typical of the branch's local industry.
INDUSTRIES: dict[str, tuple[list[str], list[str]]] = {
    "HZ": (
        ["杭州", "杭州", "萧山", "余杭"],
        ["电子商务有限公司", "服饰有限公司", "网络科技有限公司", "丝绸有限公司", "家纺有限公司"],
    ),
    "NB": (
        ["宁波", "宁波", "慈溪市", "余姚市"],
        ["模具有限公司", "电器有限公司", "进出口有限公司", "塑料制品有限公司", "文具有限公司"],
    ),
    "WZ": (
        ["温州", "乐清市", "瑞安市", "温州"],
        ["鞋业有限公司", "电气有限公司", "汽摩配件有限公司", "眼镜有限公司", "阀门有限公司"],
    ),
    "JH": (
        ["永康市", "永康市", "金华", "武义县"],
        ["五金制品厂", "工贸有限公司", "电动工具有限公司", "门业有限公司", "杯业有限公司"],
    ),
    "YW": (
        ["义乌市"],
        ["小商品有限公司", "饰品厂", "日用品有限公司", "工艺品有限公司", "针织有限公司"],
    ),
    "TZ": (
        ["台州", "温岭市", "玉环市", "临海市"],
        ["机械有限公司", "泵业有限公司", "阀门有限公司", "塑业有限公司", "缝纫机有限公司"],
    ),
    "SU": (
        ["苏州", "昆山市", "常熟市", "张家港市"],
        ["精密机械有限公司", "纺织有限公司", "服装有限公司", "电子有限公司", "新材料有限公司"],
    ),
    "NJ": (
        ["南京"],
        [
            "软件有限公司",
            "仪器仪表有限公司",
            "贸易有限公司",
            "环保科技有限公司",
            "医疗器械有限公司",
        ],
    ),
    "WX": (
        ["无锡", "江阴市", "宜兴市"],
        ["纺织有限公司", "不锈钢有限公司", "紫砂工艺品有限公司", "机电有限公司", "电动车有限公司"],
    ),
    "SH": (
        ["上海"],
        [
            "贸易有限公司",
            "实业有限公司",
            "供应链管理有限公司",
            "生物科技有限公司",
            "化妆品有限公司",
        ],
    ),
    "GZ": (["广州"], ["服装有限公司", "皮具有限公司", "化妆品有限公司", "商贸有限公司"]),
    "SZ": (["深圳"], ["电子有限公司", "智能硬件有限公司", "照明有限公司", "科技有限公司"]),
    "DG": (["东莞"], ["玩具厂", "家具有限公司", "五金制品有限公司", "鞋材有限公司"]),
    "FS": (["佛山", "顺德"], ["陶瓷有限公司", "家电有限公司", "铝材有限公司", "家具有限公司"]),
}

TRADE_FIRST = "鑫恒宏永华金盛嘉兴瑞福泰信德丰裕隆源达昌顺利新佳美宝天万东正"
TRADE_SECOND = "达泰远盛美发源鑫通业辉昌利祥顺安成联科创锦豪鼎润益邦诚和禾晟"

# Common surnames, the most frequent first and listed more than once to weight them.
SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田"
    "董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方傅邹孟熊秦邱江尹薛段雷"
    "侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)
GIVEN_SINGLE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚浩宇婷欣晨丹颖鑫斌玲凯鹏飞琳倩晶亮健波辉"
GIVEN_TWO = [
    "秀英",
    "桂英",
    "子涵",
    "梓轩",
    "思远",
    "嘉怡",
    "雨桐",
    "俊杰",
    "佳琪",
    "志强",
    "建华",
    "晓东",
    "海波",
    "文博",
    "一鸣",
    "婉清",
    "浩然",
    "欣怡",
    "晓燕",
    "建军",
    "国强",
    "丽华",
    "春梅",
    "海燕",
    "志明",
    "晓明",
    "丽娟",
    "雪梅",
    "天宇",
    "家豪",
    "思琪",
    "梦瑶",
    "晨阳",
    "嘉伟",
    "振宇",
    "雅婷",
    "立新",
    "红霞",
    "永强",
    "玉兰",
    "宏伟",
    "慧敏",
    "少华",
    "泽宇",
    "博文",
    "诗涵",
    "凯文",
    "锦程",
]

CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 25 → 二十五, 105 → 一百零五, 110 → 一百一十 (up to 999)."""
    if n >= 100:
        hundreds, rest = divmod(n, 100)
        head = CHINESE_DIGITS[hundreds] + "百"
        if rest == 0:
            return head
        if rest < 10:
            return head + "零" + CHINESE_DIGITS[rest]
        return head + ("一" if rest < 20 else "") + chinese_number(rest)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CHINESE_DIGITS[ones]
    head = "" if tens == 1 else CHINESE_DIGITS[tens]
    return head + "十" + (CHINESE_DIGITS[ones] if ones else "")


# Seasonality of a Chinese direct-sales year: strong January, Spring Festival slump, a push to
# the half-year close in June, a summer lull, and the year-end sprint.
SEASON = {1: 1.05, 2: 0.70, 3: 0.95, 4: 1.00, 5: 1.00, 6: 1.15, 7: 0.90, 8: 0.88, 9: 1.00,
          10: 0.95, 11: 1.10, 12: 1.20}  # fmt: skip

# (amount in yuan, weight): the China Supplier-style packages 2.98万/5.98万/8.98万 and the rest.
PACKAGES = [(29800, 44), (59800, 24), (89800, 9), (19800, 9), (128000, 3)]
OTHER_WEIGHT = 11  # a custom amount between 5千 and 5万
CHANNELS = [("visit", 74), ("salon", 10), ("online", 7), ("partner", 5), ("community", 3),
            ("livestream", 1)]  # fmt: skip
