"""Chinese surnames: where a name's surname ends, and its Hanyu Pinyin (pure data, no I/O).

Used by the ``{customer_title}`` placeholder (:mod:`csdesk.domain.phrases`,
operating guide §3.4) to address a customer as 王先生 / "Mr Wang". The tables
hold the two-character (compound) surnames first looked for, and the
readings of the common single-character surnames *as surnames* (单 is Shan,
曾 is Zeng, 解 is Xie, 查 is Zha …). A surname missing here gives no English
title: the placeholder stays unfilled for the agent to type, rather than a
guessed one.
"""

from __future__ import annotations

from typing import Final

#: Two-character surnames → pinyin (checked before the one-character ones).
COMPOUND_SURNAMES: Final[dict[str, str]] = {
    "欧阳": "Ouyang", "司马": "Sima", "上官": "Shangguan", "诸葛": "Zhuge", "东方": "Dongfang",
    "皇甫": "Huangfu", "尉迟": "Yuchi", "公孙": "Gongsun", "慕容": "Murong", "长孙": "Zhangsun",
    "宇文": "Yuwen", "司徒": "Situ", "令狐": "Linghu", "夏侯": "Xiahou", "端木": "Duanmu",
    "轩辕": "Xuanyuan", "南宫": "Nangong", "西门": "Ximen", "独孤": "Dugu", "申屠": "Shentu",
    "司空": "Sikong", "呼延": "Huyan", "闻人": "Wenren", "赫连": "Helian", "澹台": "Tantai",
}

