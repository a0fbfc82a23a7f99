"""Configuration: every key, its default, and where it comes from (environment, or the mapping given to
create_app). Secrets only ever come from the environment or that mapping; nothing secret has a default."""

from __future__ import annotations

import os
from typing import Any, Mapping

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": "sqlite:///instance/bot.db",
    "SECRET_KEY": None,  # random per start in dev; required when DEV_CHANNEL is off and the console is used
    "WECOM_CORP_ID": None,
    "WECOM_AGENT_ID": None,
    "WECOM_SECRET": None,
    "WECOM_TOKEN": None,
    "WECOM_AES_KEY": None,
    "WECOM_API_BASE": "https://qyapi.weixin.qq.com/cgi-bin/",
    "WECHAT_APP_ID": None,
    "WECHAT_APP_SECRET": None,
    "WECHAT_TOKEN": None,
    "WECHAT_AES_KEY": None,
    "WECHAT_API_BASE": "https://api.weixin.qq.com/cgi-bin/",
    "HR_ROBOT_WEBHOOK": None,
    # The employer's own names, comma-separated ("腾讯,腾讯科技"): where a well-known company runs the bot, "我接受了
    # 腾讯的offer" accepts its offer instead of reading as a move to another company (lexicon.EMPLOYERS in nlp/hesitation).
    "EMPLOYER_NAMES": "",
    "TIMEZONE": "Asia/Shanghai",
    "QUIET_HOURS": "22:00-08:00",
    "DEV_CHANNEL": False,
    "PUBLIC_URL": "http://127.0.0.1:5000",  # how links to the console are written in messages to staff
    "WARM_UP": True,  # load the language models at start (first answer inside 1 s); off for one-off commands
    "OUTBOX_TICK_SECONDS": 2,
    "PLAN_TICK_SECONDS": 60,
    "RISK_TICK_SECONDS": 3600,
    # --- cadence (engagement-adaptive delivery) ---
    "CADENCE_TICK_SECONDS": 300,  # triggers and planners (weekly task, reminders, digests, HR report)
    "STICKINESS_TICK_SECONDS": 3600,  # periodic stickiness recompute (every inbound also recomputes one candidate)
    "STICKINESS_WEIGHTS": "open=0.15,tasks=0.35,reply=0.25,recency=0.25",
    "TIER_HIGH": 80.0,  # score >= this: high tier
    "TIER_MEDIUM": 60.0,  # score >= this (and below TIER_HIGH): medium; below: low
    "CADENCE_CAPS": "high=3/7,medium=1/7,low=1/14,total=3/7",  # task+engagement per tier; total = all proactive
    "HOLDOUT_SHARE": 0.10,  # share of new candidates in the hold-out arm (only critical, reply, relay)
    "HR_REPORT_EVERY_DAYS": 3,  # stickiness report to the HR group robot
    "WECHAT_TEMPLATE_ID": None,  # OA template for critical messages outside the 48 h window; unset = held
}

BOOLEAN = {"DEV_CHANNEL", "TESTING", "WARM_UP"}
INTEGER = {"OUTBOX_TICK_SECONDS", "PLAN_TICK_SECONDS", "RISK_TICK_SECONDS",
           "CADENCE_TICK_SECONDS", "STICKINESS_TICK_SECONDS", "HR_REPORT_EVERY_DAYS"}
FLOAT = {"TIER_HIGH", "TIER_MEDIUM", "HOLDOUT_SHARE"}


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def load(mapping: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, overridden by the environment, overridden by the explicit mapping."""
    environ = os.environ if environ is None else environ
    cfg: dict[str, Any] = dict(DEFAULTS)
    for key in DEFAULTS:
        if environ.get(key) not in (None, ""):
            cfg[key] = environ[key]
    cfg.update(mapping or {})
    for key in BOOLEAN & cfg.keys():
        cfg[key] = _as_bool(cfg[key])
    for key in INTEGER & cfg.keys():
        cfg[key] = int(cfg[key])
    for key in FLOAT & cfg.keys():
        cfg[key] = float(cfg[key])
    if not 0.0 <= cfg["HOLDOUT_SHARE"] <= 1.0:
        raise ValueError("HOLDOUT_SHARE is a share between 0 and 1 (0.10 = 10%)")
    if not 0.0 <= cfg["TIER_MEDIUM"] <= cfg["TIER_HIGH"] <= 100.0:
        raise ValueError("tier boundaries must satisfy 0 <= TIER_MEDIUM <= TIER_HIGH <= 100")
    if cfg.get("WECOM_AES_KEY") and len(cfg["WECOM_AES_KEY"]) != 43:
        raise ValueError("WECOM_AES_KEY must be the 43-character EncodingAESKey from the WeCom admin")
    if cfg.get("WECHAT_AES_KEY") and len(cfg["WECHAT_AES_KEY"]) != 43:
        raise ValueError("WECHAT_AES_KEY must be the 43-character EncodingAESKey from the Official Account admin")
    return cfg


def wecom_enabled(cfg: Mapping[str, Any]) -> bool:
    return all(cfg.get(k) for k in ("WECOM_CORP_ID", "WECOM_TOKEN", "WECOM_AES_KEY"))


def wecom_sending(cfg: Mapping[str, Any]) -> bool:
    return all(cfg.get(k) for k in ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET"))


def wechat_enabled(cfg: Mapping[str, Any]) -> bool:
    return all(cfg.get(k) for k in ("WECHAT_APP_ID", "WECHAT_TOKEN"))


def wechat_sending(cfg: Mapping[str, Any]) -> bool:
    return all(cfg.get(k) for k in ("WECHAT_APP_ID", "WECHAT_APP_SECRET"))
