"""Feedback after actions (issue 16 §6): the error banner at the top of every page with a
link to each refused field (perfhub/templatetags/feedback_tags.py), and the confirmation
asked before destructive actions (data-confirm, static/perfhub/confirm.js)."""

import re

import pytest
from django.urls import reverse

from metrics import selectors as metric_selectors
from metrics.services.periods import period_lock
from metrics.services.templates import template_apply

pytestmark = pytest.mark.django_db


def _url(name, org, **kwargs):
    return reverse(name, kwargs={"slug": org.slug, **kwargs})


def test_reopen_without_reason_shows_the_banner_at_the_top(client, hr, org, periods):
    month = next(p for p in periods if p.kind == "month" and p.number == 11)
    period_lock(period=month, by=None)
    client.force_login(hr)
    response = client.post(_url("period_reopen", org, pk=month.pk), {"reason": "  "})
    page = response.content.decode()
    banner = page.index('id="error-banner"')
    assert banner < page.index("<h1")  # above the page, not 2,700 px down
    assert f'href="#reason-{month.pk}"' in page[banner:]  # the link to the field
    assert f'id="reason-{month.pk}"' in page  # ... which exists
    assert "Say why the period is reopened." in page[banner : page.index("<h1")]


def test_banner_links_to_a_plain_form_field(client, admin, org):
    client.force_login(admin)
    response = client.post(_url("org_settings", org), {"name": ""})
    page = response.content.decode()
    top = page[page.index('id="error-banner"') : page.index("<h1")]
    assert 'href="#id_name"' in top


def test_no_banner_without_errors(client, hr, org, periods):
    client.force_login(hr)
    assert 'id="error-banner"' not in client.get(_url("period_list", org)).content.decode()


def test_locking_asks_with_the_number_of_departments_it_stops(
    client, hr, org, periods, sales, library
):
    template_apply(
        template=metric_selectors.template_list(org=org).get(code="sales_standard"),
        departments=[sales],
        by=None,
    )
    client.force_login(hr)
    page = client.get(_url("period_list", org)).content.decode()
    month = next(p for p in periods if p.kind == "month" and p.number == 11)
    form = re.search(
        rf'<form method="post" action="{_url("period_lock", org, pk=month.pk)}"[^>]*>', page
    ).group(0)
    assert f"Locking {month.label} stops all entry for 1 department." in form
    year = next(p for p in periods if p.kind == "year")  # no KPI is entered per year
    form = re.search(
        rf'<form method="post" action="{_url("period_lock", org, pk=year.pk)}"[^>]*>', page
    ).group(0)
    assert f"Locking {year.label} freezes its scores." in form and "no entry stops" in form


def test_destructive_member_actions_ask_first(client, admin, hr, org):
    client.force_login(admin)
    page = client.get(_url("member_list", org)).content.decode()
    remove = re.findall(
        r'<form method="post" action="/o/acme/members/\d+/" data-confirm="([^"]*)"', page
    )
    assert remove and all("lose access" in text for text in remove)


def test_retiring_an_indicator_asks_first(client, hr, org, library):
    client.force_login(hr)
    page = client.get(_url("indicator_list", org)).content.decode()
    assert (
        page.count('data-confirm="Retire')
        == metric_selectors.indicator_list(org=org, active_only=True).count()
    )