#: One-character surnames → pinyin (their reading as a surname).
SURNAMES: Final[dict[str, str]] = {
    "王": "Wang", "李": "Li", "张": "Zhang", "刘": "Liu", "陈": "Chen", "杨": "Yang", "黄": "Huang",
    "赵": "Zhao", "吴": "Wu", "周": "Zhou", "徐": "Xu", "孙": "Sun", "马": "Ma", "朱": "Zhu",
    "胡": "Hu", "郭": "Guo", "何": "He", "高": "Gao", "林": "Lin", "罗": "Luo", "郑": "Zheng",
    "梁": "Liang", "谢": "Xie", "宋": "Song", "唐": "Tang", "许": "Xu", "韩": "Han", "冯": "Feng",
    "邓": "Deng", "曹": "Cao", "彭": "Peng", "曾": "Zeng", "肖": "Xiao", "萧": "Xiao", "田": "Tian",
    "董": "Dong", "袁": "Yuan", "潘": "Pan", "于": "Yu", "蒋": "Jiang", "蔡": "Cai", "余": "Yu",
    "杜": "Du", "叶": "Ye", "程": "Cheng", "苏": "Su", "魏": "Wei", "吕": "Lyu", "丁": "Ding",
    "任": "Ren", "沈": "Shen", "姚": "Yao", "卢": "Lu", "姜": "Jiang", "崔": "Cui", "钟": "Zhong",
    "谭": "Tan", "陆": "Lu", "汪": "Wang", "范": "Fan", "金": "Jin", "石": "Shi", "廖": "Liao",
    "贾": "Jia", "夏": "Xia", "韦": "Wei", "付": "Fu", "傅": "Fu", "方": "Fang", "白": "Bai",
    "邹": "Zou", "孟": "Meng", "熊": "Xiong", "秦": "Qin", "邱": "Qiu", "江": "Jiang", "尹": "Yin",
    "薛": "Xue", "闫": "Yan", "阎": "Yan", "段": "Duan", "雷": "Lei", "侯": "Hou", "龙": "Long",
    "史": "Shi", "陶": "Tao", "黎": "Li", "贺": "He", "顾": "Gu", "毛": "Mao", "郝": "Hao",
    "龚": "Gong", "邵": "Shao", "万": "Wan", "钱": "Qian", "严": "Yan", "覃": "Qin", "武": "Wu",
    "戴": "Dai", "莫": "Mo", "孔": "Kong", "向": "Xiang", "汤": "Tang", "常": "Chang", "温": "Wen",
    "康": "Kang", "施": "Shi", "文": "Wen", "牛": "Niu", "樊": "Fan", "葛": "Ge", "邢": "Xing",
    "安": "An", "齐": "Qi", "易": "Yi", "乔": "Qiao", "伍": "Wu", "庞": "Pang", "颜": "Yan",
    "倪": "Ni", "庄": "Zhuang", "聂": "Nie", "章": "Zhang", "鲁": "Lu", "岳": "Yue", "翟": "Zhai",
    "殷": "Yin", "詹": "Zhan", "申": "Shen", "欧": "Ou", "耿": "Geng", "关": "Guan", "兰": "Lan",
    "焦": "Jiao", "俞": "Yu", "左": "Zuo", "柳": "Liu", "甘": "Gan", "祝": "Zhu", "包": "Bao",
    "宁": "Ning", "尚": "Shang", "符": "Fu", "舒": "Shu", "阮": "Ruan", "柯": "Ke", "纪": "Ji",
    "梅": "Mei", "童": "Tong", "凌": "Ling", "毕": "Bi", "单": "Shan", "季": "Ji", "裴": "Pei",
    "霍": "Huo", "涂": "Tu", "成": "Cheng", "苗": "Miao", "谷": "Gu", "盛": "Sheng", "曲": "Qu",
    "翁": "Weng", "冉": "Ran", "骆": "Luo", "蓝": "Lan", "路": "Lu", "游": "You", "辛": "Xin",
    "靳": "Jin", "管": "Guan", "柴": "Chai", "蒙": "Meng", "鲍": "Bao", "华": "Hua", "喻": "Yu",
    "祁": "Qi", "蒲": "Pu", "房": "Fang", "滕": "Teng", "屈": "Qu", "饶": "Rao", "解": "Xie",
    "牟": "Mou", "艾": "Ai", "尤": "You", "阳": "Yang", "时": "Shi", "穆": "Mu", "农": "Nong",
    "司": "Si", "卓": "Zhuo", "古": "Gu", "吉": "Ji", "缪": "Miao", "简": "Jian", "车": "Che",
    "项": "Xiang", "连": "Lian", "芦": "Lu", "麦": "Mai", "褚": "Chu", "娄": "Lou", "窦": "Dou",
    "戚": "Qi", "岑": "Cen", "景": "Jing", "党": "Dang", "宫": "Gong", "费": "Fei", "卜": "Bu",
    "冷": "Leng", "晏": "Yan", "席": "Xi", "卫": "Wei", "米": "Mi", "柏": "Bai", "宗": "Zong",
    "瞿": "Qu", "桂": "Gui", "全": "Quan", "佟": "Tong", "应": "Ying", "臧": "Zang", "闵": "Min",
    "苟": "Gou", "邬": "Wu", "边": "Bian", "卞": "Bian", "姬": "Ji", "师": "Shi", "和": "He",
    "仇": "Qiu", "栾": "Luan", "隋": "Sui", "商": "Shang", "刁": "Diao", "沙": "Sha", "荣": "Rong",
    "巫": "Wu", "寇": "Kou", "桑": "Sang", "郎": "Lang", "甄": "Zhen", "丛": "Cong", "仲": "Zhong",
    "虞": "Yu", "敖": "Ao", "巩": "Gong", "明": "Ming", "佘": "She", "池": "Chi", "查": "Zha",
    "麻": "Ma", "苑": "Yuan", "迟": "Chi", "邝": "Kuang", "区": "Ou", "朴": "Piao", "练": "Lian",
    "黃": "Huang", "陳": "Chen", "張": "Zhang", "劉": "Liu", "楊": "Yang", "趙": "Zhao", "吳": "Wu",
    "鄭": "Zheng", "謝": "Xie", "許": "Xu", "馮": "Feng", "鄧": "Deng", "蘇": "Su", "盧": "Lu",
}


def split_surname(name: str) -> tuple[str, str | None]:
    """The surname of a Chinese ``name`` and its pinyin (None when not in the tables).

    A compound surname of :data:`COMPOUND_SURNAMES` is taken when the name
    starts with one and is longer than it; otherwise the first character.
    ``name`` is stripped first; an empty name gives ``("", None)``.
    """
    name = name.strip()
    if not name:
        return "", None
    head = name[:2]
    if len(name) > 2 and head in COMPOUND_SURNAMES:
        return head, COMPOUND_SURNAMES[head]
    return name[0], SURNAMES.get(name[0])
