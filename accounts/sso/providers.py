"""allauth providers for the four kinds of sign-on, with the platforms' addresses taken
from settings (PERFHUB_SSO_*: tests point them at a local fake) and the callback address
built from SITE_URL and the organization (`/sso/<slug>/<provider>/callback/`), never from
the request's Host header.

Each provider also says which of the platform's ids may match a MemberIdentity
(`member_uids`, the first is stored on a link by e-mail) and which e-mail addresses the
platform vouches for (`verified_emails`)."""

from __future__ import annotations

from urllib.parse import urlencode

import requests
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.providers.base import ProviderAccount
from allauth.socialaccount.providers.dingtalk.provider import DingTalkProvider
from allauth.socialaccount.providers.dingtalk.views import DingTalkOAuth2Adapter
from allauth.socialaccount.providers.feishu.client import FeishuOAuth2Client
from allauth.socialaccount.providers.feishu.provider import FeishuProvider
from allauth.socialaccount.providers.feishu.views import FeishuOAuth2Adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider
from allauth.socialaccount.providers.oauth2.views import OAuth2Adapter
from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider,
    _pick_data,
)
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.urls import reverse

from departments.models import IdentityProvider

# IdentityProvider value → allauth provider id.
ALLAUTH_IDS = {
    IdentityProvider.DINGTALK: "dingtalk",
    IdentityProvider.FEISHU: "feishu",
    IdentityProvider.WECOM: "wecom",
    IdentityProvider.OIDC: "openid_connect",
}


def callback_url(slug: str, provider: str) -> str:
    """The redirect URI to register at the provider for this organization."""
    path = reverse("sso_callback", kwargs={"address": slug, "provider": provider})
    return settings.SITE_URL.rstrip("/") + path


class _OrgCallback:
    """The callback of the organization whose configuration the request uses (set by
    accounts.sso.views on the request before allauth runs)."""

    def get_callback_url(self, request, app):
        config = request.sso_config
        return callback_url(config.organization.slug, config.provider)


def _strings(*values) -> list[str]:
    return [str(v) for v in values if v not in (None, "")]


# --- DingTalk ---------------------------------------------------------------------------
class DingTalkAdapter(_OrgCallback, DingTalkOAuth2Adapter):
    @property
    def authorize_url(self):
        return settings.PERFHUB_SSO_DINGTALK_LOGIN_URL.rstrip("/") + "/oauth2/auth"

    @property
    def access_token_url(self):
        return settings.PERFHUB_SSO_DINGTALK_API_URL.rstrip("/") + "/v1.0/oauth2/userAccessToken"

    @property
    def profile_url(self):
        return settings.PERFHUB_SSO_DINGTALK_API_URL.rstrip("/") + "/v1.0/contact/users/me"

    def complete_login(self, request, app, token, **kwargs):
        login = super().complete_login(request, app, token, **kwargs)
        userid = self._contacts_userid(app, login.account.extra_data.get("unionId"))
        if userid:
            login.account.extra_data["userid"] = userid
        return login

    def _contacts_userid(self, app, union_id) -> str:
        """The member's userid in the company's contacts (what a contacts export and the
        org-chart import hold), from the unionId, with the application's own token
        (`gettoken`, `topapi/user/getbyunionid`). "" when DingTalk does not say (an app
        without the contacts permission, a user of another company): the unionId is then
        matched alone."""
        if not union_id:
            return ""
        base = settings.PERFHUB_SSO_DINGTALK_OAPI_URL.rstrip("/")
        try:
            with get_adapter().get_requests_session() as session:
                token = session.get(
                    base + "/gettoken", params={"appkey": app.client_id, "appsecret": app.secret}
                ).json()
                if token.get("errcode") != 0:
                    return ""
                found = session.post(
                    base + "/topapi/user/getbyunionid",
                    params={"access_token": token["access_token"]},
                    json={"unionid": union_id},
                ).json()
        except (requests.RequestException, ValueError):
            return ""
        if found.get("errcode") != 0:
            return ""
        return str((found.get("result") or {}).get("userid") or "")


class DingTalk(DingTalkProvider):
    oauth2_adapter_class = DingTalkAdapter

    def get_auth_params(self):
        return {**super().get_auth_params(), "prompt": "consent"}

    def member_uids(self, data: dict) -> list[str]:
        # userid: the contacts' id (the import's); unionId: the same for every application
        # of the company; openId: per application.
        return _strings(data.get("userid"), data.get("unionId"), data.get("openId"))

    def verified_emails(self, data: dict) -> list[str]:
        return []  # a DingTalk account's e-mail is the user's own, not verified by the company


# --- Feishu -----------------------------------------------------------------------------
def _feishu(path: str) -> str:
    return settings.PERFHUB_SSO_FEISHU_URL.rstrip("/") + path


class FeishuClient(FeishuOAuth2Client):
    @property
    def app_access_token_url(self):
        return _feishu("/open-apis/auth/v3/app_access_token/internal/")


