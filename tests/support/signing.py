"""Sign and encrypt inbound callbacks exactly as WeCom and the Official Account do.

Written from the platform documentation with `cryptography` directly (not wechatpy), and checked against the
published sample vectors in tests/bot/test_crypto_vectors.py, so the app's crypto is never only tested
against itself.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def signature(*parts: str) -> str:
    """sha1 of the lexicographically sorted parts, hex."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _key(aes_key: str) -> bytes:
    key = base64.b64decode(aes_key + "=")
    assert len(key) == 32
    return key


def encrypt(plain: str, aes_key: str, receiver_id: str, random16: bytes | None = None) -> str:
    """AES-256-CBC, IV = key[:16], PKCS#7 to 32 bytes over random(16) + len(4, big endian) + msg + receiver id."""
    key = _key(aes_key)
    msg = plain.encode("utf-8")
    raw = (random16 or os.urandom(16)) + struct.pack(">I", len(msg)) + msg + receiver_id.encode("utf-8")
    pad = 32 - len(raw) % 32
    raw += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(raw) + enc.finalize()).decode()


def decrypt(encrypted: str, aes_key: str) -> tuple[str, str]:
    """-> (message, receiver id)."""
    key = _key(aes_key)
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    raw = dec.update(base64.b64decode(encrypted)) + dec.finalize()
    raw = raw[: -raw[-1]]
    (length,) = struct.unpack(">I", raw[16:20])
    return raw[20 : 20 + length].decode("utf-8"), raw[20 + length :].decode("utf-8")


def envelope(encrypted: str, to_user: str = "") -> str:
    return f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"


def text_xml(*, to: str, sender: str, content: str, msg_id: str, create_time: int, agent_id: str | None = None) -> str:
    agent = f"<AgentID>{agent_id}</AgentID>" if agent_id else ""
    return (
        f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId>{agent}</xml>"
    )


def event_xml(*, to: str, sender: str, event: str, create_time: int, key: str = "", agent_id: str | None = None) -> str:
    agent = f"<AgentID>{agent_id}</AgentID>" if agent_id else ""
    return (
        f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey>{agent}</xml>"
    )
