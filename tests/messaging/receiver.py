"""A local stand-in for the chat platforms' webhooks: a threaded http.server on a loopback
port that checks what DingTalk, WeCom and Feishu check (the signature scheme, the
timestamp's freshness, the token or key, the body's shape) and answers as they do. Tests
can queue answers (rate limits, errors) before the platform's "ok"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "tok-123"
DING_SECRET = "SECdingsecret0123456789"
WECOM_KEY = "wk-0001-key"
FEISHU_SECRET = "feishu-secret-abc"
FEISHU_HOOK = "hook-uuid-42"


@dataclass
class Received:
    platform: str
    path: str
    query: dict
    body: dict
    error: str = ""  # why it was refused ("" when accepted)


@dataclass
class Receiver:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    answers: dict[str, list[tuple[int, dict]]] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def dingtalk_url(self) -> str:
        return f"{self.base}/robot/send?access_token={TOKEN}"

    def wecom_url(self, with_key=True) -> str:
        return f"{self.base}/cgi-bin/webhook/send" + (f"?key={WECOM_KEY}" if with_key else "")

    def feishu_url(self) -> str:
        return f"{self.base}/open-apis/bot/v2/hook/{FEISHU_HOOK}"

    def answer_next(self, platform: str, status: int, body: dict) -> None:
        self.answers.setdefault(platform, []).append((status, body))

    def accepted(self, platform=None) -> list[Received]:
        return [r for r in self.received if not r.error and platform in (None, r.platform)]


def _b64_hmac(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


def check_dingtalk(query: dict, body: dict) -> str:
    if query.get("access_token") != [TOKEN]:
        return "310000: token"
    ts, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
    if not ts.isdigit() or abs(int(ts) - time.time() * 1000) > 3600_000:
        return "310000: timestamp"
    expected = _b64_hmac(DING_SECRET.encode(), f"{ts}\n{DING_SECRET}".encode())
    if sign != expected:  # parse_qs has undone the URL encoding
        return "310000: sign not match"
    if body.get("msgtype") != "markdown" or not {"title", "text"} <= set(body["markdown"]):
        return "40035: msgtype"
    return ""


def check_wecom(query: dict, body: dict) -> str:
    if query.get("key") != [WECOM_KEY]:
        return "93000: invalid webhook url"
    content = body.get("markdown", {}).get("content", "")
    if body.get("msgtype") != "markdown" or not content:
        return "40008: invalid message type"
    if len(content.encode()) > 4096:
        return "40058: content exceeds 4096 bytes"
    return ""


def check_feishu(path: str, body: dict) -> str:
    if not path.endswith(f"/hook/{FEISHU_HOOK}"):
        return "19001: param invalid: incoming webhook access token invalid"
    ts, sign = str(body.get("timestamp", "")), body.get("sign", "")
    if not ts.isdigit() or abs(int(ts) - time.time()) > 3600:
        return "19021: sign match fail or timestamp is not within one hour from current time"
    if sign != _b64_hmac(f"{ts}\n{FEISHU_SECRET}".encode(), b""):
        return "19021: sign match fail or timestamp is not within one hour from current time"
    card = body.get("card", {})
    if body.get("msg_type") != "interactive" or "header" not in card or "elements" not in card:
        return "9499: Bad Request"
    return ""


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        if parts.path.startswith("/robot/"):
            platform, error = "dingtalk", check_dingtalk(query, body)
        elif parts.path.startswith("/cgi-bin/webhook/"):
            platform, error = "wecom", check_wecom(query, body)
        else:
            platform, error = "feishu", check_feishu(parts.path, body)
        self.receiver.received.append(Received(platform, parts.path, query, body, error))
        queued = self.receiver.answers.get(platform)
        if queued:
            status, answer = queued.pop(0)
        elif error:
            code, _sep, message = error.partition(": ")
            status = 200
            answer = (
                {"code": int(code), "msg": message, "data": {}}
                if platform == "feishu"
                else {"errcode": int(code), "errmsg": message}
            )
        else:
            status = 200
            answer = (
                {"code": 0, "msg": "success", "data": {}}
                if platform == "feishu"
                else {"errcode": 0, "errmsg": "ok"}
            )
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def start(port: int = 0) -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver()
    handler = type("Handler", (_Handler,), {"receiver": receiver})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    receiver.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
