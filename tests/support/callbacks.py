"""Test clients that talk to our callback endpoints the way WeCom and the Official Account do."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from defusedxml.ElementTree import fromstring

from tests.support import signing


def _field(xml: str, name: str) -> str:
    el = fromstring(xml).find(name)
    return "" if el is None else (el.text or "")


@dataclass
class Sent:
    status: int
    body: str
    reply: str | None  # the passive reply's text content, decrypted, or None for "success"


class WeComClient:
    """Signs and encrypts like WeCom: msg_signature over (token, timestamp, nonce, Encrypt)."""

    path = "/wecom/callback"
    name = "wecom"

    def __init__(self, client, clock, cfg):
        self.client, self.clock = client, clock
        self.token, self.aes_key, self.receiver = cfg["WECOM_TOKEN"], cfg["WECOM_AES_KEY"], cfg["WECOM_CORP_ID"]
        self.agent_id = cfg["WECOM_AGENT_ID"]
        self.nonce = "1372623149"

    def ts(self, skew: int = 0) -> str:
        return str(int(self.clock.now().timestamp()) + skew)

    def verify(self, echo_plain: str, *, bad: bool = False, skew: int = 0):
        ts = self.ts(skew)
        echo = signing.encrypt(echo_plain, self.aes_key, self.receiver)
        sig = signing.signature(self.token, ts, self.nonce, echo)
        if bad:
            sig = "0" * 40
        q = urlencode({"msg_signature": sig, "timestamp": ts, "nonce": self.nonce, "echostr": echo})
        return self.client.get(f"{self.path}?{q}")

    def inner_text(self, user: str, text: str, msg_id: str) -> str:
        return signing.text_xml(to=self.receiver, sender=user, content=text, msg_id=msg_id,
                                create_time=int(self.clock.now().timestamp()), agent_id=self.agent_id)

    def post_xml(self, inner: str, *, bad: bool = False, skew: int = 0, receiver: str | None = None) -> Sent:
        ts = self.ts(skew)
        enc = signing.encrypt(inner, self.aes_key, receiver or self.receiver)
        sig = "0" * 40 if bad else signing.signature(self.token, ts, self.nonce, enc)
        return self.post_raw(signing.envelope(enc, self.receiver), sig=sig, ts=ts)

    def post_raw(self, body: str | bytes, *, sig: str = "", ts: str | None = None) -> Sent:
        q = urlencode({"msg_signature": sig, "timestamp": ts or self.ts(), "nonce": self.nonce})
        resp = self.client.post(f"{self.path}?{q}", data=body, content_type="text/xml")
        return Sent(resp.status_code, resp.get_data(as_text=True), self._reply(resp))

    def post_text(self, user: str, text: str, msg_id: str = "10001", **kw) -> Sent:
        return self.post_xml(self.inner_text(user, text, msg_id), **kw)

    def post_unparsed(self, body: bytes) -> Sent:
        """Post a body as-is with every signature a real platform would add (the body is never read for them)."""
        return self.post_raw(body, sig=signing.signature(self.token, self.ts(), self.nonce, "unparsed"))

    def _reply(self, resp) -> str | None:
        body = resp.get_data(as_text=True)
        if resp.status_code != 200 or not body.startswith("<xml>"):
            return None
        enc = _field(body, "Encrypt")
        assert _field(body, "MsgSignature") == signing.signature(self.token, _field(body, "TimeStamp"), _field(body, "Nonce"), enc)
        plain, receiver = signing.decrypt(enc, self.aes_key)
        assert receiver == self.receiver
        return _field(plain, "Content")


class WeChatSafeClient(WeComClient):
    """The Official Account in safe mode: plain `signature` plus `msg_signature` over Encrypt, encrypt_type=aes."""

    path = "/wechat/callback"
    name = "wechat_safe"

    def __init__(self, client, clock, cfg):
        self.client, self.clock = client, clock
        self.token, self.aes_key, self.receiver = cfg["WECHAT_TOKEN"], cfg["WECHAT_AES_KEY"], cfg["WECHAT_APP_ID"]
        self.agent_id = None
        self.nonce = "1320562132"

    def verify(self, echo_plain: str, *, bad: bool = False, skew: int = 0):
        ts = self.ts(skew)
        sig = "0" * 40 if bad else signing.signature(self.token, ts, self.nonce)
        q = urlencode({"signature": sig, "timestamp": ts, "nonce": self.nonce, "echostr": echo_plain})
        return self.client.get(f"{self.path}?{q}")

    def post_raw(self, body: str | bytes, *, sig: str = "", ts: str | None = None, plain_sig: str | None = None) -> Sent:
        ts = ts or self.ts()
        good_plain = signing.signature(self.token, ts, self.nonce)
        q = urlencode({"signature": plain_sig or (good_plain if sig != "0" * 40 else "0" * 40), "timestamp": ts,
                       "nonce": self.nonce, "encrypt_type": "aes", "msg_signature": sig, "openid": "x"})
        resp = self.client.post(f"{self.path}?{q}", data=body, content_type="text/xml")
        return Sent(resp.status_code, resp.get_data(as_text=True), self._reply(resp))


class WeChatPlainClient(WeChatSafeClient):
    """The Official Account in plain mode: only `signature` over (token, timestamp, nonce); XML in the clear."""

    name = "wechat_plain"

    def post_unparsed(self, body: bytes) -> Sent:
        return self.post_raw(body)

    def post_xml(self, inner: str, *, bad: bool = False, skew: int = 0, receiver: str | None = None) -> Sent:
        ts = self.ts(skew)
        sig = "0" * 40 if bad else signing.signature(self.token, ts, self.nonce)
        return self.post_raw(inner, sig=sig, ts=ts)

    def post_raw(self, body: str | bytes, *, sig: str = "", ts: str | None = None) -> Sent:
        ts = ts or self.ts()
        sig = sig or signing.signature(self.token, ts, self.nonce)
        q = urlencode({"signature": sig, "timestamp": ts, "nonce": self.nonce, "openid": "x"})
        resp = self.client.post(f"{self.path}?{q}", data=body, content_type="text/xml")
        body_text = resp.get_data(as_text=True)
        reply = _field(body_text, "Content") if resp.status_code == 200 and body_text.startswith("<xml>") else None
        return Sent(resp.status_code, body_text, reply)
