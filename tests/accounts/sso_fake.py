"""A local identity provider for the single sign-on tests, on a loopback port: an OpenID
Connect provider (discovery, authorize, token, userinfo, JWKS, with RS256-signed ID tokens)
and fakes of DingTalk's, Feishu's and WeCom's login endpoints. Each checks what the real one
checks (client id and secret, redirect URI, code, PKCE) and answers in the platform's shape.

A test sets `fake.user` (the account that "signs in" at the provider), follows PerfHub's
redirect to the authorize address with `fake.authorize(url)` (which answers the redirect
back to PerfHub's callback, as the user's browser would follow), then calls the callback."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "perfhub-client"
CLIENT_SECRET = "s3cret-of-the-client"  # noqa: S105 - a test fake's


class FakeProvider:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.user: dict = {}
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.requests: list[str] = []
        self.dingtalk_contacts: dict[str, str] = {}  # unionId → the contacts' userid
        self.sign_with = self.key  # a test may sign with another key
        self.client_id = CLIENT_ID
        self.client_secret = CLIENT_SECRET
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def issuer(self) -> str:
        return self.url + "/oidc"

    def authorize(self, url: str) -> str:
        """The provider's answer to the browser at its login page: the redirect back."""
        assert url.startswith(self.url), url  # nothing leaves the machine
        resp = requests.get(url, allow_redirects=False, timeout=5)
        assert resp.status_code == 302, (resp.status_code, resp.text)
        return resp.headers["Location"]

    # --- the server -----------------------------------------------------------------------
    def _new_code(self, query: dict, redirect_uri: str) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "user": dict(self.user),
            "redirect_uri": redirect_uri,
            "challenge": query.get("code_challenge"),
            "nonce": query.get("nonce"),
        }
        return code

    def _new_token(self, user: dict) -> str:
        token = secrets.token_urlsafe(16)
        self.tokens[token] = user
        return token

    def id_token(self, user: dict, nonce=None, **overrides) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": user["sub"],
            "iat": now,
            "exp": now + 300,
            "email": user.get("email"),
            "email_verified": user.get("email_verified", False),
        }
        if nonce:
            claims["nonce"] = nonce
        claims.update(overrides)
        return jwt.encode(claims, self.sign_with, algorithm="RS256", headers={"kid": self.kid})

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body=None, headers=None):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _query(self):
                return {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}

            def _body(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    return json.loads(raw or "{}")
                return {k: v[0] for k, v in parse_qs(raw).items()}

            def _bearer(self):
                auth = self.headers.get("Authorization", "")
                return fake.tokens.get(auth.removeprefix("Bearer ").strip())

            def _back(self, query, redirect_uri, code_name="code"):
                code = fake._new_code(query, redirect_uri)
                params = {code_name: code, "state": query.get("state", "")}
                self._send(302, headers={"Location": f"{redirect_uri}?{urlencode(params)}"})

            def do_GET(self):  # noqa: N802, C901 - one fake server, one dispatch
                path = urlparse(self.path).path
                fake.requests.append(path)
                q = self._query()
                if path == "/oidc/.well-known/openid-configuration":
                    return self._send(
                        200,
                        {
                            "issuer": fake.issuer,
                            "authorization_endpoint": fake.issuer + "/authorize",
                            "token_endpoint": fake.issuer + "/token",
                            "userinfo_endpoint": fake.issuer + "/userinfo",
                            "jwks_uri": fake.issuer + "/jwks",
                            "token_endpoint_auth_methods_supported": ["client_secret_post"],
                        },
                    )
                if path == "/oidc/jwks":
                    jwk = json.loads(RSAAlgorithm.to_jwk(fake.key.public_key()))
                    jwk.update({"kid": fake.kid, "alg": "RS256", "use": "sig"})
                    return self._send(200, {"keys": [jwk]})
                if path == "/oidc/authorize":
                    if q.get("client_id") != fake.client_id or q.get("response_type") != "code":
                        return self._send(400, {"error": "invalid_request"})
                    return self._back(q, q["redirect_uri"])
                if path == "/oidc/userinfo":
                    user = self._bearer()
                    if user is None:
                        return self._send(401, {"error": "invalid_token"})
                    return self._send(200, {k: v for k, v in user.items() if k != "corrupt"})
                if path == "/dingtalk/oauth2/auth":
                    if q.get("client_id") != fake.client_id or q.get("prompt") != "consent":
                        return self._send(400, {"error": "invalid_request"})
                    return self._back(q, q["redirect_uri"], code_name="authCode")
                if path == "/dingtalk/v1.0/contact/users/me":
                    user = fake.tokens.get(self.headers.get("x-acs-dingtalk-access-token", ""))
                    if user is None:
                        return self._send(401, {"code": "InvalidAuthentication"})
                    return self._send(200, user)
                if path == "/dingtalk/gettoken":
                    if (q.get("appkey"), q.get("appsecret")) != (
                        fake.client_id,
                        fake.client_secret,
                    ):
                        return self._send(200, {"errcode": 40089, "errmsg": "invalid appkey"})
                    token = fake._new_token({"corp": True})
                    return self._send(200, {"errcode": 0, "access_token": token})
                if path == "/feishu/open-apis/authen/v1/index":
                    if q.get("app_id") != fake.client_id:
                        return self._send(400, {"code": 20001})
                    return self._back(q, q["redirect_uri"])
                if path == "/feishu/open-apis/authen/v1/user_info":
                    user = self._bearer()
                    if user is None:
                        return self._send(200, {"code": 20005, "msg": "invalid access token"})
                    return self._send(200, {"code": 0, "data": user})
                if path == "/wecom/wwlogin/sso/login":
                    ok = q.get("appid") == fake.client_id and q.get("agentid") == "1000002"
                    if not ok or q.get("login_type") != "CorpApp":
                        return self._send(400, {"errcode": 40013})
                    return self._back(q, q["redirect_uri"])
                if path == "/wecom/cgi-bin/gettoken":
                    if (q.get("corpid"), q.get("corpsecret")) != (
                        fake.client_id,
                        fake.client_secret,
                    ):
                        return self._send(200, {"errcode": 40001, "errmsg": "invalid credential"})
                    token = fake._new_token({"corp": True})
                    return self._send(
                        200, {"errcode": 0, "access_token": token, "expires_in": 7200}
                    )
                if path == "/wecom/cgi-bin/auth/getuserinfo":
                    entry = fake.codes.pop(q.get("code", ""), None)
                    if q.get("access_token") not in fake.tokens or entry is None:
                        return self._send(200, {"errcode": 40029, "errmsg": "invalid code"})
                    fake.wecom_user = entry["user"]
                    return self._send(200, {"errcode": 0, "userid": entry["user"]["userid"]})
                if path == "/wecom/cgi-bin/user/get":
                    if q.get("access_token") not in fake.tokens:
                        return self._send(200, {"errcode": 40014, "errmsg": "invalid token"})
                    return self._send(200, {"errcode": 0, **fake.wecom_user})
                return self._send(404, {"error": "not found"})

            def do_POST(self):  # noqa: N802
                path = urlparse(self.path).path
                fake.requests.append(path)
                body = self._body()
                if path == "/oidc/token":
                    ok = (body.get("client_id"), body.get("client_secret")) == (
                        fake.client_id,
                        fake.client_secret,
                    )
                    entry = fake.codes.pop(body.get("code", ""), None)
                    if not ok or entry is None or entry["redirect_uri"] != body.get("redirect_uri"):
                        return self._send(400, {"error": "invalid_grant"})
                    if entry["challenge"]:
                        digest = hashlib.sha256(body.get("code_verifier", "").encode()).digest()
                        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                        if expected != entry["challenge"]:
                            return self._send(400, {"error": "invalid_grant"})
                    user = entry["user"]
                    return self._send(
                        200,
                        {
                            "access_token": fake._new_token(user),
                            "token_type": "Bearer",
                            "expires_in": 300,
                            "id_token": fake.id_token(user, entry["nonce"]),
                        },
                    )
                if path == "/dingtalk/v1.0/oauth2/userAccessToken":
                    ok = (body.get("clientId"), body.get("clientSecret")) == (
                        fake.client_id,
                        fake.client_secret,
                    )
                    entry = fake.codes.pop(body.get("code", ""), None)
                    if not ok or entry is None or body.get("grantType") != "authorization_code":
                        return self._send(400, {"code": "invalidCode"})
                    token = fake._new_token(entry["user"])
                    return self._send(
                        200, {"accessToken": token, "refreshToken": "r", "expireIn": 7200}
                    )
                if path == "/dingtalk/topapi/user/getbyunionid":
                    q = self._query()
                    staff = fake.dingtalk_contacts.get(body.get("unionid"))
                    if q.get("access_token") not in fake.tokens or staff is None:
                        return self._send(200, {"errcode": 60121, "errmsg": "no such user"})
                    return self._send(200, {"errcode": 0, "result": {"userid": staff}})
                if path == "/feishu/open-apis/auth/v3/app_access_token/internal/":
                    ok = (body.get("app_id"), body.get("app_secret")) == (
                        fake.client_id,
                        fake.client_secret,
                    )
                    if not ok:
                        return self._send(200, {"code": 10003, "msg": "invalid app"})
                    fake.app_token = secrets.token_urlsafe(8)
                    return self._send(200, {"code": 0, "app_access_token": fake.app_token})
                if path == "/feishu/open-apis/authen/v1/access_token":
                    entry = fake.codes.pop(body.get("code", ""), None)
                    if entry is None or body.get("app_access_token") != fake.app_token:
                        return self._send(200, {"code": 20003, "msg": "invalid code"})
                    token = fake._new_token(entry["user"])
                    return self._send(
                        200, {"code": 0, "data": {"access_token": token, "expires_in": 7200}}
                    )
                return self._send(404, {"error": "not found"})

        return Handler
