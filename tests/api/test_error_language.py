"""API error messages come in the language of `Accept-Language` (Chinese included): DRF's
own messages, the serializers' and the services'."""

import re

import pytest

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{4,}")


def messages(body):
    if isinstance(body, str):
        yield body
    elif isinstance(body, list):
        for item in body:
            yield from messages(item)
    elif isinstance(body, dict):
        for key, value in body.items():
            if key not in {"conflicts"}:
                yield from messages(value)


def assert_chinese(response, status):
    assert response.status_code == status, response.content
    found = list(messages(response.json()))
    assert found
    for text in found:
        assert CJK.search(text), text
        assert not ENGLISH_WORD.search(text), text


def test_unauthenticated_answer_is_chinese(client):
    assert_chinese(client.get("/api/v1/orgs/", HTTP_ACCEPT_LANGUAGE="zh-hans"), 401)


def test_not_found_is_chinese(api, hr, org):
    response = api(hr).get(f"/api/v1/orgs/{org.slug}/kpis/999999/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert_chinese(response, 404)


def test_wrong_role_is_chinese(api, executive, org):
    response = api(executive).post(
        f"/api/v1/orgs/{org.slug}/departments/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert_chinese(response, 403)


def test_field_messages_are_chinese(api, hr, org):
    response = api(hr).post(
        f"/api/v1/orgs/{org.slug}/departments/",
        {"kind": "x9"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert_chinese(response, 400)
    assert {"name", "code", "kind"} <= set(response.json())


def test_service_messages_are_chinese(api, hr, org, sales_kpis, month):
    kpi = sales_kpis["sales_revenue"]
    response = api(hr).post(
        f"/api/v1/orgs/{org.slug}/actuals/",
        {"kpi": kpi.pk, "period": month.pk, "value": "1,5"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert_chinese(response, 400)
    assert "value" in response.json()


def test_same_errors_in_english(api, hr, org):
    response = api(hr).post(
        f"/api/v1/orgs/{org.slug}/departments/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert not any(CJK.search(t) for t in messages(response.json()))
