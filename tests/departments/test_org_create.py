"""Creating an organization tells nobody which addresses (slugs) other organizations use,
and is rate-limited per user (audit finding #10)."""

import pytest
from django.urls import reverse

from departments.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Pages outside an organization speak the site's default language: English here."""
    settings.LANGUAGE_CODE = "en"


NEUTRAL = "This address is not available"


def test_api_answers_a_taken_address_as_an_invalid_one(api, outsider, org):
    taken = api(outsider).post("/api/v1/orgs/", {"name": "X", "slug": org.slug}, format="json")
    invalid = api(outsider).post("/api/v1/orgs/", {"name": "X", "slug": "a b"}, format="json")
    too_long = api(outsider).post("/api/v1/orgs/", {"name": "X", "slug": "a" * 61}, format="json")
    assert taken.status_code == invalid.status_code == too_long.status_code == 400
    assert taken.json() == invalid.json() == too_long.json()
    assert NEUTRAL in taken.json()["slug"][0]
    assert org.name not in taken.content.decode()


def test_page_answers_a_taken_address_as_an_invalid_one(client, outsider, org):
    client.force_login(outsider)
    url = reverse("org_list")
    errors = []
    for slug in (org.slug, "a b"):
        response = client.post(
            url,
            {
                "name": "X",
                "slug": slug,
                "language": "en",
                "currency": "CNY",
                "fiscal_year_start_month": 1,
            },
        )
        assert response.status_code == 200
        errors.append(response.context["form"].errors["slug"])
    assert errors[0] == errors[1] and NEUTRAL in errors[0][0]


def test_api_organization_creation_is_rate_limited_per_user(api, outsider, admin, settings):
    settings.PERFHUB_RATE_LIMITS = {**settings.PERFHUB_RATE_LIMITS, "organization_create": "2/h"}
    for n in range(2):
        body = {"name": f"N{n}", "slug": f"new-{n}"}
        assert api(outsider).post("/api/v1/orgs/", body, format="json").status_code == 201
    refused = api(outsider).post("/api/v1/orgs/", {"name": "N", "slug": "new-9"}, format="json")
    assert refused.status_code == 429
    assert "too many organizations" in refused.json()["detail"]
    assert not Organization.objects.filter(slug="new-9").exists()
    # Per user: another user still can.
    ok = api(admin).post("/api/v1/orgs/", {"name": "N", "slug": "new-9"}, format="json")
    assert ok.status_code == 201


def test_page_organization_creation_is_rate_limited_per_user(client, outsider, settings):
    settings.PERFHUB_RATE_LIMITS = {**settings.PERFHUB_RATE_LIMITS, "organization_create": "1/h"}
    client.force_login(outsider)
    form = {"name": "N", "language": "en", "currency": "CNY", "fiscal_year_start_month": 1}
    assert client.post(reverse("org_list"), {**form, "slug": "p-1"}).status_code == 302
    refused = client.post(reverse("org_list"), {**form, "slug": "p-2"})
    assert refused.status_code == 429
    assert "too many organizations" in refused.content.decode()
    assert not Organization.objects.filter(slug="p-2").exists()
