"""The chat platforms' webhook formats: how a message is signed, what its body looks like
and what an answer means. Pure functions (no database, no network), checked against a
local receiver in tests/messaging/receiver.py. The schemes are described in
docs/messaging.md.

- DingTalk custom robot: POST to `https://oapi.dingtalk.com/robot/send?access_token=…`;
  with "sign" security, add `timestamp` (milliseconds) and `sign` =
  base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")), URL-encoded, to the
  query. Body: `markdown` msgtype (title, text); people are @-mentioned by `at.atUserIds`
  and `@userid` in the text. Answer `{"errcode": 0, "errmsg": "ok"}`.
- WeCom group robot: POST to `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`.
  Body: `markdown` msgtype (content, at most 4096 bytes); `<@userid>` mentions.
  Answer `{"errcode": 0, "errmsg": "ok"}`.
- Feishu / Lark custom bot: POST to `https://open.feishu.cn/open-apis/bot/v2/hook/…`;
  with signature verification, the body carries `timestamp` (seconds) and `sign` =
  base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")). Body: `interactive` card
  (header, lark_md text, a button to the page); `<at id=…></at>` mentions. Answer
  `{"code": 0, "msg": "success"}` (older bots: `StatusCode`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DINGTALK, WECOM, FEISHU = "dingtalk", "wecom", "feishu"

# Answers that mean "too many messages, try later" (besides HTTP 429 and 5xx).
RATE_LIMIT_CODES = {
    DINGTALK: {130101, 410100},  # "send too fast" (20 messages a minute per robot)
    WECOM: {45009},  # "api freq out of limit" (20 a minute per robot)
    FEISHU: {9499, 11232, 230020},  # "too many request", message rate limits
}
WECOM_MAX_BYTES = 4096


@dataclass(frozen=True)
class Message:
    """What a channel says: a title, a few lines of markdown and the page it links to."""

    title: str
    text: str
    url: str
    link_label: str = "Open"
    mentions: tuple[str, ...] = field(default=())  # the platform's user ids


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retry: bool = False  # a rate limit or a server/network trouble: try again later
    error: str = ""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature (base64, before URL encoding)."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: the key is timestamp and secret, the message is empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _with_query(url: str, extra: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in extra]
    return urlunsplit(parts._replace(query=urlencode([*query, *extra.items()])))


def _markdown(message: Message, mention) -> str:
    lines = [message.text.strip(), f"[{message.link_label}]({message.url})"]
    if message.mentions:
        lines.append(" ".join(mention(uid) for uid in message.mentions))
    return "\n\n".join(line for line in lines if line)


def dingtalk_request(url: str, secret: str, message: Message, now: float) -> tuple[str, dict]:
    if secret:
        ts = int(now * 1000)
        url = _with_query(url, {"timestamp": str(ts), "sign": dingtalk_sign(secret, ts)})
    body = {
        "msgtype": "markdown",
        "markdown": {
            "title": message.title,
            "text": f"#### {message.title}\n\n" + _markdown(message, lambda uid: f"@{uid}"),
        },
        "at": {"atUserIds": list(message.mentions), "isAtAll": False},
    }
    return url, body


def wecom_request(url: str, key: str, message: Message, now: float) -> tuple[str, dict]:
    if key:
        url = _with_query(url, {"key": key})
    content = f"**{message.title}**\n" + _markdown(message, lambda uid: f"<@{uid}>")
    encoded = content.encode()
    if len(encoded) > WECOM_MAX_BYTES:  # the platform refuses longer; cut on a character
        content = encoded[: WECOM_MAX_BYTES - 3].decode(errors="ignore") + "…"
    return url, {"msgtype": "markdown", "markdown": {"content": content}}


def feishu_request(url: str, secret: str, message: Message, now: float) -> tuple[str, dict]:
    text = message.text.strip()
    if message.mentions:
        text += "\n" + " ".join(f"<at id={uid}></at>" for uid in message.mentions)
    body: dict = {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {
                "title": {"tag": "plain_text", "content": message.title},
                "template": "blue",
            },
            "elements": [
                {"tag": "div", "text": {"tag": "lark_md", "content": text}},
                {
                    "tag": "action",
                    "actions": [
                        {
                            "tag": "button",
                            "text": {"tag": "plain_text", "content": message.link_label},
                            "type": "primary",
                            "url": message.url,
                        }
                    ],
                },
            ],
        },
    }
    if secret:
        ts = int(now)
        body = {"timestamp": str(ts), "sign": feishu_sign(secret, ts), **body}
    return url, body


REQUESTS = {DINGTALK: dingtalk_request, WECOM: wecom_request, FEISHU: feishu_request}


def build_request(kind: str, url: str, secret: str, message: Message, now: float):
    """(URL, JSON body) of the POST that sends `message` to a robot of `kind`."""
    return REQUESTS[kind](url, secret, message, now)


def interpret(kind: str, status: int, answer) -> Outcome:
    """What the platform's answer (HTTP status, parsed JSON or None) means."""
    if status == 429 or status >= 500:
        return Outcome(False, retry=True, error=f"HTTP {status}")
    if not isinstance(answer, dict):
        return Outcome(False, retry=False, error=f"HTTP {status}: not a JSON answer")
    if kind == FEISHU:
        code = answer.get("code", answer.get("StatusCode"))
        message = answer.get("msg", answer.get("StatusMessage", ""))
    else:
        code, message = answer.get("errcode"), answer.get("errmsg", "")
    if status == 200 and code == 0:
        return Outcome(True)
    retry = code in RATE_LIMIT_CODES[kind]
    return Outcome(
        False, retry=retry, error=f"{code}: {message}" if code is not None else f"HTTP {status}"
    )
