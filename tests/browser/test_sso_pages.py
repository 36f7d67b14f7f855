"""The sign-in page offers single sign-on, and an organization's sign-on page shows its
buttons and, when the organization switched passwords off, says so: in both languages at
375 px (nothing wider than the window), with the journeys' checks (axe, CSP, console, no
English left in Chinese). The demo organization gets an OpenID Connect sign-on and password
sign-in off for the test, then both are put back."""

from __future__ import annotations

import pytest

from .journey import Visitor

pytestmark = pytest.mark.browser

SETUP = """
from accounts.sso import services
from departments.models import Organization
from perfhub.tenancy import org_atomic
org = Organization.objects.get(slug="demo")
with org_atomic(org):
    services.signon_config_save(org=org, provider="oidc", by=None, client_id="perfhub",
        client_secret="x", server_url="https://sso.example.com/realms/demo", name="Keycloak")
    services.password_sign_in_set(org=org, allowed=False, by=None)
"""
TEARDOWN = """
from accounts.sso import services
from departments.models import Organization
from perfhub.tenancy import org_atomic
org = Organization.objects.get(slug="demo")
with org_atomic(org):
    services.password_sign_in_set(org=org, allowed=True, by=None)
    services.signon_config_delete(org=org, provider="oidc", by=None)
"""
NOT_WIDER = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_login_page_offers_sso_and_the_org_page_says_passwords_are_off(
    stack, browser, axe_source, lang
):
    stack.manage("shell", "-c", SETUP)
    context = browser.new_context(locale=lang, viewport={"width": 375, "height": 800})
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    try:
        v.goto("/accounts/login/")
        assert page.evaluate(NOT_WIDER)
        page.fill("#sso-org", "demo")
        page.click("form[action='/sso/'] button[type=submit]")
        page.wait_for_load_state()
        assert page.url == f"{stack.base_url}/sso/demo/"
        v.check()
        assert page.evaluate(NOT_WIDER)
        button = page.locator("button[data-sso=oidc]")
        assert button.is_visible()
        expected = "使用Keycloak登录" if lang == "zh-hans" else "Sign in with Keycloak"
        assert button.inner_text().strip() == expected
        notice = page.locator("[data-password-off]")
        assert notice.is_visible()
        expected = (
            "本组织的成员已不能用密码登录。"
            if lang == "zh-hans"
            else "Password sign-in is switched off for the members of this organization."
        )
        assert notice.inner_text().strip() == expected
        # A member's password is refused with the reason, after the right password.
        v.goto("/accounts/login/")
        page.fill("#id_username", "manager")
        page.fill("#id_password", "perfhub-demo")
        page.click("main form[method=post] button[type=submit]")
        page.wait_for_load_state()
        reason = (
            "你的组织只允许单点登录" if lang == "zh-hans" else "signs in with single sign-on only"
        )
        assert reason in page.locator("main").inner_text()
        assert page.evaluate(NOT_WIDER)
    finally:
        context.close()
        stack.manage("shell", "-c", TEARDOWN)
