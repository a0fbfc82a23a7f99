"""WeCom group robot: markdown alerts to an HR group chat through its webhook (20 messages/min per key)."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlparse

import requests

from bot.api import DEFAULT_TIMEOUT, RETRYABLE, SendError
from models import OutboxItem

MAX_MARKDOWN_BYTES = 4096


def robot_recipient(webhook: str) -> str:
    """A stable, non-secret name for a webhook (its key is a secret): used for rate limits and records."""
    key = parse_qs(urlparse(webhook).query).get("key", [webhook])[0]
    return "robot:" + hashlib.sha256(key.encode()).hexdigest()[:12]


def clip_markdown(text: str, limit: int = MAX_MARKDOWN_BYTES) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 8].decode("utf-8", "ignore").rstrip() + "\n…"


class RobotSender:
    def __init__(self, webhook: str, http: requests.Session | None = None, timeout=DEFAULT_TIMEOUT):
        self.webhook = webhook
        self.http = http or requests.Session()
        self.timeout = timeout

    def send(self, item: OutboxItem) -> str | None:
        body: dict = {"msgtype": item.kind if item.kind in ("markdown", "text") else "markdown"}
        content = clip_markdown(item.text)
        if body["msgtype"] == "markdown":
            body["markdown"] = {"content": content}
        else:
            body["text"] = {"content": content, "mentioned_mobile_list": item.payload.get("mention_mobiles", [])}
        try:
            resp = self.http.post(self.webhook, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SendError(f"robot network error: {exc}", retryable=True) from exc
        if resp.status_code >= 500:
            raise SendError(f"robot HTTP {resp.status_code}", retryable=True)
        try:
            result = resp.json()
        except ValueError as exc:
            raise SendError("robot answered non-JSON", retryable=True) from exc
        code = int(result.get("errcode", 0) or 0)
        if code:
            raise SendError(f"robot errcode {code} {result.get('errmsg', '')}", code=code, retryable=code in RETRYABLE)
        return None
