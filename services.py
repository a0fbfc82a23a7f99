"""The services container: one per app, built by create_app, shared by the web views, the worker and the CLI.
The core (handlers/, scheduler/, ...) only reads its attributes; it never builds one."""

from __future__ import annotations

import socket
import os
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

import requests
from sqlalchemy.engine import Engine
from sqlmodel import Session

import config as config_mod
from bot.api import PlatformClient
from bot.outbox import Outbox
from bot.tokens import TokenStore
from clock import Clock
import content as content_mod
from content import Content
from engagement.policy import PolicySettings
from handlers import Dispatcher, Pipeline, build_dispatcher, build_pipeline
from models import Channel, Company
from nlp.intents import classify


@dataclass
class Services:
    config: dict[str, Any]
    engine: Engine
    clock: Clock
    content: Content
    dispatcher: Dispatcher
    pipeline: Pipeline
    outbox: Outbox
    tokens: TokenStore
    owner: str
    clients: dict[str, PlatformClient] = field(default_factory=dict)
    alert_recipient: str | None = None  # the HR group robot, as the outbox names it; None = console only
    employer_names: tuple[str, ...] = ()  # config EMPLOYER_NAMES: read as 你们公司 by the hesitation check
    kick: Callable[[], None] = lambda: None

    def warm_up(self) -> None:
        """Train/load the language models now, so the first callback after a start answers inside a second
        (with gunicorn --preload this happens once, before the workers fork)."""
        from nlp.hesitation import detect

        classify("还有几天培训")
        detect("我再考虑一下")

    def policy_settings(self) -> PolicySettings:
        with Session(self.engine) as db:
            company = db.get(Company, 1)
        holidays = company.holidays if company else []
        return PolicySettings.from_config(self.config, holidays)


def build(cfg: dict[str, Any], engine: Engine, clock: Clock, http: requests.Session | None = None) -> Services:
    from bot import robot, wechat, wecom
    from bot.devchat import DevSender

    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    tokens = TokenStore(engine, clock, owner)
    senders: dict = {}
    clients: dict[str, PlatformClient] = {}
    if config_mod.wecom_sending(cfg):
        clients["wecom"] = wecom.client(cfg, tokens, http)
        senders[Channel.wecom] = wecom.WeComSender(clients["wecom"], int(cfg["WECOM_AGENT_ID"]))
    if config_mod.wechat_sending(cfg):
        clients["wechat"] = wechat.client(cfg, tokens, http)
        senders[Channel.wechat] = wechat.WeChatSender(clients["wechat"])
    if cfg.get("HR_ROBOT_WEBHOOK"):
        senders[Channel.robot] = robot.RobotSender(cfg["HR_ROBOT_WEBHOOK"], http)
    if cfg.get("DEV_CHANNEL"):
        # Under `make run` nothing is configured: whatever would go to WeCom/WeChat/robot shows in /dev/chat.
        for channel in Channel:
            senders.setdefault(channel, DevSender())
    content = content_mod.shared()
    dispatcher = build_dispatcher()
    svc = Services(
        config=cfg,
        engine=engine,
        clock=clock,
        content=content,
        dispatcher=dispatcher,
        pipeline=build_pipeline(dispatcher, classify),
        outbox=None,  # type: ignore[arg-type]  (set below: it needs the policy settings of this container)
        tokens=tokens,
        owner=owner,
        clients=clients,
    )
    if cfg.get("HR_ROBOT_WEBHOOK"):
        svc.alert_recipient = robot.robot_recipient(cfg["HR_ROBOT_WEBHOOK"])
    svc.employer_names = tuple(n.strip() for n in str(cfg.get("EMPLOYER_NAMES") or "").split(",") if n.strip())
    svc.outbox = Outbox(engine, clock, senders, svc.policy_settings, owner=owner)
    return svc