class FeishuAdapter(_OrgCallback, FeishuOAuth2Adapter):
    @property
    def authorization_url(self):
        return _feishu("/open-apis/authen/v1/index")

    @property
    def access_token_url(self):
        return _feishu("/open-apis/authen/v1/access_token")

    @property
    def user_info_url(self):
        return _feishu("/open-apis/authen/v1/user_info")

    def get_client(self, request, app):
        return FeishuClient(
            request,
            app.client_id,
            app.secret,
            self.access_token_method,
            self.access_token_url,
            self.get_callback_url(request, app),
        )


class Feishu(FeishuProvider):
    oauth2_adapter_class = FeishuAdapter

    def member_uids(self, data: dict) -> list[str]:
        # user_id is the id of the company's contacts (and of its export).
        return _strings(data.get("user_id"), data.get("open_id"), data.get("union_id"))

    def verified_emails(self, data: dict) -> list[str]:
        return _strings(data.get("enterprise_email"))  # given by the company


# --- WeCom ------------------------------------------------------------------------------
def _wecom_api(path: str) -> str:
    return settings.PERFHUB_SSO_WECOM_API_URL.rstrip("/") + path


class WeComClient(OAuth2Client):
    """WeCom's web login: the browser goes to the login page with the corp id and agent id;
    the code is then exchanged for the member's userid with the application's access token
    (WeCom's `gettoken` + `auth/getuserinfo`, not a standard token request)."""

    agent_id = ""

    def get_redirect_url(self, authorization_url, scope, extra_params) -> str:
        params = {
            "login_type": "CorpApp",
            "appid": self.consumer_key,
            "agentid": self.agent_id,
            "redirect_uri": self.callback_url,
        }
        if self.state:
            params["state"] = self.state
        return f"{authorization_url}?{urlencode(params)}"

    def _get(self, url: str, params: dict) -> dict:
        with get_adapter().get_requests_session() as session:
            resp = session.get(url, params=params)
            resp.raise_for_status()
            data = resp.json()
        if not isinstance(data, dict) or data.get("errcode", 0) != 0:
            raise OAuth2Error(f"WeCom refused: {data!r}"[:500])
        return data

    def get_access_token(self, code, pkce_code_verifier=None, extra_data=None):
        token = self._get(
            _wecom_api("/cgi-bin/gettoken"),
            {"corpid": self.consumer_key, "corpsecret": self.consumer_secret},
        )["access_token"]
        who = self._get(
            _wecom_api("/cgi-bin/auth/getuserinfo"), {"access_token": token, "code": code}
        )
        if not who.get("userid"):
            raise OAuth2Error("WeCom: not a member of the company")  # an outsider's openid
        return {"access_token": token, "userid": who["userid"]}


class WeComAdapter(_OrgCallback, OAuth2Adapter):
    provider_id = "wecom"
    client_class = WeComClient

    @property
    def authorize_url(self):
        return settings.PERFHUB_SSO_WECOM_LOGIN_URL.rstrip("/") + "/wwlogin/sso/login"

    @property
    def access_token_url(self):
        return _wecom_api("/cgi-bin/gettoken")

    def get_client(self, request, app):
        client = super().get_client(request, app)
        client.agent_id = app.settings.get("agent_id", "")
        return client

    def parse_token(self, data):
        token = super().parse_token(data)
        token.token_secret = ""
        return token

    def complete_login(self, request, app, token, **kwargs):
        userid = kwargs["response"]["userid"]
        client = self.get_client(request, app)
        data = client._get(
            _wecom_api("/cgi-bin/user/get"), {"access_token": token.token, "userid": userid}
        )
        data["userid"] = userid
        return self.get_provider().sociallogin_from_response(request, data)


class WeComAccount(ProviderAccount):
    def to_str(self):
        return self.account.extra_data.get("name") or super().to_str()


class WeCom(OAuth2Provider):
    id = "wecom"
    name = "WeCom"
    account_class = WeComAccount
    oauth2_adapter_class = WeComAdapter
    pkce_enabled_default = False

    def extract_uid(self, data):
        return str(data["userid"])

    def extract_common_fields(self, data):
        return {"name": data.get("name")}

    def member_uids(self, data: dict) -> list[str]:
        return _strings(data.get("userid"))

    def verified_emails(self, data: dict) -> list[str]:
        return _strings(data.get("biz_mail"))  # the company mailbox


# --- OpenID Connect ---------------------------------------------------------------------
class OidcAdapter(_OrgCallback, OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app, id_token: str) -> dict:
        # Checked whatever the channel it came by (allauth skips the signature when the
        # token came straight from the token endpoint): issuer, audience, expiry, signature.
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )


class Oidc(OpenIDConnectProvider):
    oauth2_adapter_class = OidcAdapter

    def member_uids(self, data: dict) -> list[str]:
        return _strings(_pick_data(data).get("sub"), (data.get("id_token") or {}).get("sub"))

    def verified_emails(self, data: dict) -> list[str]:
        found = []
        for part in (data.get("userinfo") or {}, data.get("id_token") or {}):
            if part.get("email") and part.get("email_verified") in (True, "true"):
                found.append(str(part["email"]))
        return found


provider_classes = [DingTalk, Feishu, WeCom, Oidc]
