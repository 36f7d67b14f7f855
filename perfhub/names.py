"""How a person is named on pages, in files and in e-mails: their given and family names
(the User's `first_name` and `last_name`, set on the profile page) in the order their
language writes them, else their username.

Chinese names are written family name first without a space (王小明); other names given
name first (Anna Schmidt). A name is taken as Chinese when either part is written in CJK
characters, whatever the language of the page: 王小明 stays 王小明 on an English page.
"""

from __future__ import annotations

import re

# CJK radicals, kana, CJK unified ideographs (and extension A), compatibility ideographs.
_CJK = re.compile(r"[\u2e80-\u2fdf\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def person_name(given: str, family: str) -> str:
    """Given and family name joined in the right order; "" when both are blank."""
    given, family = (given or "").strip(), (family or "").strip()
    if _CJK.search(given) or _CJK.search(family):
        return f"{family}{given}"
    return " ".join(part for part in (given, family) if part)


def display_name(user) -> str:
    """The name to show for a user: their full name, else their username ("" for none)."""
    if user is None:
        return ""
    name = person_name(getattr(user, "first_name", ""), getattr(user, "last_name", ""))
    return name or user.get_username()


# Two-character (compound) family names common enough to meet in a contacts list; every
# other Chinese full name is taken as a one-character family name followed by the given
# name (王小明 → 王 + 小明). A name the table misses splits wrongly only in how it is
# stored: it is still shown whole (family then given name, no space).
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "呼延",
        "澹台",
        "公羊",
        "申屠",
        "太史",
        "闻人",
        "钟离",
        "万俟",
        "濮阳",
        "赫连",
        "百里",
    ]
)


def split_full_name(full: str) -> tuple[str, str]:
    """(given, family) of a full name as a contacts list writes it.

    A Chinese name (CJK characters, no space) is family name first: its first character,
    or its first two for a compound surname of COMPOUND_SURNAMES (欧阳娜娜 → 娜娜, 欧阳); a
    one-character name is all family name. Another name is given name(s) first, family name
    last ("Anna Maria Schmidt" → "Anna Maria", "Schmidt"); a single word is the given name.
    """
    full = " ".join((full or "").split())
    if not full:
        return "", ""
    if _CJK.search(full) and " " not in full:
        size = 2 if len(full) > 2 and full[:2] in COMPOUND_SURNAMES else 1
        return full[size:], full[:size]
    given, _space, family = full.rpartition(" ")
    if not given:
        return family, ""
    return given, family
