"""A feed's schedule in words (feeds.schedules), in both languages, and on its pages."""

import pytest
from django.urls import reverse

from feeds.schedules import in_words

from .conftest import sql_feed


@pytest.mark.parametrize(
    ("cron", "zh", "en"),
    [
        ("0 6 * * *", "在 06:00", "At 06:00"),
        ("30 7 1 * *", "在 07:30，每月的 1 号", "At 07:30, on day 1 of the month"),
        ("0 */2 * * 1-5", "每 2 小时，星期一 到 星期五", "Every 2 hours, Monday through Friday"),
        ("0 8 * * 1", "在 08:00，仅在 星期一", "At 08:00, only on Monday"),
        (
            "0 6 1 1,4,7,10 *",
            "在 06:00，每月的 1 号，仅在 1月，4月，7月和10月",
            "At 06:00, on day 1 of the month, only in January, April, July, and October",
        ),
        (
            "0 9 * * 1#1",
            "在 09:00，在 第一个星期一 每月",
            "At 09:00, on the first Monday of the month",
        ),
        ("", "", ""),
        ("not a cron", "", ""),
    ],
)
def test_a_schedule_in_words(cron, zh, en):
    assert in_words(cron, "zh-hans") == zh
    assert in_words(cron, "en") == en


@pytest.mark.django_db
@pytest.mark.usefixtures("feed_settings")
def test_the_feed_pages_show_the_schedule_in_words(org, admin, login, erp, loopback):
    feed = sql_feed(org, erp, schedule="30 7 * * 1-5")
    client = login(admin)
    for name, kwargs in (("feed_list", {}), ("feed_detail", {"pk": feed.pk})):
        path = reverse(name, kwargs={"slug": org.slug, **kwargs})
        client.cookies["django_language"] = "en"
        english = client.get(path)
        assert "At 07:30, Monday through Friday" in english.content.decode()
        client.cookies["django_language"] = "zh-hans"
        chinese = client.get(path).content.decode()
        assert "在 07:30，星期一 到 星期五" in chinese
        assert "<code>30 7 * * 1-5</code>" in chinese  # the cron itself stays shown
