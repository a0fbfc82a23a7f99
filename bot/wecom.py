"""WeCom self-built app: the callback (verify, decrypt, parse -> Inbound) and the app-message sender."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.events import EVENT_TYPES
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.enterprise.messages import MESSAGE_TYPES
from wechatpy.enterprise.replies import TextReply
from wechatpy.exceptions import InvalidSignatureException

from bot import callback
from bot.api import PlatformClient, SendError
from models import Channel, OutboxItem

bp = Blueprint("wecom", __name__)


def _crypto() -> WeChatCrypto:
    cfg = current_app.config
    return WeChatCrypto(cfg["WECOM_TOKEN"], cfg["WECOM_AES_KEY"], cfg["WECOM_CORP_ID"])


@bp.get("/wecom/callback")
def verify():
    """URL verification when the callback is saved in the WeCom admin: answer the decrypted echostr."""
    args = request.args
    callback.check_timestamp(args.get("timestamp"))
    try:
        echo = _crypto().check_signature(args["msg_signature"], args["timestamp"], args["nonce"], args["echostr"])
    except KeyError:
        abort(400)
    except (InvalidSignatureException, InvalidCorpIdException):
        abort(403)
    except ValueError:
        abort(400)
    return Response(echo, mimetype="text/plain")


@bp.post("/wecom/callback")
def receive():
    """A message or event from a member: decrypt, handle once, answer with an encrypted passive reply."""
    args = request.args
    body = callback.read_body(request)
    callback.check_timestamp(args.get("timestamp"))
    envelope = callback.parse_xml(body)
    if "Encrypt" not in envelope:
        abort(400)
    crypto = _crypto()
    try:
        plain = crypto.decrypt_message(envelope, args.get("msg_signature", ""), args["timestamp"], args.get("nonce", ""))
    except (InvalidSignatureException, InvalidCorpIdException):
        abort(403)
    except (ValueError, KeyError, UnicodeDecodeError):
        abort(400)
    msg = callback.message(callback.parse_xml(plain), MESSAGE_TYPES, EVENT_TYPES)
    inbound = callback.to_inbound(Channel.wecom, msg, callback.services().clock.now())

    def render(text: str) -> str:
        reply = TextReply(message=msg, content=text, agent=int(current_app.config.get("WECOM_AGENT_ID") or 0))
        return crypto.encrypt_message(reply.render(), args.get("nonce", ""), callback.now_ts())

    return callback.respond(inbound, render)


def client(config, tokens, http=None) -> PlatformClient:
    corp_id, secret = config["WECOM_CORP_ID"], config["WECOM_SECRET"]
    return PlatformClient(
        config["WECOM_API_BASE"],
        token_key=f"wecom:{corp_id}:{config.get('WECOM_AGENT_ID')}",
        token_request=lambda c: ("gettoken", {"corpid": corp_id, "corpsecret": secret}),
        tokens=tokens,
        http=http,
    )


class WeComSender:
    """Sends app messages (message/send) to a member."""

    def __init__(self, client: PlatformClient, agent_id: int):
        self.client = client
        self.agent_id = agent_id

    def send(self, item: OutboxItem) -> str | None:
        body = {"touser": item.recipient, "agentid": self.agent_id, "safe": 0}
        if item.kind == "markdown":
            body |= {"msgtype": "markdown", "markdown": {"content": item.text}}
        else:
            body |= {"msgtype": "text", "text": {"content": item.text}}
        result = self.client.call("POST", "message/send", body=body)
        if result.get("invaliduser"):
            raise SendError(f"invalid user {result['invaliduser']}", code=81013, retryable=False)
        return result.get("msgid")
