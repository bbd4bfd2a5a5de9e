"""Customers' short names: how a sales team says a customer's name after its first
mention, without the legal form and, in Chinese, without the city the name starts with.

>>> short_name("上海恒通机械有限公司"), short_name("Copper Creek Foods LLC")
('恒通机械', 'Copper Creek Foods')
"""

from __future__ import annotations

__all__ = ["short_name"]

#: Legal-form endings a short name leaves out (the longest that matches is removed).
_LEGAL_FORMS: tuple[str, ...] = tuple(
    sorted(
        [
            "股份有限公司",
            "有限责任公司",
            "集团有限公司",
            "有限公司",
            "集团公司",
            "股份公司",
            "公司",
            ", Inc.",
            " Inc.",
            " Inc",
            ", LLC",
            " LLC",
            " Ltd.",
            " Ltd",
            " Co., Ltd.",
            " GmbH & Co. KG",
            " GmbH",
            " AG",
            " S.A.",
            " SE",
            " plc",
            " Corp.",
            " Corporation",
            " Company",
            " Co.",
            " Corp",
        ],
        key=len,
        reverse=True,
    )
)
#: Places a Chinese company name starts with that its short name leaves out.
_PLACES: tuple[str, ...] = (
    "上海",
    "北京",
    "天津",
    "重庆",
    "广州",
    "深圳",
    "苏州",
    "杭州",
    "南京",
    "无锡",
    "宁波",
    "武汉",
    "成都",
    "西安",
    "青岛",
    "济南",
    "合肥",
    "长沙",
    "郑州",
    "东莞",
    "佛山",
    "厦门",
    "福州",
    "大连",
    "沈阳",
    "常州",
    "嘉兴",
    "江苏",
    "浙江",
    "广东",
    "山东",
    "绍兴",
    "温州",
    "台州",
    "金华",
    "湖州",
    "南通",
    "扬州",
    "徐州",
    "昆山",
    "烟台",
    "潍坊",
    "珠海",
    "中山",
    "惠州",
    "石家庄",
    "太原",
    "哈尔滨",
    "长春",
    "昆明",
    "南昌",
    "南宁",
    "贵阳",
    "兰州",
    "江西",
    "河北",
    "河南",
    "湖北",
    "湖南",
    "四川",
    "福建",
    "安徽",
)


def short_name(account: str) -> str:
    """A customer's name as people say it after the first mention: without its legal
    form, and a Chinese name without the city or province it starts with (only when a
    name of at least two characters is left).

    >>> short_name("苏州海天电气股份有限公司"), short_name("Acme"), short_name("深圳市华强电子有限公司")
    ('海天电气', 'Acme', '华强电子')
    """
    name = account.strip()
    for form in _LEGAL_FORMS:
        if name.endswith(form) and len(name) > len(form) + 1:
            name = name[: -len(form)].rstrip(" ,")
            break
    for place in _PLACES:
        rest = name.removeprefix(place).lstrip("市省")
        if name.startswith(place) and len(rest) >= len(place):
            name = rest
            break
    return name or account
