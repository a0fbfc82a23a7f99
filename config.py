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
    "TIMEZONE": "Asia/Shanghai",
    "QUIET_HOURS": "22:00-08:00",
    "DEV_CHANNEL": False,
    "PUBLIC_URL": "http://127.0.0.1:5000",  # how links to the console are written in messages to staff
    "OUTBOX_TICK_SECONDS": 2,
    "PLAN_TICK_SECONDS": 60,
}

BOOLEAN = {"DEV_CHANNEL", "TESTING"}
INTEGER = {"OUTBOX_TICK_SECONDS", "PLAN_TICK_SECONDS"}


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
