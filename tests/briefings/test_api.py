"""orgs/<slug>/briefings/: list, ask for one (202), its status, its PDF. Admin, HR and
executives; a manager 403; another organization 404; bad input 400 naming the field."""

import pytest
from django.urls import reverse

from briefings.models import Briefing

from .conftest import FAKE_PDF

pytestmark = pytest.mark.django_db


def _url(org, name="api-briefings", **kwargs):
    return reverse(name, kwargs={"org_slug": org.slug, **kwargs})


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 202), ("hr", 202), ("executive", 202), ("manager", 403), ("outsider", 404)],
)
def test_asking_for_a_book_by_role(
    role,
    status,
    role_users,
    api,
    org,
    months,
    fake_render,
    eager,
    django_capture_on_commit_callbacks,
):
    client = api(role_users[role])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(org), {"period": months[2].pk, "language": "en"}, format="json")
    assert response.status_code == status, response.content
    if status != 202:
        assert not Briefing.objects.for_org(org).exists()
        assert client.get(_url(org)).status_code == status
        return
    book = response.json()
    assert (book["period"], book["language"], book["period_label"]) == (
        months[2].pk,
        "en",
        "2026-03",
    )
    status_url = _url(org, "api-briefing", pk=book["id"])
    assert client.get(status_url).json()["state"] == "done"
    pdf = client.get(_url(org, "api-briefing-pdf", pk=book["id"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content == FAKE_PDF
    assert 'filename="briefing-2026-03-en.pdf"' in pdf["Content-Disposition"]
    listed = client.get(_url(org)).json()
    assert [b["id"] for b in listed["results"]] == [book["id"]]


def test_bad_input_names_the_field(api, org, hr, other_org, months):
    from metrics.services.periods import periods_generate

    foreign = periods_generate(org=other_org, fiscal_year=2026, by=None)[0]
    client = api(hr)
    for body, field in [
        ({"period": months[0].pk, "language": "fr"}, "language"),
        ({"period": foreign.pk, "language": "en"}, "period"),
        ({"period": "x", "language": "en"}, "period"),
        ({"language": "en"}, "period"),
        ({"period": months[0].pk, "language": "en", "colour": "red"}, "colour"),
    ]:
        response = client.post(_url(org), body, format="json")
        assert response.status_code == 400, body
        assert field in response.json(), response.json()
    assert not Briefing.objects.for_org(org).exists()


def test_another_organizations_book_is_404_and_an_unfinished_pdf_too(
    api, org, other_org, hr, outsider, months
):
    book = Briefing.objects.create(organization=org, period=months[2], language="en")
    assert api(hr).get(_url(org, "api-briefing-pdf", pk=book.pk)).status_code == 404  # queued
    client = api(outsider)
    for name in ("api-briefing", "api-briefing-pdf"):
        assert client.get(_url(other_org, name, pk=book.pk)).status_code == 404
        assert client.get(_url(org, name, pk=book.pk)).status_code == 404
