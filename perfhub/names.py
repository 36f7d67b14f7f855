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
