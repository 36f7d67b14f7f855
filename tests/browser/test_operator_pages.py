"""The pages PerfHub takes from its libraries still work under the Content-Security-Policy:
the Django admin (with django-celery-beat's form) and the API's Swagger UI (DRF's browsable
API is off: the API answers JSON only). Each page renders what it is for, raises no script
error and the browser reports no violation of the policy."""

from __future__ import annotations

from urllib.parse import urlparse

import psycopg2
import pytest

from .journey import RECORD_CSP_VIOLATIONS

pytestmark = pytest.mark.browser


@pytest.fixture
def operator(stack):
    """The demo's admin made a superuser for the test."""
    url = urlparse(stack.db_url)._replace(scheme="postgresql").geturl()
    conn = psycopg2.connect(url)
    conn.autocommit = True

    def set_superuser(value: bool) -> None:
        with conn.cursor() as cur:
            cur.execute(
                "UPDATE auth_user SET is_staff = %s, is_superuser = %s WHERE username = 'admin'",
                [value, value],
            )

    set_superuser(True)
    try:
        yield "admin"
    finally:
        set_superuser(False)
        conn.close()


def test_admin_and_swagger_work_under_the_policy(stack, browser, operator):
    context = browser.new_context(locale="en", viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))

    def console(message):
        # A missing resource is reported below with its address (the admin has no favicon).
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(f"{page.url}: {message.text}")

    def response(answer):
        if answer.status >= 400 and not answer.url.endswith("/favicon.ico"):
            errors.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("response", response)
    department = stack.sql(
        "SELECT t.id FROM departments_department t JOIN departments_organization o"
        " ON o.id = t.organization_id WHERE o.slug = %s LIMIT 1",
        [stack.org],
    )[0][0]
    # (path, what shows that the page works)
    pages = [
        ("/admin/", "#content-main"),
        ("/admin/departments/department/", "#result_list"),
        (f"/admin/departments/department/{department}/change/", "#department_form"),
        ("/admin/django_celery_beat/periodictask/add/", "#periodictask_form"),
        ("/api/v1/docs/", ".swagger-ui .opblock"),
    ]
    try:
        page.goto(f"{stack.base_url}/admin/login/")
        page.fill("#id_username", operator)
        page.fill("#id_password", "perfhub-demo")
        with page.expect_navigation():
            page.click("input[type=submit]")
        # The admin works in one organization at a time: choose the demo's.
        page.goto(f"{stack.base_url}/admin/departments/organization/?q={stack.org}")
        page.locator("#result_list input.action-select").first.check()
        page.select_option("select[name=action]", "work_in")
        with page.expect_navigation():
            page.click("button[name=index]")
        for path, works in pages:
            response = page.goto(f"{stack.base_url}{path}")
            assert response is not None and response.status == 200, path
            assert "'nonce-" in response.headers["content-security-policy"], path
            page.locator(works).first.wait_for(timeout=15_000)
            violations = page.evaluate("window.__cspViolations")
            assert violations == [], (path, violations)
        # Swagger UI's own script ran: an operation opens when clicked.
        page.goto(f"{stack.base_url}/api/v1/docs/")
        page.locator(".swagger-ui .opblock-summary").first.click()
        page.locator(".swagger-ui .opblock-body").first.wait_for()
        assert page.evaluate("window.__cspViolations") == []
        assert errors == []
    finally:
        context.close()
