"""Numbers as people read them, in both languages (SPEC §5)."""

from decimal import Decimal

import pytest
from django.utils import translation

from metrics.templatetags.metrics_tags import readable


@pytest.mark.parametrize(
    "value,unit,zh,en",
    [
        (Decimal(5000000), "currency", "500万", "5,000,000"),
        (Decimal("1666666.67"), "currency", "166.67万", "1,666,666.67"),
        (Decimal(320000000), "currency", "3.2亿", "320,000,000"),
        (Decimal(9999), "currency", "9999", "9,999"),
        (Decimal("-25000"), "currency", "-2.5万", "-25,000"),
        (Decimal("85.5"), "percent", "85.5%", "85.5%"),
        (Decimal("12"), "minutes", "12 分钟", "12 min"),
        (Decimal("26.347273"), "hours", "26.35 小时", "26.35 h"),
        (Decimal("3"), "days", "3 天", "3 d"),
        (Decimal("0.25"), "ratio", "0.25", "0.25"),
        (None, "currency", "—", "—"),
    ],
)
def test_readable_numbers(value, unit, zh, en):
    with translation.override("zh-hans"):
        assert readable(value, unit) == zh
    with translation.override("en"):
        assert readable(value, unit) == en
