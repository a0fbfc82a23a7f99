"""WeChat Official Account: the callback in plain and safe mode, and the customer-service / template sender.

Free customer-service messages only reach a user within 48 h of their last message; the delivery policy knows
that window, and this sender reports the platform's refusal (45015) as permanent so nothing loops.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import EVENT_TYPES
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import MESSAGE_TYPES
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot import callback
from bot.api import PlatformClient
from models import Channel, OutboxItem

bp = Blueprint("wechat", __name__)


def _check(args) -> None:
    callback.check_timestamp(args.get("timestamp"))
    try:
        check_signature(current_app.config["WECHAT_TOKEN"], args.get("signature", ""), args["timestamp"], args.get("nonce", ""))
    except InvalidSignatureException:
        abort(403)


def _crypto() -> WeChatCrypto:
    cfg = current_app.config
    return WeChatCrypto(cfg["WECHAT_TOKEN"], cfg["WECHAT_AES_KEY"], cfg["WECHAT_APP_ID"])


@bp.get("/wechat/callback")
def verify():
    """Server URL verification in the OA admin: answer echostr when the signature is right."""
    _check(request.args)
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


@bp.post("/wechat/callback")
def receive():
    """A follower's message or event, plain or safe mode: handle once, answer with a passive reply."""
    args = request.args
    body = callback.read_body(request)
    _check(args)  # both modes carry the plain signature too
    safe = args.get("encrypt_type") == "aes"
    envelope = callback.parse_xml(body)
    if safe:
        if "Encrypt" not in envelope or not current_app.config.get("WECHAT_AES_KEY"):
            abort(400)
        crypto = _crypto()
        try:
            plain = crypto.decrypt_message(envelope, args.get("msg_signature", ""), args["timestamp"], args.get("nonce", ""))
        except (InvalidSignatureException, InvalidAppIdException):
            abort(403)
        except (ValueError, KeyError, UnicodeDecodeError):
            abort(400)
        envelope = callback.parse_xml(plain)
    msg = callback.message(envelope, MESSAGE_TYPES, EVENT_TYPES)
    inbound = callback.to_inbound(Channel.wechat, msg, callback.services().clock.now())

    def render(text: str) -> str:
        xml = TextReply(message=msg, content=text).render()
        return crypto.encrypt_message(xml, args.get("nonce", ""), callback.now_ts()) if safe else xml

    return callback.respond(inbound, render)


def client(config, tokens, http=None) -> PlatformClient:
    app_id, secret = config["WECHAT_APP_ID"], config["WECHAT_APP_SECRET"]
    return PlatformClient(
        config["WECHAT_API_BASE"],
        token_key=f"wechat:{app_id}",
        token_request=lambda c: ("token", {"grant_type": "client_credential", "appid": app_id, "secret": secret}),
        tokens=tokens,
        http=http,
    )


class WeChatSender:
    """Customer-service text messages; template messages when the item carries a template payload."""

    def __init__(self, client: PlatformClient):
        self.client = client

    def send(self, item: OutboxItem) -> str | None:
        if item.kind == "template":
            body = {"touser": item.recipient, **item.payload}
            result = self.client.call("POST", "message/template/send", body=body)
            return str(result.get("msgid") or "") or None
        body = {"touser": item.recipient, "msgtype": "text", "text": {"content": item.text}}
        self.client.call("POST", "message/custom/send", body=body)
        return None
