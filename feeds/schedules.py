"""A feed's schedule (a five-field cron, as django-celery-beat runs it) in words, in the
page's language: "At 06:00, Monday through Friday", "在 06:00，星期一 到 星期五".

cron-descriptor (already installed with django-celery-beat) writes the words; its Chinese
takes the names of days and months from the process's C locale, so English names are
replaced here by Chinese ones. Pure functions: no Django settings, no clock."""

from __future__ import annotations

import re

from cron_descriptor import ExpressionDescriptor, Options

_ZH_NAMES = {
    **dict(
        zip(
            ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
            ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"),
            strict=True,
        )
    ),
    **{
        name: f"{n}月"
        for n, name in enumerate(
            (
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ),
            start=1,
        )
    },
}
# (Not \b: in "第一个Monday" the name follows a letter of another script.)
_ZH_NAME = re.compile(r"(?<![A-Za-z])(" + "|".join(_ZH_NAMES) + r")(?![A-Za-z])")


def in_words(cron: str, language: str) -> str:
    """The schedule in words, "" when it is blank or cannot be read."""
    if not (cron or "").strip():
        return ""
    chinese = (language or "").lower().startswith("zh")
    options = Options()
    options.locale_code = "zh_CN" if chinese else "en_US"
    options.use_24hour_time_format = True
    try:
        words = ExpressionDescriptor(cron.strip(), options).get_description()
    except Exception:  # noqa: BLE001 - the library raises several kinds on a bad cron
        return ""
    if chinese:
        words = _ZH_NAME.sub(lambda m: _ZH_NAMES[m.group(1)], words)
        words = words.replace(", 和 ", "和").replace(", ", "，")
    return words
