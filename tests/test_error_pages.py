"""Error pages in production (DEBUG off): no traceback or exception detail, in both
languages; the 404 and 500 templates exist."""

import pytest
from django.template.loader import get_template
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"


def test_unhandled_exception_renders_the_500_page_without_details(production):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Server error" in page and "服务器错误" in page
    for leak in ("Traceback", "secret-detail", "hunter2", "RuntimeError", "boom", ".py"):
        assert leak not in page


@pytest.mark.parametrize(
    "language,text", [("en", "Not found"), ("zh-hans", "未找到")], ids=["en", "zh-hans"]
)
def test_404_page_is_translated_and_plain(production, language, text):
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert text in page
    assert "Traceback" not in page and "URLconf" not in page


def test_error_templates_exist():
    for name in ("400.html", "403.html", "404.html", "500.html"):
        assert get_template(name)


def test_malformed_request_page_is_translated(production):
    response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/", HTTP_HOST="bad host!")
    assert response.status_code == 400
    page = response.content.decode()
    assert "请求被拒绝" in page and "无法理解该请求" in page
    assert "Traceback" not in page and "DisallowedHost" not in page
